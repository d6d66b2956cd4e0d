"""Rendering a Comparison: the terminal table and the Markdown for a pull request."""

from __future__ import annotations

import textwrap
from typing import Any

from loadtui.report import fmt
from loadtui.report.compare import (
    ERROR_RATE_FLOOR,
    MARK,
    Comparison,
    Delta,
    Row,
    Section,
    Side,
    change,
    relative,
    value,
)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def verdict_line(c: Comparison) -> str:
    """ "no regression", "3 regressions", or "not comparable (2 differences)"."""
    if not c.judged:
        return f"not comparable ({_plural(len(c.differences), 'difference')})"
    n = len(c.regressions)
    return "no regression" if not n else _plural(n, "regression")


def difference_lines(c: Comparison) -> list[str]:
    """ "not comparable: duration 10.0s vs 30.0s (+200%)", one per difference, and what
    was done about them when they were allowed."""
    lines = [f"not comparable: {d}" for d in c.differences]
    if c.differences and c.allow_different:
        lines.append("compared anyway (--allow-different): the verdict is on runs that differ")
    return lines


def rules_line(c: Comparison) -> str:
    return (
        f"Tolerance {c.tolerance * 100:g}%: a latency must also grow by more than"
        f" {c.floor_ms:g} ms, an error rate by more than {ERROR_RATE_FLOOR * 100:g} point"
    )


def _side_line(tag: str, s: Side) -> str:
    facts = [f"{k} {getattr(s, k)}" for k in ("scenario", "target", "profile") if getattr(s, k)]
    facts += [fmt.duration(s.duration_s), f"{fmt.count(s.requests)} requests"]
    facts += [_plural(s.workers, "worker")] if s.workers != 1 else []
    return f"{tag} {s.path}: " + " · ".join(facts)


_TITLES = ("Endpoints (latency in ms)", "WebSocket streams (latency in ms)")
_TEXT_COLS = (("base", 12), ("new", 12), ("change", 12), ("%", 9))


def _text_table(title: str, rows: list[Row], width: int) -> list[str]:
    """Each row's name on a line, then a line per figure: base, new, change, %, mark."""

    def line(label: str, cells: tuple[str, ...], mark: str = "") -> str:
        body = "".join(cell.rjust(w) for cell, (_h, w) in zip(cells, _TEXT_COLS, strict=True))
        return f"{label.ljust(17)}{body}  {mark}".rstrip()

    head = line("", tuple(h for h, _w in _TEXT_COLS))
    out = [title, head, "-" * len(head)]
    for row in rows:
        out += ["-" * len(head)] if row.total else []
        out.append(row.label if len(row.label) <= width else row.label[: width - 1] + "~")
        for d in row.deltas:
            cells = (value(d, 0), value(d, 1), change(d), relative(d))
            out.append(line(f"  {d.figure}", cells, MARK[d.verdict]))
    return out


def _only(sec: Section, what: str, show: Any = str) -> list[str]:
    out = [f"Only in NEW (added {what}): {', '.join(map(show, sec.added))}"] if sec.added else []
    if sec.removed:
        out.append(f"Only in BASE (removed {what}): {', '.join(map(show, sec.removed))}")
    return out


def comparison_text(c: Comparison, width: int = 100) -> str:
    """For the terminal: plain text, ✗ on regressions and ✓ on improvements."""
    width = max(40, width)
    wrap = textwrap.TextWrapper(width=width, subsequent_indent="    ")
    lines = [f"loadtui compare: {verdict_line(c)}"]
    for text in (
        _side_line("BASE", c.base),
        _side_line("NEW ", c.new),
        *difference_lines(c),
        rules_line(c),
        *(f"Note: {note}" for note in c.notes),
    ):
        lines += wrap.wrap(text)
    for title, what, sec in zip(
        _TITLES, ("endpoints", "streams"), (c.endpoints, c.streams), strict=True
    ):
        if sec:
            lines += ["", *(_text_table(title, sec.table(), width) if sec.table() else [title])]
            for text in _only(sec, what):
                lines += wrap.wrap(text)
    for title, mark, items in (
        ("Regressions", "✗", c.regressions),
        ("Improvements", "✓", c.improvements),
    ):
        if items:
            lines += ["", f"{title} ({len(items)}):"]
            for item in items:
                lines += wrap.wrap(f"  {mark} {item}")
    if not c.judged:
        count = _plural(len(c.differences), "difference")
        lines += ["", f"Result: NOT COMPARABLE ({count}): figures shown, not judged"]
    else:
        lines += ["", f"Result: {'FAILED, ' if not c.ok else ''}{verdict_line(c)}"]
    return "\n".join(lines)


def _md(text: Any) -> str:
    """Table-cell safe: no pipe or newline breaking the row."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: Any) -> str:
    return "`" + _md(str(text).replace("`", "'")) + "`"


def _md_cell(d: Delta) -> str:
    if d.base is None and d.new is None:
        return "-"
    delta = "±0" if d.change == 0 else f"{change(d)}, {relative(d)}"
    return f"{value(d, 0)} → {value(d, 1)} ({delta}) {MARK[d.verdict]}".rstrip()


def _md_table(first: str, rows: list[Row]) -> list[str]:
    heads = [d.figure + (" (ms)" if d.kind == "latency" else "") for d in rows[0].deltas]
    out = ["| " + " | ".join([first, *heads]) + " |", "|---|" + "---:|" * len(heads)]
    for row in rows:
        name = "**Total**" if row.total else _md(row.label)
        out.append("| " + " | ".join([name, *map(_md_cell, row.deltas)]) + " |")
    return out


def comparison_markdown(c: Comparison) -> str:
    """For a pull-request comment: the verdict, both sessions, a table per section."""
    b, n = c.base, c.new
    mark = "⛔" if not c.judged else "✅" if c.ok else "❌"
    lines = [
        f"{mark} **loadtui compare: {verdict_line(c)}** (tolerance {c.tolerance * 100:g}%)",
        "",
        "| | Base | New |",
        "|---|---|---|",
        f"| Session | {_code(b.path)} | {_code(n.path)} |",
        *(
            f"| {k.title()} | {_md(getattr(b, k))} | {_md(getattr(n, k))} |"
            for k in ("scenario", "target", "profile")
        ),
        f"| Duration | {fmt.duration(b.duration_s)} | {fmt.duration(n.duration_s)} |",
        f"| Requests | {fmt.count(b.requests)} | {fmt.count(n.requests)} |",
        *([f"| Workers | {b.workers} | {n.workers} |"] if (b.workers, n.workers) != (1, 1) else []),
    ]
    lines += [f"\n> ⛔ {_md(text)}" for text in difference_lines(c)]
    lines += [f"\n> ⚠️ {_md(note)}" for note in c.notes]
    for title, first, what, sec in (
        ("Endpoints", "Endpoint", "endpoints", c.endpoints),
        ("WebSocket streams", "Stream", "streams", c.streams),
    ):
        if sec:
            lines += [
                "",
                f"### {title}",
                "",
                *(_md_table(first, sec.table()) if sec.table() else []),
            ]
            only = _only(sec, what, _code)
            lines += ["", *only] if only else []
    for title, mark, items in (
        ("Regressions", "✗", c.regressions),
        ("Improvements", "✓", c.improvements),
    ):
        if items:
            lines += ["", f"### {title}", "", *(f"- {mark} {_md(x)}" for x in items)]
    lines += ["", f"_{rules_line(c)}._"]
    return "\n".join(lines) + "\n"
