"""The scenario as the engine sees it: frozen dataclasses, validated once at load.

Everything here is plain data (no I/O, no parsing), so a Plan can cross a thread or
process boundary and be compared in tests. Durations are seconds (float), latencies
in thresholds are milliseconds, rates are per second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from loadtui.scenario.threshold_metrics import RATE_LIMITED_COUNT, Scope
from loadtui.scenario.wsspec import Backoff as Backoff
from loadtui.scenario.wsspec import Reconnect as Reconnect
from loadtui.scenario.wsspec import WebSocketSpec as WebSocketSpec
from loadtui.scenario.wsspec import WsMessage as WsMessage

WaitKind = Literal["none", "constant", "uniform", "exponential", "pacing"]
Model = Literal["closed", "open"]
Op = Literal["<", "<=", ">", ">=", "=="]
Pairs = tuple[tuple[str, str], ...]
BodyFormat = Literal["json", "msgpack", "raw"]
Order = Literal["random", "sequence"]


@dataclass(frozen=True)
class Timeouts:
    """Per-request limits in seconds; `total` bounds connect + send + read."""

    connect: float = 10.0
    read: float = 30.0
    total: float = 60.0


@dataclass(frozen=True)
class Target:
    name: str
    url: str  # scheme://host[:port][/base-path], no trailing slash
    headers: Pairs = ()
    timeouts: Timeouts = field(default_factory=Timeouts)
    verify_tls: bool = True
    http2: bool = False
    max_connections: int = 10_000  # pool cap per origin; extra requests wait
    # A response whose header block or kept body grows past these is a `too large`
    # failure and its connection is closed: a hostile target cannot grow our memory.
    max_header_size: int = 64 * 1024
    max_body_size: int = 10 * 1024 * 1024
    # "basic": send the URL's user:password as Basic auth; "none": never send them
    # (they are still redacted everywhere the URL is shown).
    auth: Literal["none", "basic"] = "none"


@dataclass(frozen=True)
class Wait:
    """Think time between tasks. `pacing` means one task start every `a` seconds."""

    kind: WaitKind = "none"
    a: float = 0.0  # constant / uniform low / exponential mean / pacing interval
    b: float = 0.0  # uniform high

    def text(self) -> str:
        if self.kind == "none":
            return "none"
        if self.kind == "uniform":
            return f"uniform({self.a:g}s, {self.b:g}s)"
        return f"{self.kind}({self.a:g}s)"


HeaderRule = Literal["present", "absent", "equals", "regex"]
JsonOp = Literal["exists", "absent", "==", "!=", "<", "<=", ">", ">="]


@dataclass(frozen=True)
class HeaderCheck:
    """`"retry-after" = "present"`: a response header there, not there, or with a value
    equal to `value` or matching the regex `value` (searched, as text)."""

    name: str  # lower case
    rule: HeaderRule
    value: str = ""


@dataclass(frozen=True)
class JsonCheck:
    """`"/count" = "> 0"`: a JSON field compared with `value` (numbers for < <= > >=,
    any JSON value for == !=), or only required to exist / be absent."""

    pointer: str
    op: JsonOp
    value: Any = None


@dataclass(frozen=True)
class Checks:
    """What makes a response a failure, apart from transport errors.

    With no `status` set, any status >= 400 fails (as in Locust and k6). Regexes are
    kept as text (checked at load, compiled by the engine), so a Checks stays plain data.
    A rate-limited response (429, 503 with Retry-After) is judged only by
    `on_rate_limited`, which holds no status or latency rule.
    """

    status: frozenset[int] | None = None
    body_contains: str | None = None
    json_equals: tuple[tuple[str, Any], ...] = ()  # (JSON pointer, expected value)
    max_latency: float | None = None  # seconds
    body_regex: str | None = None
    json: tuple[JsonCheck, ...] = ()
    headers: tuple[HeaderCheck, ...] = ()
    on_rate_limited: Checks | None = None

    @property
    def needs_body(self) -> bool:
        return (
            self.body_contains is not None
            or self.body_regex is not None
            or bool(self.json_equals or self.json)
            or (self.on_rate_limited is not None and self.on_rate_limited.needs_body)
        )

    @property
    def needs_headers(self) -> bool:
        """Header checks on ordinary responses (a rate-limited one's are always kept)."""
        return bool(self.headers)


@dataclass(frozen=True)
class Extract:
    """Save a value from a response into a user variable for later tasks."""

    var: str
    json: str | None = None  # JSON pointer, e.g. "/token" or "/items/0/id"
    header: str | None = None  # response header name, case-insensitive


@dataclass(frozen=True)
class HttpTask:
    """A declarative request. `{var}` in path, query, headers and body is a user variable.

    `body` holds the encoded body (JSON, msgpack or raw); when `templated` is False the
    whole request is encoded once and reused byte for byte.
    """

    name: str
    method: str = "GET"
    path: str = "/"
    weight: float = 1.0
    query: Pairs = ()
    headers: Pairs = ()
    body: bytes | None = None
    content_type: str | None = None
    body_template: Any = None  # JSON/msgpack value with `{var}` strings, when templated
    body_format: BodyFormat | None = None
    templated: bool = False
    checks: Checks = field(default_factory=Checks)
    extract: tuple[Extract, ...] = ()
    on_429: Literal["count", "honor"] = "count"
    tags: tuple[str, ...] = ()  # for --tags / --exclude-tags (scenario/tags.py)

    @property
    def needs_body(self) -> bool:
        return self.checks.needs_body or any(e.json for e in self.extract)

    @property
    def needs_headers(self) -> bool:
        return (
            self.on_429 == "honor"
            or any(e.header for e in self.extract)
            or self.checks.needs_headers
        )


@dataclass(frozen=True)
class PythonTask:
    """`call = "module:function"`: async def fn(client: httpx.AsyncClient, vars: dict)."""

    name: str
    module: str
    function: str
    weight: float = 1.0
    search_path: str = ""  # the scenario's folder, put on sys.path to import `module`
    tags: tuple[str, ...] = ()


Task = HttpTask | PythonTask


@dataclass(frozen=True)
class UserClass:
    name: str
    weight: float = 1.0
    wait: Wait = field(default_factory=Wait)
    tasks: tuple[Task, ...] = ()
    on_start: tuple[Task, ...] = ()  # run once, in order, when the user starts
    variables: Pairs = ()  # initial user variables
    websocket: WebSocketSpec | None = None  # a stream each user of this class keeps open
    tags: tuple[str, ...] = ()  # count as tags of each of its tasks
    # "random": each task picked by weight; "sequence": the tasks in file order, a pass
    # after another (an ordered flow: a step's extracted variables feed the next ones).
    order: Order = "random"
    on_stop: tuple[Task, ...] = ()  # run once, in order, when the user is retired or stopped


@dataclass(frozen=True)
class Stage:
    """One step of a profile.

    Closed model: reach `users` at `spawn_rate` users/s, then hold until `duration` ends.
    Open model: ramp the arrival rate linearly from the previous stage's rate to `rate`
    over `duration` (the first stage starts at the profile's `start_rate`, or its own).
    """

    duration: float
    users: int | None = None
    spawn_rate: float | None = None
    rate: float | None = None
    streams: int | None = None  # extra stream-only sessions (classes with a websocket)


@dataclass(frozen=True)
class Burst:
    """Every `every` seconds (after `offset`), for `length` seconds, load jumps to
    `rate` (open model) or `users` (closed model), then returns to the stage level."""

    every: float
    length: float
    rate: float | None = None
    users: int | None = None
    offset: float = 0.0


@dataclass(frozen=True)
class Profile:
    name: str
    model: Model = "closed"
    stages: tuple[Stage, ...] = ()
    repeat: int = 1
    burst: Burst | None = None
    start_rate: float | None = None
    max_inflight: int = 10_000  # open model: starts beyond this many in flight are dropped
    description: str = ""
    warmup: int = 0  # HTTP connections opened before t = 0 (split over the workers)
    classes: tuple[str, ...] = ()  # the user classes this profile runs (empty: all)
    # Closed model: the run ends once this many iterations (a task, or a pass of an
    # ordered flow) have run in all, over every user and worker; None: no count.
    iterations: int | None = None

    @property
    def duration(self) -> float:
        return sum(s.duration for s in self.stages) * max(1, self.repeat)


@dataclass(frozen=True)
class Threshold:
    """`p95 = "< 2000ms"` → Threshold("p95", "<", 2000.0). Units follow the metric (see
    threshold_metrics): latencies in ms, shares a fraction (1 % → 0.01), counts, rps
    per second, sizes in bytes, CPU in percent of one core, `false` as 0.

    scope "run": the whole run, or one task when `endpoint` is set; "websocket": all
    streams, or one when `stream` is set; "target": the watched target processes.
    """

    metric: str  # e.g. p95, error_rate, status_429, rtt_p99, rss_growth (threshold_metrics)
    op: Op
    value: float
    endpoint: str | None = None
    text: str = ""
    scope: Scope = "run"
    stream: str | None = None

    @property
    def key(self) -> str:
        """The metric as written in the scenario (`rate_limited` for its count form)."""
        return "rate_limited" if self.metric == RATE_LIMITED_COUNT else self.metric

    @property
    def where(self) -> str:
        """What the threshold is about, as a label's prefix: "", "GET /x", "websocket",
        "websocket chat", "target"."""
        if self.scope == "websocket":
            return f"websocket {self.stream}" if self.stream else "websocket"
        if self.scope == "target":
            return "target"
        return self.endpoint or ""

    @property
    def label(self) -> str:
        where = f"{self.where}: " if self.where else ""
        return f"{where}{self.key} {self.text or f'{self.op} {self.value:g}'}"


@dataclass(frozen=True)
class Selection:
    """`--tags` / `--exclude-tags`: which tasks of the file a run kept (scenario/tags.py).
    Recorded in the scenario it narrowed, so a re-run narrows the file the same way."""

    tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()


DataMode = Literal["cycle", "random", "unique"]
DataPick = Literal["per_user", "per_iteration"]


@dataclass(frozen=True)
class DataSpec:
    """`[data.NAME]`: rows of a CSV (header row first) or JSON Lines file, filled in as
    `{NAME.column}`. Only what the file is and how its rows are handed out: the rows
    themselves are read by each worker (engine/feeders.py), never carried in the plan.

    mode "cycle": in file order, round and round; "random": any row each time;
    "unique": each row once in the whole run (worker i of n takes rows i, i+n, ...),
    then `on_exhausted`: "stop" ends the run, "cycle" starts over. pick "per_user": a
    user keeps the row it got when it started; "per_iteration": a new row each iteration.
    """

    name: str
    path: str  # absolute
    format: Literal["csv", "jsonl"]
    columns: tuple[str, ...]  # the file's, in order
    rows: int  # counted when the scenario was loaded
    mode: DataMode = "cycle"
    pick: DataPick = "per_user"
    on_exhausted: Literal["stop", "cycle"] = "stop"
    used: tuple[str, ...] = ()  # the columns the scenario's placeholders name


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str = ""  # file it came from, for messages and python-task imports
    description: str = ""
    targets: tuple[Target, ...] = ()
    users: tuple[UserClass, ...] = ()
    profiles: tuple[Profile, ...] = ()
    thresholds: tuple[Threshold, ...] = ()
    data: tuple[DataSpec, ...] = ()  # [data.NAME] feeders
    selection: Selection = field(default_factory=Selection)  # what --tags/-E kept of the file

    def target(self, name: str) -> Target | None:
        return next((t for t in self.targets if t.name == name), None)

    def profile(self, name: str) -> Profile | None:
        return next((p for p in self.profiles if p.name == name), None)

    def dataset(self, name: str) -> DataSpec | None:
        return next((d for d in self.data if d.name == name), None)
