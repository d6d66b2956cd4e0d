"""Every loader error path yields a Problem at the right field path and a plausible line.

Each case is a whole scenario text; the line the problem should point at carries a
`#<` comment (no marker: the problem has no line).
"""

from __future__ import annotations

import pytest

from loadtui.scenario import Problem, ScenarioError, load_scenario_text

NAME = 'name = "t"\n'
TARGET = '[targets.local]\nurl = "http://127.0.0.1:8080"\n'
USER = '[[users]]\nname = "u"\n'
TASK = '[[users.tasks]]\nname = "root"\npath = "/"\n'
BASE = NAME + TARGET + USER + TASK


def task(*lines: str) -> str:
    """A scenario whose only task has these lines."""
    return NAME + TARGET + USER + "[[users.tasks]]\n" + "\n".join(lines) + "\n"


def profile(*lines: str) -> str:
    return BASE + "[profiles.p]\n" + "\n".join(lines) + "\n"


CASES: list[tuple[str, str, str, str]] = [
    # (id, text, path, message fragment)
    ("top-typo", 'nmae = "x"  #<\n' + BASE, "nmae", 'unknown key. Did you mean "name"?'),
    ("name-type", "name = 5 #<\n" + TARGET + USER + TASK, "name", "expected a string, got integer"),
    ("no-targets", NAME + USER + TASK, "targets", "missing targets"),
    ("empty-targets", NAME + "[targets] #<\n" + USER + TASK, "targets", "no targets"),
    ("targets-type", NAME + 'targets = "x" #<\n' + USER + TASK, "targets", "expected a table"),
    (
        "target-type",
        NAME + "[targets]\nlocal = 1 #<\n" + USER + TASK,
        "targets.local",
        "target table",
    ),
    (
        "url-missing",
        NAME + "[targets.local] #<\n" + USER + TASK,
        "targets.local.url",
        "missing url",
    ),
    (
        "url-scheme",
        NAME + '[targets.local]\nurl = "ftp://h" #<\n' + USER + TASK,
        "targets.local.url",
        "scheme must be http, https, ws or wss",
    ),
    (
        "url-host",
        NAME + '[targets.local]\nurl = "http://" #<\n' + USER + TASK,
        "targets.local.url",
        "has no host",
    ),
    (
        "url-query",
        NAME + '[targets.local]\nurl = "http://127.0.0.1/?a=1" #<\n' + USER + TASK,
        "targets.local.url",
        "no query",
    ),
    (
        "url-port",
        NAME + '[targets.local]\nurl = "http://127.0.0.1:99999" #<\n' + USER + TASK,
        "targets.local.url",
        "is not a URL",
    ),
    (
        "target-typo",
        NAME + TARGET + "verify_tsl = true #<\n" + USER + TASK,
        "targets.local.verify_tsl",
        'Did you mean "verify_tls"?',
    ),
    (
        "timeout-negative",
        TARGET.replace("[targets", NAME + "[targets") + 'timeout = "-1s" #<\n' + USER + TASK,
        "targets.local.timeout",
        "must not be negative",
    ),
    (
        "timeout-zero",
        NAME + TARGET + "timeout = 0 #<\n" + USER + TASK,
        "targets.local.timeout",
        "positive duration",
    ),
    (
        "timeout-key",
        NAME + TARGET + 'timeout = { conect = "1s" } #<\n' + USER + TASK,
        "targets.local.timeout.conect",
        'Did you mean "connect"?',
    ),
    (
        "verify-type",
        NAME + TARGET + 'verify_tls = "yes" #<\n' + USER + TASK,
        "targets.local.verify_tls",
        "expected true or false, got string",
    ),
    (
        "max-conn",
        NAME + TARGET + "max_connections = 0 #<\n" + USER + TASK,
        "targets.local.max_connections",
        "at least 1",
    ),
    (
        "max-conn-float",
        NAME + TARGET + "max_connections = 1.5 #<\n" + USER + TASK,
        "targets.local.max_connections",
        "expected an integer",
    ),
    (
        "header-name",
        NAME + TARGET + 'headers = { "Bad Header" = "x" } #<\n' + USER + TASK,
        'targets.local.headers."Bad Header"',
        "not a valid header name",
    ),
    (
        "header-value",
        NAME + TARGET + "headers = { X = [1] } #<\n" + USER + TASK,
        "targets.local.headers.X",
        "expected a string",
    ),
    ("no-users", NAME + TARGET, "users", "missing users"),
    ("empty-users", NAME + "users = [] #<\n" + TARGET, "users", "no user classes"),
    ("user-type", NAME + "users = [1] #<\n" + TARGET, "users[0]", "expected a user table"),
    (
        "user-weight",
        BASE.replace('name = "u"', 'name = "u"\nweight = 0 #<'),
        "users[0].weight",
        "greater than 0",
    ),
    (
        "user-wait",
        BASE.replace('name = "u"', 'name = "u"\nwait = "sometimes(1s)" #<'),
        "users[0].wait",
        "unknown wait kind",
    ),
    (
        "user-no-tasks",
        NAME + TARGET + '[[users]] #<\nname = "u"\n',
        "users[0].tasks",
        "has no tasks",
    ),
    (
        "user-empty-tasks",
        NAME + TARGET + '[[users]]\nname = "u"\ntasks = [] #<\n',
        "users[0].tasks",
        "is empty",
    ),
    (
        "tasks-type",
        NAME + TARGET + '[[users]]\nname = "u"\ntasks = "x" #<\n',
        "users[0].tasks",
        "expected an array of task tables",
    ),
    (
        "websocket-type",
        BASE + '[[users]]\nname = "w"\nwebsocket = 3 #<\n',
        "users[1].websocket",
        "expected a table",
    ),
    ("user-dup", BASE + '[[users]]\nname = "u" #<\n' + TASK, "users[1].name", "duplicate user"),
    (
        "user-typo",
        BASE.replace('name = "u"', 'name = "u"\nwiat = "none" #<'),
        "users[0].wiat",
        'Did you mean "wait"?',
    ),
    (
        "variables",
        BASE.replace('name = "u"', 'name = "u"\nvariables = { "1x" = "a" } #<'),
        "users[0].variables.1x",
        "not a variable name",
    ),
    (
        "task-typo",
        task('methd = "GET" #<', 'path = "/"'),
        "users[0].tasks[0].methd",
        'unknown key. Did you mean "method"?',
    ),
    (
        "method",
        task('method = "FETCH" #<', 'path = "/"'),
        "users[0].tasks[0].method",
        "not an HTTP method",
    ),
    (
        "path-missing",
        NAME + TARGET + USER + '[[users.tasks]] #<\nmethod = "GET"\n',
        "users[0].tasks[0].path",
        "missing path",
    ),
    ("path-slash", task('path = "api" #<'), "users[0].tasks[0].path", "must start with /"),
    ("path-space", task('path = "/a b" #<'), "users[0].tasks[0].path", "whitespace"),
    (
        "two-bodies",
        task('path = "/"', "json = {}", 'body = "x" #<'),
        "users[0].tasks[0].body",
        "one body",
    ),
    (
        "content-type",
        task('path = "/"', 'content_type = "text/plain" #<'),
        "users[0].tasks[0].content_type",
        "there is no body",
    ),
    (
        "json-date",
        task('path = "/"', "json = { at = 1979-05-27 } #<"),
        "users[0].tasks[0].json",
        "JSON cannot encode",
    ),
    ("raw-type", task('path = "/"', "body = 5 #<"), "users[0].tasks[0].body", "expected a string"),
    (
        "status",
        task('path = "/"', "checks = { status = [200, 999] } #<"),
        "users[0].tasks[0].checks.status",
        "999",
    ),
    (
        "pointer",
        task('path = "/"', 'checks = { json = { "status" = "ok" } } #<'),
        "users[0].tasks[0].checks.json.status",
        "not a JSON pointer",
    ),
    (
        "max-latency",
        task('path = "/"', 'checks = { max_latency = "-5ms" } #<'),
        "users[0].tasks[0].checks.max_latency",
        "negative",
    ),
    (
        "checks-typo",
        task('path = "/"', "checks = { statuss = 200 } #<"),
        "users[0].tasks[0].checks.statuss",
        'Did you mean "status"?',
    ),
    (
        "body-contains",
        task('path = "/"', 'checks = { body_contains = "" } #<'),
        "users[0].tasks[0].checks.body_contains",
        "must not be empty",
    ),
    (
        "extract-pointer",
        task('path = "/"', 'extract = [{ var = "t", json = "token" }] #<'),
        "users[0].tasks[0].extract[0].json",
        "not a JSON pointer",
    ),
    (
        "extract-var",
        task('path = "/"', 'extract = [{ json = "/t" }] #<'),
        "users[0].tasks[0].extract[0].var",
        "missing var",
    ),
    (
        "extract-var-name",
        task('path = "/"', 'extract = [{ var = "a-b", json = "/t" }] #<'),
        "users[0].tasks[0].extract[0].var",
        "not a variable name",
    ),
    (
        "extract-none",
        task('path = "/"', 'extract = [{ var = "t" }] #<'),
        "users[0].tasks[0].extract[0]",
        "needs json",
    ),
    (
        "extract-both",
        task('path = "/"', 'extract = [{ var = "t", json = "/t", header = "X" }] #<'),
        "users[0].tasks[0].extract[0].header",
        "not both",
    ),
    (
        "extract-type",
        task('path = "/"', 'extract = { var = "t" } #<'),
        "users[0].tasks[0].extract",
        "expected an array of extract tables",
    ),
    (
        "on-429",
        task('path = "/"', 'on_429 = "retry" #<'),
        "users[0].tasks[0].on_429",
        'not one of "count", "honor"',
    ),
    (
        "task-weight",
        task('path = "/"', "weight = -1 #<"),
        "users[0].tasks[0].weight",
        "greater than 0",
    ),
    (
        "task-dup",
        BASE + '[[users.tasks]]\nname = "root" #<\npath = "/x"\n',
        "users[0].tasks[1].name",
        "duplicate task name",
    ),
    (
        "task-total-row",
        task('name = "Aggregated" #<', 'path = "/"'),
        "users[0].tasks[0].name",
        "the name of a row every run has",
    ),
    (
        "stream-total-row",
        NAME + TARGET + USER + '[users.websocket]\nname = "Aggregated" #<\npath = "/ws"\n',
        "users[0].websocket.name",
        "the name of a row every run has",
    ),
    (
        "task-overflow-row",
        task('name = "(other names)" #<', 'path = "/"'),
        "users[0].tasks[0].name",
        "the name of a row every run has",
    ),
    (
        "query",
        task('path = "/"', "query = { k = { a = 1 } } #<"),
        "users[0].tasks[0].query.k",
        "expected a string, number or array",
    ),
    ("call-form", task('call = "nocolon" #<'), "users[0].tasks[0].call", "not module:function"),
    (
        "call-http-key",
        task('call = "m:f"', 'method = "GET" #<'),
        "users[0].tasks[0].method",
        "does not apply to a Python task",
    ),
    (
        "call-missing-module",
        task('call = "surely_absent_mod:run" #<'),
        "users[0].tasks[0].call",
        "not found",
    ),
    ("profile-type", BASE + "[profiles]\np = 3 #<\n", "profiles.p", "expected a profile table"),
    (
        "stages-missing",
        profile('description = "x"').replace("[profiles.p]", "[profiles.p] #<"),
        "profiles.p.stages",
        "missing stages",
    ),
    ("stages-empty", profile("stages = [] #<"), "profiles.p.stages", "is empty"),
    ("stage-type", profile("stages = [3] #<"), "profiles.p.stages[0]", "expected a stage table"),
    (
        "stage-duration",
        profile("stages = [{ users = 3 }] #<"),
        "profiles.p.stages[0].duration",
        "missing duration",
    ),
    (
        "stage-negative",
        profile('stages = [{ duration = "-1m", users = 3 }] #<'),
        "profiles.p.stages[0].duration",
        "negative",
    ),
    (
        "stage-users",
        profile('model = "closed"', 'stages = [{ duration = "1m" }] #<'),
        "profiles.p.stages[0].users",
        "missing users",
    ),
    (
        "closed-rate",
        profile('model = "closed"', 'stages = [{ duration = "1m", rate = 3 }] #<'),
        "profiles.p.stages[0].rate",
        "closed-model stages take users",
    ),
    (
        "open-users",
        profile('model = "open"', 'stages = [{ duration = "1m", users = 3 }] #<'),
        "profiles.p.stages[0].users",
        "open-model stages take rate",
    ),
    (
        "open-rate",
        profile('model = "open"', 'stages = [{ duration = "1m" }] #<'),
        "profiles.p.stages[0].rate",
        "missing rate",
    ),
    (
        "spawn-rate",
        profile('stages = [{ duration = "1m", users = 3, spawn_rate = 0 }] #<'),
        "profiles.p.stages[0].spawn_rate",
        "greater than 0",
    ),
    (
        "users-negative",
        profile('stages = [{ duration = "1m", users = -3 }] #<'),
        "profiles.p.stages[0].users",
        "at least 0",
    ),
    (
        "zero-length",
        profile('stages = [{ duration = "0s", users = 3 }] #<'),
        "profiles.p.stages",
        "0 s in total",
    ),
    (
        "model",
        profile('model = "half-open" #<', 'stages = [{ duration = "1m", users = 3 }]'),
        "profiles.p.model",
        "is not one of",
    ),
    (
        "repeat",
        profile("repeat = 0 #<", 'stages = [{ duration = "1m", users = 3 }]'),
        "profiles.p.repeat",
        "at least 1",
    ),
    (
        "start-rate-closed",
        profile("start_rate = 3 #<", 'stages = [{ duration = "1m", users = 3 }]'),
        "profiles.p.start_rate",
        "open model only",
    ),
    (
        "burst-length",
        profile(
            'stages = [{ duration = "1m", users = 3 }]',
            'burst = { every = "10s", length = "10s", users = 9 } #<',
        ),
        "profiles.p.burst.length",
        "shorter than every",
    ),
    (
        "burst-model",
        profile(
            'stages = [{ duration = "1m", rate = 3 }]',
            'burst = { every = "10s", length = "1s", users = 9 } #<',
        ),
        "profiles.p.burst.users",
        "open-model burst sets rate",
    ),
    (
        "burst-every",
        profile(
            'stages = [{ duration = "1m", users = 3 }]', 'burst = { length = "1s", users = 9 } #<'
        ),
        "profiles.p.burst.every",
        "missing every",
    ),
    (
        "burst-want",
        profile(
            'stages = [{ duration = "1m", users = 3 }]',
            'burst = { every = "10s", length = "1s" } #<',
        ),
        "profiles.p.burst.users",
        "missing users",
    ),
    (
        "profile-typo",
        profile("stage = [] #<", 'stages = [{ duration = "1m", users = 3 }]'),
        "profiles.p.stage",
        'Did you mean "stages"?',
    ),
    (
        "threshold-metric",
        BASE + '[thresholds]\np98 = "< 1s" #<\n',
        "thresholds.p98",
        'Did you mean "p99"?',
    ),
    (
        "threshold-value",
        BASE + '[thresholds]\np99 = "< fast" #<\n',
        "thresholds.p99",
        "cannot read 'fast'",
    ),
    ("threshold-type", BASE + "[thresholds]\np99 = 5 #<\n", "thresholds.p99", "expected a string"),
    (
        "threshold-p99.9",
        BASE + '[thresholds]\np99.9 = "< 1s" #<\n',
        "thresholds.p99",
        'quote the key: "p99.9"',
    ),
    (
        "threshold-rate",
        BASE + '[thresholds]\nerror_rate = "< 150%" #<\n',
        "thresholds.error_rate",
        "above 100 %",
    ),
    (
        "threshold-endpoint",
        BASE + '[thresholds.endpoints.rot] #<\np99 = "< 1s"\n',
        "thresholds.endpoints.rot",
        "no task is named 'rot'. Did you mean \"root\"?",
    ),
    (
        "threshold-endpoint-metric",
        BASE + '[thresholds.endpoints.root]\np9 = "< 1s" #<\n',
        "thresholds.endpoints.root.p9",
        "unknown threshold metric",
    ),
    ("thresholds-type", "thresholds = 3 #<\n" + BASE, "thresholds", "expected a table"),
    (
        "env-missing",
        NAME + '[targets.local]\nurl = "${NO_SUCH_VAR_X}" #<\n' + USER + TASK,
        "targets.local.url",
        "environment variable NO_SUCH_VAR_X is not set",
    ),
    (
        "env-unterminated",
        NAME + TARGET + USER + '[[users.tasks]]\npath = "/${HOME" #<\n',
        "users[0].tasks[0].path",
        "unterminated ${",
    ),
    (
        "env-bad-name",
        NAME + TARGET + USER + '[[users.tasks]]\npath = "/${1x}" #<\n',
        "users[0].tasks[0].path",
        "bad environment variable name",
    ),
]


