"""A session file's text lines, plain or gzip, read with bounded memory: a line has a
size limit and a gzip member inflates a bounded piece at a time, so a crafted file
cannot swell to gigabytes."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path

from loadtui.session.errors import SessionError


def text_lines(path: Path, max_line: int) -> Iterator[str]:
    """Text lines of a .json or .json.gz file; a gzip stream cut short ends quietly."""
    if path.suffix != ".gz":
        with path.open(encoding="utf-8", errors="replace") as f:
            while line := f.readline(max_line + 1):
                if len(line) > max_line:
                    raise SessionError(f"{path}: a line longer than {max_line >> 20} MiB")
                yield line
        return
    pending = b""
    for data in inflated(path):
        *whole, pending = (pending + data).split(b"\n")
        for raw in (*whole, pending):
            if len(raw) > max_line:
                raise SessionError(f"{path}: a line longer than {max_line >> 20} MiB")
        for raw in whole:
            yield raw.decode("utf-8", errors="replace") + "\n"
    if pending:
        yield pending.decode("utf-8", errors="replace")  # no newline: maybe cut off


def inflated(path: Path) -> Iterator[bytes]:
    """A gzip file's content in pieces of at most 1 MiB (a small file cannot swell to
    gigabytes in one call); a damaged tail ends it quietly, keeping what came before."""
    inflate = zlib.decompressobj(wbits=31)  # gzip container
    produced = False
    with path.open("rb") as f:
        while not inflate.eof and (chunk := f.read(1 << 16)):
            while chunk:
                try:
                    data = inflate.decompress(chunk, 1 << 20)
                except zlib.error as exc:
                    if not produced:
                        raise SessionError(f"{path}: not a gzip file ({exc})") from None
                    return
                produced = produced or bool(data)
                chunk = inflate.unconsumed_tail
                yield data
