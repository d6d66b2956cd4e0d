"""Session records checked as they are read: every field a command uses has the type and
the range the writer gives it, or `Malformed` names the one that does not.

The records map onto frozen dataclasses (Snapshot and its parts, Event, Profile, Stage,
Burst, Threshold); their type hints say what each field holds, so one builder per class
is compiled from them: whole numbers are ints (not bools), other numbers finite and
within bounds, texts strings, `Literal`s one of their words, tables tables, histograms
checked by histcheck. Keys a class does not know are ignored (a newer minor version
may add some); a missing field takes its default, or is an error when it has none.

Bounds are generous (a run of years, counts of 10^15) and exist so that no figure can
overflow a date, a format or a loop further on: a session from `loadtui run` always fits.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable, Mapping
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from loadtui.scenario.bounds import MAX_RATE, MAX_REPEAT, MAX_SPAWN_RATE, MAX_STAGES, MAX_USERS
from loadtui.scenario.model import Profile, Selection, Threshold
from loadtui.scenario.threshold_metrics import RATE_LIMITED_COUNT, known_in
from loadtui.session.histcheck import check_histogram
from loadtui.session.strict_json import MAX_DEPTH, depth

MAX_COUNT = 10**15
MAX_NUMBER = 1e15
MAX_SECONDS = 1e9  # ~31 years: longer than any run (a profile "until stopped" is 10)
MAX_WALL = 253_402_300_799.0  # 9999-12-31T23:59:59Z, the last second a date can show
MAX_TEXT = 100_000
MAX_ENTRIES = 100_000  # in any one table or list of a record
MAX_PID = 2**31 - 1

# Fields whose range is not [0, MAX_NUMBER] / [0, MAX_COUNT] (by name, in any record
# class). A profile's levels keep to the loader's bounds (scenario/bounds.py): `rerun`
# sends what the session's profile says, so it may not ask for more than a scenario.
_SECONDS = ("t", "interval_s", "stage_left_s", "run_left_s", "waited_s")
_PROFILE_SECONDS = ("duration", "every", "length", "offset")  # FOREVER is 10 years
RANGES: dict[str, tuple[float, float]] = {
    **dict.fromkeys(_SECONDS, (0.0, MAX_SECONDS)),
    **dict.fromkeys(_PROFILE_SECONDS, (0.0, MAX_SECONDS)),
    "wall": (0.0, MAX_WALL),
    "stage": (-1, MAX_COUNT),  # -1: the operator overrides the profile
    "value": (-MAX_NUMBER, MAX_NUMBER),  # a threshold's limit
    **dict.fromkeys(("users", "streams", "max_inflight"), (0, MAX_USERS)),
    **dict.fromkeys(("rate", "start_rate"), (0.0, MAX_RATE)),
    "spawn_rate": (0.0, MAX_SPAWN_RATE),
    "repeat": (1, MAX_REPEAT),
}


class Malformed(ValueError):
    """A field that is not what the writer writes: `where` names it (a dotted path),
    `problem` says what is wrong. The path is built on the way out of the nested
    checks (`within`), so reading a good record formats no path at all."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}" if where else problem)
        self.where = where
        self.problem = problem

    def within(self, outer: str) -> Malformed:
        """The same problem, one level up: `outer` + `.where` (or `[i]`)."""
        if not outer:
            return self
        joint = "" if not self.where or self.where.startswith("[") else "."
        return Malformed(f"{outer}{joint}{self.where}", self.problem)


Check = Callable[[Any, str], Any]


def kind(value: object) -> str:
    """What a JSON value is, in the words of a message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


# ---- scalars -------------------------------------------------------------------------


def whole(value: Any, where: str, lo: float = 0, hi: float = MAX_COUNT) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Malformed(where, f"expected a whole number, got {kind(value)}")
    if not lo <= value <= hi:
        raise Malformed(where, f"{_short(value)} is out of range ({lo:g} to {hi:g})")
    return value


def number(value: Any, where: str, lo: float = 0.0, hi: float = MAX_NUMBER) -> float:
    """A finite number in [lo, hi]; an int stays an int (the figures round-trip exactly)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Malformed(where, f"expected a number, got {kind(value)}")
    if not lo <= value <= hi:  # NaN fails this too
        raise Malformed(where, f"{_short(value)} is out of range ({lo:g} to {hi:g})")
    return value


def text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise Malformed(where, f"expected text, got {kind(value)}")
    if len(value) > MAX_TEXT:
        raise Malformed(where, f"text of {len(value):,} characters is too long")
    return value


