"""The TOML writer `loadtui import` drafts with: whatever a document holds, tomllib reads
back exactly that document; what TOML cannot hold is refused, never written wrong."""

from __future__ import annotations

import math
import tomllib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadtui.scenario.emit import INT_MAX, INT_MIN, EmitError, Inline, dumps, string

# Any Unicode text a recording can hold: every code point but lone surrogates.
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
scalars = texts | st.integers(INT_MIN, INT_MAX) | st.floats(allow_nan=False) | st.booleans()
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)
documents = st.dictionaries(texts, values, max_size=6)


@given(texts)
def test_any_text_reads_back_as_itself(text: str) -> None:
    assert tomllib.loads(f"v = {string(text)}")["v"] == text


@given(documents)
def test_any_document_reads_back_as_itself(doc: dict[str, Any]) -> None:
    assert tomllib.loads(dumps(doc)) == doc


@given(documents)
def test_inline_tables_read_back_as_themselves(doc: dict[str, Any]) -> None:
    assert tomllib.loads(dumps({"t": Inline(doc)})) == {"t": doc}


@given(st.lists(texts, max_size=5), documents)
def test_comments_cannot_break_out_of_themselves(lines: list[str], doc: dict[str, Any]) -> None:
    """A header line holding a line break, a quote or `[table]` stays a comment."""
    assert tomllib.loads(dumps(doc, lines)) == doc


def test_tables_and_arrays_of_tables_are_sections() -> None:
    doc = {
        "name": "n",
        "targets": {"a b": {"url": "http://x", "headers": Inline({"X-A": "1"})}},
        "users": [{"name": "u", "tasks": [{"name": "t1"}, {"name": "t2"}]}],
    }
    text = dumps(doc, ["one", "two\n[injected]\r = 1"])
    assert text.splitlines()[:3] == ["# one", "# two", "# [injected]? = 1"]
    assert '[targets."a b"]' in text
    assert 'headers = { X-A = "1" }' in text
    assert text.count("[[users.tasks]]") == 2
    assert "\n[targets]\n" not in text  # a table of tables needs no header of its own
    assert tomllib.loads(text) == {
        "name": "n",
        "targets": {"a b": {"url": "http://x", "headers": {"X-A": "1"}}},
        "users": [{"name": "u", "tasks": [{"name": "t1"}, {"name": "t2"}]}],
    }


def test_control_characters_are_escaped_on_one_line() -> None:
    text = 'a\r\nb\x00c\x7f"d\\e\tf\u2028'
    written = string(text)
    assert "\n" not in written and "\r" not in written and "\x00" not in written
    assert written == '"a\\r\\nb\\u0000c\\u007F\\"d\\\\e\\tf\u2028"'


def test_floats_keep_their_kind() -> None:
    doc = {"a": 1.0, "b": 1e300, "c": -0.5, "d": math.inf, "e": -math.inf}
    assert tomllib.loads(dumps(doc)) == doc
    assert math.isnan(tomllib.loads(dumps({"n": math.nan}))["n"])


@pytest.mark.parametrize(
    "bad",
    [None, "\ud800", 2**63, -(2**63) - 1, {"k": object()}, {1: "x"}, ["ok", "\udfff"]],
)
def test_what_toml_cannot_hold_is_refused(bad: Any) -> None:
    with pytest.raises(EmitError):
        dumps({"v": bad})