def marked_line(text: str) -> int | None:
    return next((i for i, line in enumerate(text.splitlines(), 1) if "#<" in line), None)


@pytest.mark.parametrize(
    ("text", "path", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_error_path(text: str, path: str, fragment: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, "case.toml", env={"HOME": "/root"})
    problems = info.value.problems
    match = [p for p in problems if p.path == path]
    assert match, f"no problem at {path}: {info.value}"
    problem = match[0]
    assert fragment in problem.format(), problem.format()
    assert problem.file == "case.toml"
    assert problem.line == marked_line(text), info.value.format()


def test_the_documented_message_format() -> None:
    head = [NAME.strip(), TARGET.strip(), USER.strip(), TASK.strip(), "", "", "", ""]
    text = "\n".join([*head, "[[users.tasks]]", 'methd = "GET"', 'path = "/x"'])
    assert text.splitlines()[13] == 'methd = "GET"'
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, "scenarios/x.toml", env={})
    assert str(info.value) == (
        'scenarios/x.toml:14: users[0].tasks[1].methd: unknown key. Did you mean "method"?'
    )
    assert info.value.problems == [
        Problem(
            "scenarios/x.toml",
            14,
            "users[0].tasks[1].methd",
            "unknown key",
            'Did you mean "method"?',
        )
    ]


def test_every_problem_is_reported_at_once_in_line_order() -> None:
    text = (
        'nmae = "x"\n'  # 1
        '[targets.a]\nurl = "gopher://h"\n'  # 2-3
        '[[users]]\nname = "u"\nwait = "soon"\n'  # 4-6
        '[[users.tasks]]\nmethod = "FETCH"\npath = "x"\n'  # 7-9
        '[profiles.p]\nstages = [{ duration = "1m", rate = 1, users = 2 }]\n'  # 10-11
        '[thresholds]\np99 = "fast"\n'  # 12-13
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, "multi.toml", env={})
    got = [(p.line, p.path) for p in info.value.problems]
    assert got == [
        (1, "nmae"),
        (3, "targets.a.url"),
        (6, "users[0].wait"),
        (8, "users[0].tasks[0].method"),
        (9, "users[0].tasks[0].path"),
        (11, "profiles.p.stages[0].rate"),
        (13, "thresholds.p99"),
    ]
    assert len(str(info.value).splitlines()) == 7


def test_one_problem_per_field() -> None:
    # The missing variable empties the URL; it must not also be reported as malformed.
    text = NAME + '[targets.a]\nurl = "${NOPE_NOPE}"\n' + USER + TASK
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, env={})
    assert [p.path for p in info.value.problems] == ["targets.a.url"]
    assert info.value.problems[0].file == "<string>"


def test_syntax_error_has_its_line() -> None:
    text = BASE + "[profiles.p]\nstages = [{ duration = \n"
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, "bad.toml", env={})
    (problem,) = info.value.problems
    assert problem.path == ""
    assert problem.line == len(text.splitlines())
    assert problem.message.startswith("TOML syntax error: ")
    assert "(at line" not in problem.message
    assert str(info.value).startswith(f"bad.toml:{problem.line}: TOML syntax error")


def test_unreadable_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from loadtui.scenario import load_scenario

    with pytest.raises(ScenarioError, match="cannot read file"):
        load_scenario(tmp_path / "absent.toml")
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"name = '\xff\xfe'\n")
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_scenario(binary)
    with pytest.raises(ScenarioError, match="cannot read file"):
        load_scenario(tmp_path)  # a folder