def boolean(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise Malformed(where, f"expected true or false, got {kind(value)}")
    return value


def table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Malformed(where, f"expected a table, got {kind(value)}")
    if len(value) > MAX_ENTRIES:
        raise Malformed(where, f"{len(value):,} entries is too many")
    return value


def listing(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise Malformed(where, f"expected a list, got {kind(value)}")
    if len(value) > MAX_ENTRIES:
        raise Malformed(where, f"{len(value):,} entries is too many")
    return value


def plain(value: Any, where: str, limit: int = MAX_DEPTH) -> Any:
    """Any JSON value nested at most `limit` deep (free-form data: event details...)."""
    if depth(value, limit) > limit:
        raise Malformed(where, f"nested more than {limit} deep")
    return value


def histogram(value: Any, where: str) -> bytes:
    try:
        return check_histogram(value)
    except ValueError as exc:
        raise Malformed(where, str(exc)) from None


def _short(value: float) -> str:
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    return shown if len(shown) <= 24 else shown[:21] + "..."


# ---- checks compiled from type hints -------------------------------------------------


def _number_check(name: str, integral: bool) -> Check:
    lo, hi = RANGES.get(name, (0, MAX_COUNT if integral else MAX_NUMBER))
    if integral:
        return lambda v, w: whole(v, w, lo, hi)
    return lambda v, w: number(v, w, lo, hi)


def _key_check(tp: Any) -> Callable[[str, str], Any]:
    if tp is int:

        def int_key(k: str, where: str) -> int:
            if not (k.isascii() and k.isdigit() and len(k) <= 6):
                raise Malformed(where, f"key {k[:20]!r} is not a code")
            return int(k)

        return int_key
    return lambda k, where: text(k, where)


def _check_for(name: str, tp: Any) -> Check:
    """How to check (and convert) one field of type `tp`."""
    origin, args = get_origin(tp), get_args(tp)
    if tp is bool:
        return boolean
    if tp is int or tp is float:
        return _number_check(name, tp is int)
    if tp is str:
        return text
    if tp is bytes:
        return histogram
    if tp is Any:
        return plain
    if origin is Literal:
        words = frozenset(args)

        def one_of(v: Any, where: str) -> Any:
            if not isinstance(v, str) or v not in words:
                allowed = ", ".join(sorted(map(str, words)))
                raise Malformed(where, f"expected one of {allowed}, got {_word(v)}")
            return v

        return one_of
    if origin in (Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        check = _check_for(name, inner[0] if len(inner) == 1 else Any)
        return lambda v, w: None if v is None else check(v, w)
    if origin is dict:
        return _table_of(_key_check(args[0]), _check_for(name, args[1]))
    if origin is tuple:
        return _list_of(_check_for(name, args[0]))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return builder(tp)
    raise TypeError(f"no session check for {tp!r}")  # pragma: no cover - a model change


def _table_of(key: Callable[[str, str], Any], value: Check) -> Check:
    def check(v: Any, where: str) -> dict[Any, Any]:
        out = {}
        for k, x in table(v, where).items():
            try:
                out[key(k, "")] = value(x, k if len(k) <= 40 else f"{k[:37]}...")
            except Malformed as exc:
                raise exc.within(where) from None
        return out

    return check


def _list_of(item: Check) -> Check:
    def check(v: Any, where: str) -> tuple[Any, ...]:
        out = []
        for i, x in enumerate(listing(v, where)):
            try:
                out.append(item(x, ""))
            except Malformed as exc:
                raise exc.within(f"{where}[{i}]") from None
        return tuple(out)

    return check


def _word(value: Any) -> str:
    return repr(value[:20]) if isinstance(value, str) else kind(value)


_MISSING = object()
_BUILDERS: dict[tuple[type, tuple[tuple[str, Any], ...]], Builder] = {}


class Builder:
    """Makes `cls` from a record, checking every field it reads (see the module doc)."""

    def __init__(self, cls: type, defaults: Mapping[str, Any]) -> None:
        self.cls = cls
        hints = get_type_hints(cls)
        self.plan: list[tuple[str, Check, bool]] = []  # name, check, has a default
        for f in dataclasses.fields(cls):
            has_default = (
                f.default is not dataclasses.MISSING
                or f.default_factory is not dataclasses.MISSING
                or f.name in defaults
            )
            self.plan.append((f.name, _check_for(f.name, hints[f.name]), has_default))
        self.defaults = dict(defaults)

    def __call__(self, record: Any, where: str, **given: Any) -> Any:
        """`cls` from `record`; `given` fields are taken as they are, not read."""
        data = table(record, where)
        values: dict[str, Any] = dict(given)
        try:
            for name, check, has_default in self.plan:
                if name in given:
                    continue
                raw = data.get(name, _MISSING)
                if raw is _MISSING:
                    if not has_default:
                        raise Malformed(name, "missing")
                    if name in self.defaults:
                        values[name] = self.defaults[name]
                    continue  # the dataclass's own default
                values[name] = check(raw, name)
        except Malformed as exc:
            raise exc.within(where) from None
        return self.cls(**values)


def builder(cls: type, **defaults: Any) -> Builder:
    """The (cached) builder of `cls`; `defaults` for fields the class requires but older
    records may leave out."""
    key = (cls, tuple(sorted(defaults.items())))
    found = _BUILDERS.get(key)
    if found is None:
        found = _BUILDERS[key] = Builder(cls, defaults)
    return found


# ---- the parts of a header a command reads -------------------------------------------


def profile(record: Any, where: str = "profile") -> Profile:
    made: Profile = builder(Profile)(record, where)
    if len(made.stages) * made.repeat > MAX_STAGES:
        raise Malformed(where, f"more than {MAX_STAGES:,} stages, repeats included")
    return made


def selection(record: Any, where: str = "scenario.selection") -> Selection:
    """What --tags/--exclude-tags kept of the scenario (absent: everything)."""
    if record is None:
        return Selection()
    made: Selection = builder(Selection)(record, where)
    return made


def threshold(record: Any, where: str) -> Threshold:
    made: Threshold = builder(Threshold)(record, where)
    count_form = made.scope == "run" and made.metric == RATE_LIMITED_COUNT
    if not (known_in(made.scope, made.metric) or count_form):
        raise Malformed(f"{where}.metric", f"{made.metric[:40]!r} is not a {made.scope} metric")
    return made


def thresholds(raw: Any, where: str) -> tuple[Threshold, ...]:
    if raw is None:
        return ()
    return tuple(threshold(t, f"{where}[{i}]") for i, t in enumerate(listing(raw, where)))


def pids(raw: Any, where: str) -> tuple[int, ...]:
    if raw is None:
        return ()
    return tuple(whole(p, f"{where}[{i}]", 1, MAX_PID) for i, p in enumerate(listing(raw, where)))
