"""The session log: JSON Lines, appended and flushed every tick.

Header first, then ticks and events in time order, a summary last. A killed process
leaves every line up to its last tick intact (see docs/contracts.md, "Session log").

A path ending in `.gz` is written as one gzip stream, sync-flushed (zlib Z_SYNC_FLUSH)
after every tick: the bytes on disk always decompress to whole lines up to the last tick,
so a killed run reads back like a plain one, at about a tenth of the size (measured by
bench/session_size.py: the 12-hour soak needs it to stay under 100 MB).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import socket
import time
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from loadtui import __version__
from loadtui.metrics.snapshot import Snapshot
from loadtui.scenario.model import Profile, Scenario, Target
from loadtui.session.codec import jsonable
from loadtui.session.redact import Redaction

FORMAT = "loadtui-session"
VERSION = 1
GZIP_LEVEL = 6  # level 9 saves ~2 % more for twice the CPU per tick


def default_session_path(folder: Path, scenario: str) -> Path:
    """sessions/<time>-<scenario>.json.gz under `folder`: gzip keeps a 12-hour soak small."""
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in scenario) or "run"
    return folder / "sessions" / f"{time.strftime('%Y%m%d-%H%M%S')}-{safe}.json.gz"


def host_facts() -> dict[str, Any]:
    return {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }


def _tick_record(snap: Snapshot) -> dict[str, Any]:
    record = jsonable(snap)
    events = record.pop("events")
    return {"record": {"type": "tick", **record}, "events": events}


class _Sink:
    """Where lines go: a text file, or a gzip stream synced at every `sync()`."""

    def __init__(self, path: Path) -> None:
        self.gzip = path.name.endswith(".gz")
        self._file: IO[bytes] = path.open("wb")
        self._deflate = (
            zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31) if self.gzip else None
        )  # wbits 31: the gzip container (header, CRC and length trailer)

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self._file.write(self._deflate.compress(data) if self._deflate else data)

    def sync(self) -> None:
        """Everything written so far readable from the file, whatever happens next."""
        if self._deflate:
            self._file.write(self._deflate.flush(zlib.Z_SYNC_FLUSH))
        self._file.flush()

    def close(self) -> None:
        try:
            if self._deflate:
                self._file.write(self._deflate.flush(zlib.Z_FINISH))
        finally:
            self._file.close()

    def abandon(self) -> None:
        """Let go of the file after a failed write (its buffer cannot be flushed)."""
        with contextlib.suppress(OSError):
            self._file.close()


class SessionWriter:
    """Appends one run to a session log.

    A write that fails (disk full, I/O error) raises OSError once and lets go of the
    file; the writer is then closed and ignores what follows, so its caller can say so
    and carry on with the run.

    The header's scenario and target hide the values of credential headers
    (Authorization, Cookie, Set-Cookie, Proxy-Authorization, X-Api-Key) and of the
    extra header, query and user-variable names given here (any case), wherever they
    appear; see redact.py.
    """

    def __init__(
        self,
        path: str | Path,
        scenario: Scenario,
        target: Target,
        profile: Profile,
        *,
        redact_headers: Iterable[str] = (),
        redact_query: Iterable[str] = (),
        redact_variables: Iterable[str] = (),
        target_pids: Iterable[int] = (),
        workers: int = 1,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.redaction = Redaction.extra(redact_headers, redact_query, redact_variables)
        self._sink: _Sink | None = _Sink(self.path)
        self._write(
            {
                "type": "header",
                "format": FORMAT,
                "version": VERSION,
                "tool": f"loadtui {__version__}",
                "scenario": self.redaction.jsonable(scenario),
                "target": self.redaction.jsonable(target),
                "profile": jsonable(profile),
                "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "host": host_facts(),
                # The target's processes watched at the start (given or found, with
                # their descendants then): the report's target_process.pids.
                "target_pids": list(target_pids),
                # The worker layout: load generator processes (1: the run's own).
                "workers": workers,
            }
        )
        self._sync()  # a run killed before its first tick still names what it was

    @property
    def compressed(self) -> bool:
        return self._sink is not None and self._sink.gzip

    def _write(self, obj: dict[str, Any]) -> None:
        if self._sink is None:
            return
        line = json.dumps(obj, separators=(",", ":"), allow_nan=False) + "\n"
        with self._failing():
            self._sink.write(line)

    def _sync(self) -> None:
        if self._sink is not None:
            with self._failing():
                self._sink.sync()

    @contextlib.contextmanager
    def _failing(self) -> Iterator[None]:
        """A failed write closes the writer (the file let go of) and is raised once."""
        try:
            yield
        except OSError:
            sink, self._sink = self._sink, None
            if sink is not None:
                sink.abandon()
            raise

    def on_snapshot(self, snap: Snapshot) -> None:
        if self._sink is None:
            return
        parts = _tick_record(snap)
        for event in parts["events"]:
            self._write({"type": "event", **event})
        self._write(parts["record"])
        self._sync()

    def close(self, summary: dict[str, Any] | None = None) -> None:
        if self._sink is None:
            return
        with self._failing():
            if summary is not None:
                line = json.dumps({"type": "summary", **summary}, separators=(",", ":"))
                self._sink.write(line + "\n")
            self._sink.close()
            self._sink = None
