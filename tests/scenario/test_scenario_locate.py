"""The line locator: tables, arrays of tables by index, inline values, dotted keys."""

from __future__ import annotations

from loadtui.scenario.locate import Locator, locate_line

TEXT = """\
name = "x"                                   # 1
[targets.local]                              # 2
url = "http://127.0.0.1"                             # 3
[[users]]                                    # 4
name = "a"                                   # 5
[[users.tasks]]                              # 6
path = "/"                                   # 7
[[users.tasks]]                              # 8
path = "/b"                                  # 9
checks = { status = [200,                    # 10
  201], json = { "/a b" = 1 } }              # 11
[[users]]                                    # 12
name = "b"                                   # 13
[users.websocket]                            # 14
send.every = "1s"                            # 15
[[users.tasks]]                              # 16
extract = [                                  # 17
  { var = "t", json = "/t" },                # 18
  { var = "u", header = 'X' },               # 19
]                                            # 20
[profiles.p]                                 # 21
stages = [{ duration = "1s" }, { users = 1 }]  # 22
[thresholds.endpoints."GET /"]               # 23
"p99.9" = '''< 1s'''                         # 24
"""


def test_lines_of_paths() -> None:
    loc = Locator(TEXT)
    cases = {
        ("name",): 1,
        ("targets", "local"): 2,
        ("targets", "local", "url"): 3,
        ("users", 0): 4,
        ("users", 0, "name"): 5,
        ("users", 0, "tasks", 0, "path"): 7,
        ("users", 0, "tasks", 1): 8,
        ("users", 0, "tasks", 1, "path"): 9,
        ("users", 0, "tasks", 1, "checks", "status", 1): 11,
        ("users", 0, "tasks", 1, "checks", "json", "/a b"): 11,
        ("users", 1, "name"): 13,
        ("users", 1, "websocket", "send", "every"): 15,
        ("users", 1, "tasks", 0): 16,
        ("users", 1, "tasks", 0, "extract", 1, "header"): 19,
        ("profiles", "p", "stages", 1, "users"): 22,
        ("thresholds", "endpoints", "GET /", "p99.9"): 24,
    }
    for path, line in cases.items():
        assert loc.line(path) == line, path


def test_fallback_to_the_nearest_enclosing_path() -> None:
    loc = Locator(TEXT)
    assert loc.line(("users", 0, "tasks", 1, "methd")) == 8
    assert loc.line(("users", 1, "tasks", 0, "extract", 0, "nope")) == 18
    assert loc.line(("profiles", "p", "stages", 0, "users")) == 22
    assert loc.line(("thresholds", "endpoints", "POST /")) == 23
    assert loc.line(("nowhere", 3)) is None
    assert loc.line(()) is None


def test_text_it_cannot_read_is_skipped_line_by_line() -> None:
    text = 'a = "unterminated\n[[broken\nb = 2\n= 3\nc = [1,\n'
    assert locate_line(text, ("b",)) == 3
    assert locate_line(text, ("c", 0)) == 5
    assert locate_line("", ("a",)) is None
    assert locate_line("x = {{{{{{{{{{" * 200, ("x",)) == 1
