"""`[data.NAME]` feeders and the placeholders that read them, as the loader checks them.

Each bad case is a scenario beside its data files in a temporary folder; the line the
problem belongs to carries a `#<` comment, and the problem names the data file's own
line where there is one. The good cases pin what a DataSpec holds.
"""

from __future__ import annotations

from pathlib import Path

import msgpack
import pytest

from loadtui.scenario import ScenarioError, datafile, load_scenario
from loadtui.scenario.datafile import read_rows
from loadtui.scenario.model import DataSpec, HttpTask
from loadtui.scenario.template import literal, parse, placeholders, render, render_value

HEAD = '[targets.t]\nurl = "http://127.0.0.1:9"\n'
ACCOUNTS = "email,password\nann@x.io,pw1\nbob@x.io,pw2\ncy@x.io,pw3\n"


def scenario(tmp_path: Path, data: str, *task_lines: str, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    lines = task_lines or ('path = "/{accounts.email}"',)
    text = data + HEAD + "[[users]]\n[[users.tasks]]\n" + "\n".join(lines) + "\n"
    out = tmp_path / "s.toml"
    out.write_text(text)
    return out


def accounts(*lines: str) -> str:
    return "[data.accounts]\n" + "".join(f"{line}\n" for line in lines)


def marked_line(path: Path) -> int | None:
    lines = path.read_text().splitlines()
    return next((i for i, line in enumerate(lines, 1) if "#<" in line), None)


# ---- what a valid table becomes --------------------------------------------------------


def test_a_csv_table_with_its_defaults(tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        accounts('file = "accounts.csv"'),
        'path = "/login/{accounts.email}"',
        files={"accounts.csv": ACCOUNTS},
    )
    s = load_scenario(path)
    assert s.data == (
        DataSpec(
            name="accounts",
            path=str(tmp_path / "accounts.csv"),
            format="csv",
            columns=("email", "password"),
            rows=3,
            mode="cycle",
            pick="per_user",
            on_exhausted="stop",
            used=("email",),  # only what a placeholder names: a worker keeps no more
        ),
    )
    assert s.dataset("accounts") is s.data[0] and s.dataset("nope") is None
    task = s.users[0].tasks[0]
    assert isinstance(task, HttpTask) and task.templated


def test_json_lines_columns_come_from_the_first_object(tmp_path: Path) -> None:
    rows = (
        '{"id": 7, "ok": true, "tags": ["a"], "note": null}\n\n{"id": 8.5, "ok": false, '
        '"tags": [], "note": "x", "extra": 1}\n'
    )
    path = scenario(
        tmp_path,
        '[data.items]\nfile = "items.jsonl"\nmode = "unique"\npick = "per_iteration"\n'
        'on_exhausted = "cycle"\n',
        'path = "/i/{items.id}/{items.ok}"',
        'query = { t = "{items.tags}", n = "{items.note}" }',
        files={"items.jsonl": rows},
    )
    (spec,) = load_scenario(path).data
    assert (spec.format, spec.columns, spec.rows) == ("jsonl", ("id", "ok", "tags", "note"), 2)
    assert (spec.mode, spec.pick, spec.on_exhausted) == ("unique", "per_iteration", "cycle")
    assert read_rows(spec.path, spec.format, spec.used) == [
        ("7", "true", '["a"]', ""),
        ("8.5", "false", "[]", "x"),
    ]


def test_a_worker_keeps_its_stride_of_the_rows(tmp_path: Path) -> None:
    file = tmp_path / "r.csv"
    file.write_text("id,skip\n" + "".join(f"r{i},x\n" for i in range(7)))
    assert read_rows(file, "csv", ["id"], 0, 2) == [("r0",), ("r2",), ("r4",), ("r6",)]
    assert read_rows(file, "csv", ["id"], 1, 2) == [("r1",), ("r3",), ("r5",)]


def test_quoted_fields_may_hold_commas_and_lines(tmp_path: Path) -> None:
    text = '\ufeffname,bio\n"Ann, A.","line one\nline two"\nBob,plain\n'
    path = scenario(
        tmp_path,
        '[data.people]\nfile = "p.csv"\n',
        'path = "/{people.name}"',
        files={"p.csv": text},
    )
    (spec,) = load_scenario(path).data
    assert spec.columns == ("name", "bio") and spec.rows == 2  # the byte-order mark dropped
    assert read_rows(spec.path, "csv", ["bio", "name"]) == [
        ("line one\nline two", "Ann, A."),
        ("plain", "Bob"),
    ]


# ---- placeholders ----------------------------------------------------------------------


def test_placeholder_forms() -> None:
    text = '/a/{user_id}/{accounts.e-mail}/{random_int(1, 9)}/{{x}/{"raw": 1}'
    assert placeholders(text) == ["user_id", "accounts.e-mail", "random_int(1, 9)"]
    assert parse("accounts.e-mail").kind == "field"
    call = parse("random_int(1, 9)")
    assert (call.kind, call.name, call.args) == ("call", "random_int", ("1", "9"))
    assert parse("uuid").kind == "var"
    assert literal("/items/{random_int(1, 500)}?q={x}") == "/items/?q="
    # A plain dict renders variables; `{{` and other braces stay literal.
    assert render('/{x}/{{y}/{"k": 1}', {"x": 3}) == '/3/{y}/{"k": 1}'


def test_a_whole_bytes_value_stays_bytes_for_msgpack() -> None:
    values = {"random_bytes(4)": b"\x00\x01\x02\x03", "n": 5}
    body = render_value({"blob": "{random_bytes(4)}", "n": "{n}", "s": "x{n}"}, values)
    assert body == {"blob": b"\x00\x01\x02\x03", "n": "5", "s": "x5"}
    assert msgpack.unpackb(msgpack.packb(body)) == body  # a bin, back as bytes


def test_calls_with_spaces_pass_the_path_check(tmp_path: Path) -> None:
    path = scenario(tmp_path, "", 'path = "/items/{random_int(1, 500)}"', files={})
    task = load_scenario(path).users[0].tasks[0]
    assert isinstance(task, HttpTask) and task.templated


# ---- every bad input, with its place ---------------------------------------------------

GOOD = {"accounts.csv": ACCOUNTS}
BAD_LINES = 'email,password\nann,pw\nbob\ncy,pw,extra\n"x"y,pw\ndee,pw\neve\nfay\ngus\n'

CASES: list[tuple[str, str, tuple[str, ...], dict[str, str | bytes], str, list[str]]] = [
    # (id, [data] text, task lines, files, problem path, fragments of its line)
    (
        "no-file-key",
        '[data.accounts] #<\nmode = "cycle"\n',
        (),
        GOOD,
        "data.accounts.file",
        ["missing file", 'Add file = "rows.csv"'],
    ),
    (
        "missing-file",
        accounts('file = "acounts.csv" #<'),
        (),
        GOOD,
        "data.accounts.file",
        ["acounts.csv: no such file", "A relative path starts at the scenario's folder"],
    ),
    (
        "a-folder",
        accounts('file = "sub.csv" #<'),
        (),
        {},
        "data.accounts.file",
        ["sub.csv is a folder, not a file"],
    ),
    (
        "unknown-format",
        accounts('file = "accounts.xlsx" #<'),
        (),
        {"accounts.xlsx": ACCOUNTS},
        "data.accounts.file",
        ["cannot tell its format", "Name it .csv"],
    ),
    (
        "empty-file",
        accounts('file = "e.csv" #<'),
        (),
        {"e.csv": "\n\n"},
        "data.accounts.file",
        ["e.csv: is empty: it needs a header row", "The first line names the columns"],
    ),
    (
        "header-only",
        accounts('file = "h.csv" #<'),
        (),
        {"h.csv": "email,password\n"},
        "data.accounts.file",
        ["h.csv has no rows. Add a row under the header row"],
    ),
    (
        "unnamed-column",
        accounts('file = "u.csv" #<'),
        (),
        {"u.csv": "email,,password\na,b,c\n"},
        "data.accounts.file",
        ["u.csv:1: column 2 of the header row has no name"],
    ),
    (
        "twice-in-header",
        accounts('file = "d.csv" #<'),
        (),
        {"d.csv": "email,email\na,b\n"},
        "data.accounts.file",
        ['d.csv:1: column "email" is twice in the header row'],
    ),
    (
        "bad-csv-lines",
        accounts('file = "b.csv" #<'),
        (),
        {"b.csv": BAD_LINES},
        "data.accounts.file",
        [
            "b.csv:3: 1 field, the header row has 2 (5 more bad lines: 4, 5, 7, 8, ...)",
            "quote a field holding a comma",
        ],
    ),
    (
        "broken-quote",
        accounts('file = "q.csv" #<'),
        (),
        {"q.csv": 'email,password\nann,pw\n"x"y,pw\n'},
        "data.accounts.file",
        ["q.csv:3: not CSV: ',' expected after '\"'"],
    ),
    (
        "not-utf8",
        accounts('file = "l.csv" #<'),
        (),
        {"l.csv": b"email,password\nann,pw\nb\xe9b,pw\n"},
        "data.accounts.file",
        ["l.csv:3: not UTF-8 text (byte 2 of the line)"],
    ),
    (
        "jsonl-not-json",
        accounts('file = "a.jsonl" #<'),
        (),
        {"a.jsonl": '{"email": "a"}\n{"email": \n[1]\n{"other": 1}\n'},
        "data.accounts.file",
        [
            "a.jsonl:2: not JSON: Expecting value (column 10) (2 more bad lines: 3, 4)",
            "one JSON object a line",
        ],
    ),
    (
        "jsonl-first-not-object",
        accounts('file = "f.jsonl" #<'),
        (),
        {"f.jsonl": '"just text"\n'},
        "data.accounts.file",
        ["f.jsonl:1: not a JSON object", "The first line's keys name the columns"],
    ),
    (
        "jsonl-missing-key",
        accounts('file = "m.jsonl" #<'),
        (),
        {"m.jsonl": '{"email": "a"}\n{"mail": "b"}\n'},
        "data.accounts.file",
        ['m.jsonl:2: no "email" (line 1 has it)'],
    ),
    (
        "unknown-key",
        accounts('file = "accounts.csv"', 'mdoe = "unique" #<'),
        (),
        GOOD,
        "data.accounts.mdoe",
        ['unknown key. Did you mean "mode"?'],
    ),
    (
        "bad-mode",
        accounts('file = "accounts.csv"', 'mode = "uniqe" #<'),
        (),
        GOOD,
        "data.accounts.mode",
        ['\'uniqe\' is not one of "cycle", "random", "unique"', 'Did you mean "unique"?'],
    ),
    (
        "bad-pick",
        accounts('file = "accounts.csv"', 'pick = "per_request" #<'),
        (),
        GOOD,
        "data.accounts.pick",
        ['is not one of "per_user", "per_iteration"'],
    ),
    (
        "exhausted-without-unique",
        accounts('file = "accounts.csv"', 'on_exhausted = "cycle" #<'),
        (),
        GOOD,
        "data.accounts.on_exhausted",
        ['applies to mode = "unique" only', 'Remove it, or set mode = "unique"'],
    ),
    (
        "bad-exhausted",
        accounts('file = "accounts.csv"', 'mode = "unique"', 'on_exhausted = "wrap" #<'),
        (),
        GOOD,
        "data.accounts.on_exhausted",
        ['\'wrap\' is not one of "stop", "cycle"'],
    ),
    (
        "name-not-an-identifier",
        '[data."my accounts"] #<\nfile = "accounts.csv"\n',
        ('path = "/x"',),
        GOOD,
        'data."my accounts"',
        ["cannot be named in a placeholder", "Use letters, digits and _"],
    ),
    (
        "data-not-a-table",
        "data = 3 #<\n",
        ('path = "/x"',),
        GOOD,
        "data",
        ["expected a table of data feeders, got integer"],
    ),
    (
        "undeclared-table",
        accounts('file = "accounts.csv"'),
        ('path = "/{acounts.email}" #<',),
        GOOD,
        "users[0].tasks[0].path",
        ['{acounts.email}: there is no [data.acounts]. Did you mean "accounts"?'],
    ),
    (
        "unknown-column",
        accounts('file = "accounts.csv"'),
        ('headers = { X-User = "{accounts.emial}" } #<', 'path = "/"'),
        GOOD,
        "users[0].tasks[0].headers.X-User",
        ['{accounts.emial}: accounts.csv has no column "emial". Did you mean "email"?'],
    ),
    (
        "column-in-a-body",
        accounts('file = "accounts.csv"'),
        ('path = "/"', 'method = "POST"', 'json = { who = ["{accounts.name}"] } #<'),
        GOOD,
        "users[0].tasks[0].json.who[0]",
        ['accounts.csv has no column "name". Its columns: email, password'],
    ),
    (
        "no-data-at-all",
        "",
        ('path = "/{accounts.email}" #<',),
        {},
        "users[0].tasks[0].path",
        ["there is no [data.accounts]", 'Add [data.accounts] with file = "..."'],
    ),
    (
        "unknown-function",
        "",
        ('path = "/"', 'query = { n = "{rand_int(1, 2)}" } #<'),
        {},
        "users[0].tasks[0].query.n",
        ["{rand_int(1, 2)}: rand_int() is not a built-in function", 'Did you mean "random_int"?'],
    ),
    (
        "arity",
        "",
        ('path = "/{random_int(5)}" #<',),
        {},
        "users[0].tasks[0].path",
        ["{random_int(5)}: random_int(low, high) takes 2 arguments"],
    ),
    (
        "not-an-integer",
        "",
        ('path = "/{random_string(ten)}" #<',),
        {},
        "users[0].tasks[0].path",
        ["{random_string(ten)}: random_string(): 'ten' is not an integer"],
    ),
    (
        "low-above-high",
        "",
        ('path = "/{random_int(9, 1)}" #<',),
        {},
        "users[0].tasks[0].path",
        ["{random_int(9, 1)}: low is above high. Like {random_int(1, 9)}"],
    ),
    (
        "length-zero",
        "",
        ('path = "/"', 'method = "POST"', 'msgpack = { b = "{random_bytes(0)}" } #<'),
        {},
        "users[0].tasks[0].msgpack.b",
        ["{random_bytes(0)}: the length must be 1 to 1,048,576"],
    ),
    (
        "bytes-in-json",
        "",
        ('path = "/"', 'method = "POST"', 'json = { b = "{random_bytes(8)}" } #<'),
        {},
        "users[0].tasks[0].json.b",
        ["{random_bytes(8)} makes bytes: only a whole value of a msgpack body", "Like msgpack ="],
    ),
    (
        "bytes-inside-text",
        "",
        ('path = "/"', 'method = "POST"', 'msgpack = { b = "id-{random_bytes(8)}" } #<'),
        {},
        "users[0].tasks[0].msgpack.b",
        ["{random_bytes(8)} makes bytes"],
    ),
]


@pytest.mark.parametrize(
    ("data", "lines", "files", "where", "fragments"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_validate_names_each_bad_input(
    tmp_path: Path,
    data: str,
    lines: tuple[str, ...],
    files: dict[str, str | bytes],
    where: str,
    fragments: list[str],
) -> None:
    (tmp_path / "sub.csv").mkdir()
    path = scenario(tmp_path, data, *lines, files=files)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    match = [p for p in info.value.problems if p.path == where]
    assert match, f"no problem at {where}: {info.value}"
    line = match[0].format()
    assert line.startswith(f"{path}:{marked_line(path)}: {where}: "), line
    for fragment in fragments:
        assert fragment in line, line


def test_placeholders_in_websocket_headers_and_messages(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)

    def stream(header: str, hello: str) -> Path:
        text = (
            HEAD + accounts('file = "accounts.csv"') + "[[users]]\n[users.websocket]\n"
            f'path = "/ws"\nheaders = {{ X-Who = "{header}" }}\n'
            f'on_connect = [{{ json = {{ hi = "{hello}" }} }}]\n'
            'send = { every = "1s", msgpack = { b = "{random_bytes(4)}", '
            'e = "{accounts.email}" } }\n'
        )
        (tmp_path / "s.toml").write_text(text)
        return tmp_path / "s.toml"

    with pytest.raises(ScenarioError) as info:
        load_scenario(stream("{accounts.mail}", "{acount.email}"))
    assert [p.path for p in info.value.problems] == [
        "users[0].websocket.headers.X-Who",
        "users[0].websocket.on_connect[0].json.hi",
    ]  # the msgpack bytes and the right column pass
    (spec,) = load_scenario(stream("{accounts.password}", "{accounts.email}")).data
    assert spec.used == ("email", "password")


def test_files_past_the_bounds_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = "email,password\n" + "".join(f"u{i},p{i}\n" for i in range(20))
    path = scenario(tmp_path, accounts('file = "big.csv"'), files={"big.csv": rows})
    monkeypatch.setattr(datafile, "MAX_ROWS", 10)
    with pytest.raises(ScenarioError, match=r"big\.csv:12: more than 10 rows\. Keep the rows"):
        load_scenario(path)
    monkeypatch.setattr(datafile, "MAX_BYTES", 100)
    size = (tmp_path / "big.csv").stat().st_size
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert f"big.csv: is {size} bytes: a data file may be at most 100 bytes" in str(info.value)
