"""Secrets out of the session header: a session is evidence meant to be shared.

`codec.jsonable` hides the standard credential headers in any (name, value) pairs; a
`Redaction` knows which pairs it is walking (task, target or WebSocket `headers`, task
`query`, user `variables`) and hides the values of credential-like names there
(`loadtui import`'s rule, as in bodies: X-Tenant-Token, password, api_key, ...) and of
the names a user configured for each, case insensitively; a response-header check on
such a name hides its expected value. It also hides those query names inside URLs and
paths (`?token=...`), and a URL's password
by `scenario.userinfo.redact_url`, the rule every output follows. In request bodies and
WebSocket messages (JSON, msgpack, forms) it hides the values of credential-like keys
(`loadtui import`'s rule: password, token, secret, ...) and of every configured name, at
any depth (redact_bodies.py). Values become "***"; names and shapes stay, so the header
still says what was sent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from loadtui.scenario.model import HeaderCheck, HttpTask, WsMessage
from loadtui.scenario.recorded import is_secret_name
from loadtui.scenario.userinfo import redact_url
from loadtui.session.codec import HIDDEN, REDACT, jsonable
from loadtui.session.redact_bodies import SecretKeys, hide_body, hide_query, hide_text, hide_value

_URL_FIELDS = frozenset({"url", "path"})


def _lower(names: Iterable[str]) -> frozenset[str]:
    return frozenset(n.strip().lower() for n in names if n.strip())


def _is_pairs(value: Any) -> bool:
    return (
        isinstance(value, tuple | list)
        and bool(value)
        and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in value)
    )


@dataclass(frozen=True)
class Redaction:
    """Names (lower case) whose values are hidden, by where they appear."""

    headers: frozenset[str] = REDACT
    query: frozenset[str] = frozenset()
    variables: frozenset[str] = frozenset()

    @classmethod
    def extra(
        cls,
        headers: Iterable[str] = (),
        query: Iterable[str] = (),
        variables: Iterable[str] = (),
    ) -> Redaction:
        """The standard header names plus these (any case)."""
        return cls(REDACT | _lower(headers), _lower(query), _lower(variables))

    @property
    def anywhere(self) -> frozenset[str]:
        """For pairs of unknown meaning: every configured name, to err on the safe side."""
        return self.headers | self.query | self.variables

    @property
    def body_keys(self) -> SecretKeys:
        """Keys of a body whose values are hidden: credential-like ones and every
        configured name (redact_bodies.py)."""
        return SecretKeys(self.anywhere)

    def jsonable(self, value: Any) -> Any:
        """`codec.jsonable(value)` with every configured secret hidden."""
        return self._walk(value, None)

    def _walk(self, value: Any, field: str | None) -> Any:
        secret_check = isinstance(value, HeaderCheck) and value.value
        if secret_check and self._secret(value.name, self.headers):
            # `authorization = "equals:Bearer ..."`: the expected value is the secret
            value = dataclasses.replace(value, value=HIDDEN)
        elif isinstance(value, HttpTask):
            value = self._task(value)
        elif isinstance(value, WsMessage):
            value = self._message(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {
                f.name: self._walk(getattr(value, f.name), f.name)
                for f in dataclasses.fields(value)
            }
        if _is_pairs(value):
            names = {
                "headers": self.headers,
                "query": self.query,
                "variables": self.variables,
            }.get(field or "", self.anywhere)
            return {
                k: HIDDEN if self._secret(k, names) else self._walk(v, None) for k, v in value
            }
        if isinstance(value, str) and field in _URL_FIELDS:
            return self.url(value)
        if isinstance(value, tuple | list):
            return [self._walk(v, None) for v in value]
        if isinstance(value, dict):
            return {str(k): self._walk(v, None) for k, v in value.items()}
        return jsonable(value, frozenset())

    def url(self, text: str) -> str:
        """`text` (a URL or a path) with configured query values and any password hidden
        (`redact_url`, as every output does).

        Done on the raw text, so everything else stays byte for byte as written."""
        rest, hash_, fragment = redact_url(text).partition("#")
        base, q, query = rest.partition("?")
        if q:
            query = hide_query(query, lambda name: self._secret(name, self.query))
        return f"{base}{q}{query}{hash_}{fragment}"

    @staticmethod
    def _secret(name: str, configured: frozenset[str]) -> bool:
        """A configured name, or a credential-like one (the rule bodies and `loadtui
        import` follow: a `token` is a secret whether or not the user said so)."""
        return name.lower() in configured or is_secret_name(name)

    def _task(self, task: HttpTask) -> HttpTask:
        """The task with the secrets of its body (encoded, or its template) hidden."""
        keys = self.body_keys
        body, template = task.body, task.body_template
        if body is not None:
            body = hide_body(body, task.body_format, task.content_type, keys)
        if isinstance(template, str):  # a raw body with placeholders
            template = hide_text(template, keys, task.content_type)
        elif template is not None:
            template = hide_value(template, keys)
        return dataclasses.replace(task, body=body, body_template=template)

    def _message(self, message: WsMessage) -> WsMessage:
        """A WebSocket message with the secrets of its JSON, msgpack or text hidden."""
        keys = self.body_keys
        if message.kind == "text" and isinstance(message.value, str):
            return dataclasses.replace(message, value=hide_text(message.value, keys))
        if message.kind in ("json", "msgpack"):
            return dataclasses.replace(message, value=hide_value(message.value, keys))
        return message
