"""Tags and class selection (scenario/tags.py): which classes and tasks a run keeps, as
Locust's -T/-E keep them, and the loader's checks of `tags` and a profile's `classes`."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.scenarios import NOWHERE, echo_stream, get, load, scenario, user

from loadtui.scenario import ScenarioError, bundled, load_scenario, load_scenario_text
from loadtui.scenario.model import Profile, Scenario, Selection, Stage
from loadtui.scenario.select import SelectionError, pick_profile
from loadtui.scenario.tags import narrow, parse_tags

SHOP = scenario(
    user(
        get("/api/fast", "browse", tags=["read"]),
        get("/api/items", "search", tags=["read", "slow"]),
        get("/health", "health"),
        name="shopper",
        tags=["web"],
        on_start=(get("/api/fast", "warm up"),),
    ),
    user(
        get("/api/push", "push", tags=["write"]),
        get("/api/items", "list", tags=["read"]),
        name="writer",
    ),
    user(name="watcher", tags=["stream"], websocket=echo_stream()),
    profiles={
        "all": {"stages": [{"duration": "1s", "users": 2}]},
        "writes": {"classes": ["writer"], "stages": [{"duration": "1s", "users": 2}]},
    },
    thresholds={
        "p99": "< 5s",
        "endpoints": {"push": {"p99": "< 1s"}, "browse": {"p99": "< 1s"}},
        "websocket": {"streams": {"watcher": {"rtt_p99": "< 1s"}}},
    },
)


@pytest.fixture(scope="module")
def shop() -> Scenario:
    return load(SHOP)


def kept(s: Scenario) -> dict[str, list[str]]:
    return {cls.name: [t.name for t in cls.tasks] for cls in s.users}


def test_a_task_runs_when_it_or_its_class_carries_a_selected_tag(shop: Scenario) -> None:
    assert kept(narrow(shop, Selection(tags=("read",)))) == {
        "shopper": ["browse", "search"],
        "writer": ["list"],
    }
    # The class's tag counts for every task of the class, untagged ones too.
    assert kept(narrow(shop, Selection(tags=("web",)))) == {
        "shopper": ["browse", "search", "health"]
    }


def test_an_excluded_tag_wins_over_a_selected_one(shop: Scenario) -> None:
    both = narrow(shop, Selection(tags=("read",), exclude_tags=("slow",)))
    assert kept(both) == {"shopper": ["browse"], "writer": ["list"]}
    # Excluding a class's tag leaves all of its tasks out, and the class with them.
    assert kept(narrow(shop, Selection(exclude_tags=("web", "stream")))) == {
        "writer": ["push", "list"]
    }


def test_a_class_left_with_no_task_is_dropped_with_its_thresholds(shop: Scenario) -> None:
    out = narrow(shop, Selection(tags=("write",)))
    assert kept(out) == {"writer": ["push"]}
    assert [t.label for t in out.thresholds] == ["p99 < 5s", "push: p99 < 1s"]
    assert out.selection == Selection(tags=("write",))  # recorded in what runs
    # The steps around the tasks stay with a class that runs.
    reads = narrow(shop, Selection(tags=("read",)))
    assert [t.name for t in reads.users[0].on_start] == ["warm up"]


def test_a_stream_only_class_is_kept_or_dropped_by_its_own_tags(shop: Scenario) -> None:
    assert "watcher" in kept(narrow(shop, Selection(tags=("stream",))))
    assert "watcher" not in kept(narrow(shop, Selection(tags=("read",))))
    assert "watcher" not in kept(narrow(shop, Selection(exclude_tags=("stream",))))


def test_nothing_to_narrow_is_the_same_scenario(shop: Scenario) -> None:
    assert narrow(shop, Selection(), shop.profile("all")) is shop


def test_a_profile_runs_the_classes_it_names(shop: Scenario) -> None:
    writes = shop.profile("writes")
    assert kept(narrow(shop, Selection(), writes)) == {"writer": ["push", "list"]}
    assert kept(narrow(shop, Selection(tags=("read",)), writes)) == {"writer": ["list"]}
    # -u/--rate build the load and keep the classes of the profile named with them.
    flags = pick_profile(shop, "writes", users=3)
    assert flags.classes == ("writer",) and flags.stages[0].users == 3
    assert pick_profile(shop, None, rate=5.0).classes == ()


def test_an_unknown_tag_is_an_error_with_a_hint(shop: Scenario) -> None:
    with pytest.raises(SelectionError) as info:
        narrow(shop, Selection(tags=("raed",)))
    assert str(info.value) == (
        "--tags: no task or user class is tagged 'raed' "
        '(tags: read, slow, stream, web, write). Did you mean "read"?'
    )
    with pytest.raises(SelectionError, match=r"^--exclude-tags: .* tagged 'nope'"):
        narrow(shop, Selection(exclude_tags=("nope",)))
    bare = load(scenario(user(get("/"))))
    with pytest.raises(SelectionError, match=r"\(this scenario has no tags\)$"):
        narrow(bare, Selection(tags=("x",)))


def test_nothing_left_to_run_is_an_error(shop: Scenario) -> None:
    with pytest.raises(SelectionError) as info:
        narrow(shop, Selection(tags=("web",)), shop.profile("writes"))
    assert str(info.value).startswith(
        "nothing to run: no task is left with profile 'writes' (classes writer) and --tags web"
    )
    with pytest.raises(SelectionError, match="no task is left with --exclude-tags read,write,web"):
        narrow(shop, Selection(exclude_tags=("read", "write", "web", "stream")))


def test_a_selection_cannot_cut_steps_out_of_an_ordered_flow() -> None:
    """Later steps use what earlier ones extract: a flow runs whole or not at all."""
    flow = load(
        scenario(
            user(
                get("/api/fast", "login", tags=["auth"]),
                get("/api/items", "list"),
                name="flow",
                order="sequence",
            ),
            user(get("/health", "health", tags=["ops"]), name="ops", tags=["ops"]),
        )
    )
    with pytest.raises(SelectionError) as info:
        narrow(flow, Selection(exclude_tags=("auth",)))
    assert str(info.value) == (
        "the selection would run class 'flow', an ordered flow, without its steps login;"
        " select or exclude the whole class (tag the class, not its steps)"
    )
    assert kept(narrow(flow, Selection(tags=("ops",)))) == {"ops": ["health"]}


def test_streams_need_a_class_with_a_websocket_left(shop: Scenario) -> None:
    stream_only = Profile("s", stages=(Stage(1.0, users=0, streams=2),))
    assert kept(narrow(shop, Selection(tags=("stream",)), stream_only)) == {"watcher": []}
    with pytest.raises(SelectionError, match="asks for streams, but no class left"):
        narrow(shop, Selection(tags=("read",)), stream_only)


def test_a_recorded_profile_naming_a_lost_class_is_an_error(shop: Scenario) -> None:
    gone = Profile("old", stages=(Stage(1.0, users=1),), classes=("shoper",))
    with pytest.raises(SelectionError, match=r'does not have .*Did you mean "shopper"'):
        narrow(shop, Selection(), gone)


def test_flag_values_split_on_commas_and_repeat() -> None:
    assert parse_tags(["a,b", " c ", "a"], "--tags") == ("a", "b", "c")
    with pytest.raises(SelectionError, match=r"^--tags: an empty tag name \(like --tags"):
        parse_tags(["a,"], "--tags")
    with pytest.raises(SelectionError, match=r"^-E: 'a b' is not a tag name"):
        parse_tags(["a b"], "-E")


TAGS = st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=3, unique=True)


@given(
    classes=st.lists(
        st.tuples(TAGS, st.lists(TAGS, min_size=1, max_size=4)), min_size=1, max_size=4
    ),
    tags=TAGS,
    exclude=TAGS,
)
def test_what_is_kept_follows_the_rules(
    classes: list[tuple[list[str], list[list[str]]]], tags: list[str], exclude: list[str]
) -> None:
    text = scenario(
        *(
            user(*(get("/", f"t{j}", tags=t) for j, t in enumerate(tasks)), name=f"c{i}", tags=own)
            for i, (own, tasks) in enumerate(classes)
        )
    )
    s = load(text)
    present = {t for own, tasks in classes for t in own + [x for ts in tasks for x in ts]}
    selection = Selection(tuple(tags), tuple(exclude))
    if not set(tags + exclude) <= present:
        with pytest.raises(SelectionError, match="no task or user class is tagged"):
            narrow(s, selection)
        return
    try:
        out = narrow(s, selection)
    except SelectionError as exc:
        assert str(exc).startswith("nothing to run")
        out = None
    for i, (own, tasks) in enumerate(classes):
        for j, task_tags in enumerate(tasks):
            effective = set(own) | set(task_tags)
            runs = not effective & set(exclude) and (not tags or bool(effective & set(tags)))
            found = out is not None and f"t{j}" in kept(out).get(f"c{i}", [])
            assert found == runs, (own, task_tags)


# ---- the loader ------------------------------------------------------------------------


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, "s.toml", env={"LOADTUI_TARGET": NOWHERE})
    return [p.format() for p in info.value.problems]


HEAD = 'name = "t"\n[targets.local]\nurl = "http://127.0.0.1:9"\n'
CLASS = '[[users]]\nname = "spike"\ntags = ["spike"]\n[[users.tasks]]\nname = "a"\npath = "/"\n'


def test_tags_are_read_on_tasks_and_classes() -> None:
    s = load_scenario_text(HEAD + CLASS.replace('path = "/"', 'path = "/"\ntags = ["x", "x"]'))
    assert s.users[0].tags == ("spike",) and s.users[0].tasks[0].tags == ("x",)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ('tags = "read"', "s.toml:10: users[0].tasks[0].tags: expected an array, got string"),
        (
            'tags = ["a b"]',
            "s.toml:10: users[0].tasks[0].tags[0]: 'a b' is not a tag name."
            ' Use letters, digits, "-", "_" and ".", like tags = ["spike", "write"]',
        ),
        (
            "tags = [1]",
            "s.toml:10: users[0].tasks[0].tags[0]: expected a tag name, got integer."
            ' Use letters, digits, "-", "_" and ".", like tags = ["spike", "write"]',
        ),
    ],
)
def test_bad_tags_are_placed_and_explained(lines: str, expected: str) -> None:
    assert problems(HEAD + CLASS + lines + "\n") == [expected]


def test_on_start_steps_take_no_tags() -> None:
    text = HEAD + CLASS + '[[users.on_start]]\nname = "login"\npath = "/"\ntags = ["x"]\n'
    assert problems(text) == [
        "s.toml:13: users[0].on_start[0].tags: on_start steps take no tags: they run for every"
        " user of a class that runs. Tag the tasks, or the user class"
    ]


PROFILE = '[profiles.p]\nstages = [{ duration = "1s", users = 1 }]\n'


@pytest.mark.parametrize(
    ("classes", "expected"),
    [
        ('["spkie"]', """[0]: no user class is named 'spkie'. Did you mean "spike"?"""),
        ('["other"]', "[0]: no user class is named 'other'. Classes: spike"),
        ("[]", ": is empty. Name the user classes it runs, or leave it out for all"),
        ('["spike", "spike"]', "[1]: class 'spike' is listed twice"),
        ('["", "spike"]', "[0]: expected a user class name, got an empty string"),
        ('"spike"', ": expected an array, got string"),
    ],
)
def test_a_profile_names_classes_the_scenario_has(classes: str, expected: str) -> None:
    text = HEAD + CLASS + PROFILE + f"classes = {classes}\n"
    assert problems(text) == ["s.toml:12: profiles.p.classes" + expected]


def test_a_profile_with_streams_needs_a_websocket_among_its_classes() -> None:
    text = scenario(
        user(get("/"), name="web"),
        user(name="chat", websocket=echo_stream()),
        profiles={"p": {"classes": ["web"], "stages": [{"duration": "1s", "streams": 2}]}},
    )
    assert [p.split(": ", 2)[1:] for p in problems(text)] == [
        [
            "profiles.p.stages[0].streams",
            "no class this profile runs has a [users.websocket] to stream."
            " Add [users.websocket] to a user class, or remove streams",
        ]
    ]


def test_the_bundled_readiness_suite_runs_one_class_per_profile() -> None:
    s = load_scenario(bundled.directory() / "readiness.toml", env={})
    runs = {p.name: [c.name for c in narrow(s, Selection(), p).users] for p in s.profiles}
    assert runs == {
        "smoke": ["baseline", "spike", "soak", "write"],
        "baseline": ["baseline"],
        "spike": ["spike"],
        "soak": ["soak"],
        "write": ["write"],
    }
    reads = narrow(s, Selection(tags=("read",), exclude_tags=("slow",)))
    assert {t.name for c in reads.users for t in c.tasks} == {"fast", "items"}
