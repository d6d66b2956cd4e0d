"""The launch screen: pick a scenario, a target and a profile, then start.

Keyboard first: Tab / shift+Tab move between the three lists (and the URL field),
arrows move within one, Enter starts. A click only picks a row, so a stray click never
starts load. Meaning is carried by words and marks (▶ picked, ✗ invalid), not colour.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, OptionList, Static

from loadtui.scenario.model import Profile, Scenario, Target
from loadtui.scenario.select import SelectionError, pick_profile, pick_target
from loadtui.scenario.userinfo import redact_url
from loadtui.tui import catalog
from loadtui.tui.catalog import CatalogEntry
from loadtui.tui.widgets.chooser import Chooser

NARROW = 60  # columns from which targets and profiles sit side by side
WIDE = 110  # columns from which all three lists sit side by side
CUSTOM, DEMO, MANUAL = "custom", "demo", "manual"
TITLE = "loadtui · pick a scenario, a target, a profile · Tab/↑↓ move · Enter starts"


@dataclass(frozen=True)
class LaunchChoice:
    """What the operator chose; target and profile are ready for the engine."""

    scenario: Scenario
    path: Path
    target: Target
    profile: Profile


class LaunchScreen(Screen[LaunchChoice]):
    """Dismisses with a LaunchChoice; quitting (escape, q) is the app's business."""

    # Textual types it `ClassVar[list[...]] | None`, which mypy takes for an instance
    # variable; ruff (RUF012) wants the ClassVar that mypy then rejects.
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [  # type: ignore[misc]
        (0, "-tiny"),
        (NARROW, "-narrow"),
        (WIDE, "-wide"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "start", "Start"),
        Binding("ctrl+r", "rescan", "Rescan files"),
    ]
    DEFAULT_CSS = """
    LaunchScreen { layout: vertical; }
    LaunchScreen #launch-title { height: 1; padding: 0 1; text-style: bold; background: $panel; }
    LaunchScreen #choosers, LaunchScreen .pane { height: auto; }
    LaunchScreen #pair { height: auto; layout: horizontal; }
    LaunchScreen #pair > .pane { width: 1fr; }
    LaunchScreen .heading { height: 1; text-style: bold; }
    LaunchScreen Chooser {
        height: auto; max-height: 3; text-wrap: nowrap; text-overflow: ellipsis;
    }
    LaunchScreen #scenarios { max-height: 5; }
    LaunchScreen #custom-url { margin: 0 1 0 2; width: 1fr; }
    LaunchScreen #url-note { height: auto; padding: 0 2; }
    LaunchScreen #detail { height: 1fr; padding: 0 1; border-top: solid $foreground 30%; }
    LaunchScreen #detail > Static { height: auto; }
    LaunchScreen #bar { height: 1; padding: 0 1; }
    LaunchScreen #status { width: 1fr; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    LaunchScreen #start { width: auto; min-width: 11; margin-left: 1; }
    LaunchScreen.-tiny #pair { layout: vertical; }
    LaunchScreen.-wide #choosers { layout: horizontal; max-height: 50%; }
    LaunchScreen.-wide #scenario-pane { width: 3fr; }
    LaunchScreen.-wide #pair { width: 4fr; }
    LaunchScreen.-wide #scenarios { max-height: 100%; }
    LaunchScreen.-wide #targets, LaunchScreen.-wide #profiles { max-height: 12; }
    LaunchScreen.-wide #detail { layout: horizontal; }
    LaunchScreen.-wide #detail > Static { width: 1fr; padding-right: 2; }
    """

    def __init__(
        self,
        *,
        bundled: Path,
        cwd: Path,
        given: Path | None = None,
        env: Mapping[str, str] | None = None,
        demo_url: str | None = None,
        preselect_target: str | None = None,
        preselect_profile: str | None = None,
    ) -> None:
        super().__init__()
        self.bundled, self.cwd, self.given, self.demo_url = bundled, cwd, given, demo_url
        self.env = dict(os.environ if env is None else env)
        if demo_url:  # as the CLI does: bundled scenarios aim at ${LOADTUI_TARGET}
            self.env["LOADTUI_TARGET"] = demo_url
        self.entries: list[CatalogEntry] = []
        self._initial_url = ""
        self._want_profile = preselect_profile
        self._want_target = preselect_target
        if preselect_target and demo_url and preselect_target.rstrip("/") == demo_url.rstrip("/"):
            self._want_target = f"@{DEMO}"
        elif preselect_target and "://" in preselect_target:
            self._want_target, self._initial_url = f"@{CUSTOM}", preselect_target

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(TITLE, id="launch-title", markup=False)
        with Container(id="choosers"):
            with Vertical(id="scenario-pane", classes="pane"):
                yield Static(id="scenario-heading", classes="heading", markup=False)
                yield Chooser(id="scenarios")
            with Horizontal(id="pair"):
                with Vertical(id="target-pane", classes="pane"):
                    yield Static(id="target-heading", classes="heading", markup=False)
                    yield Chooser(id="targets")
                    yield Input(
                        self._initial_url,
                        placeholder="http://host:port",
                        id="custom-url",
                        compact=True,
                    )
                    yield Static(id="url-note", markup=False)
                with Vertical(id="profile-pane", classes="pane"):
                    yield Static(id="profile-heading", classes="heading", markup=False)
                    yield Chooser(id="profiles")
        with VerticalScroll(id="detail"):
            yield Static(id="profile-info", markup=False)
            yield Static(id="scenario-info", markup=False)
        with Horizontal(id="bar"):
            yield Static(id="status", markup=False)
            yield Button("Start ▶", id="start", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self._scan()
        self.query_one("#scenarios", Chooser).focus()
        self._headings()

    def _scan(self, keep: Path | None = None) -> None:
        self.entries = catalog.discover(
            bundled=self.bundled, cwd=self.cwd, given=self.given, env=self.env
        )
        rows = [(str(i), row) for i, row in enumerate(catalog.entry_rows(self.entries))]
        index = next((i for i, e in enumerate(self.entries) if e.path == keep), 0)
        self.query_one("#scenarios", Chooser).fill(rows, index)
        self._fill_choices()
        self._headings()

    # -- state -------------------------------------------------------------------------

    def entry(self) -> CatalogEntry | None:
        index = self.query_one("#scenarios", Chooser).highlighted
        return self.entries[index] if index is not None and index < len(self.entries) else None

    def _fill_choices(self) -> None:
        """Targets and profiles of the highlighted scenario, keeping earlier picks by name."""
        entry = self.entry()
        scenario = entry.scenario if entry else None
        targets, profiles = (
            self.query_one("#targets", Chooser),
            self.query_one("#profiles", Chooser),
        )
        if scenario is None:
            targets.fill([])
            profiles.fill([])
        else:
            rows = [
                (f"t{i}", f"{t.name}  {redact_url(t.url)}") for i, t in enumerate(scenario.targets)
            ]
            if self.demo_url:
                rows.append((DEMO, f"embedded demo target ({self.demo_url})"))
            rows.append((CUSTOM, "custom URL…"))
            keys = [
                f"@{k}" if k in (DEMO, CUSTOM) else scenario.targets[int(k[1:])].name
                for k, _ in rows
            ]
            targets.fill(rows, keys.index(self._want_target) if self._want_target in keys else 0)
            prows = [
                (f"p{i}", f"{p.name}  {catalog.profile_tag(p)}")
                for i, p in enumerate(scenario.profiles)
            ]
            prows = prows or [(MANUAL, "manual: 1 user until stopped (steer it live)")]
            names = [p.name for p in scenario.profiles]
            want = self._want_profile
            profiles.fill(prows, names.index(want) if want in names else 0)
        self._refresh()

    def choice(self) -> LaunchChoice | str:
        """The run to start, or why there is none yet (a message for the operator)."""
        entry = self.entry()
        if entry is None:
            return f"no scenario found (looked in {self.bundled} and {self.cwd})"
        if entry.scenario is None:
            n = len(entry.problems)
            problems = f"{n} problem{'s' if n != 1 else ''}"
            return f"{entry.name} has {problems}: fix the file, then ctrl+r to rescan"
        scenario = entry.scenario
        key = self.query_one("#targets", Chooser).key
        profile_key = self.query_one("#profiles", Chooser).key
        if key is None or profile_key is None:
            return "pick a target and a profile"
        wanted: str | None  # None: the scenario's only target (pick_target)
        if key == CUSTOM:
            wanted = self.query_one("#custom-url", Input).value.strip()
            problem = catalog.url_problem(wanted)
            if problem:
                return f"custom URL: {problem}"
        else:
            wanted = self.demo_url if key == DEMO else scenario.targets[int(key[1:])].name
        try:
            target = pick_target(scenario, wanted)
            if profile_key == MANUAL:
                profile = pick_profile(scenario, None, users=1)
            else:
                profile = pick_profile(scenario, scenario.profiles[int(profile_key[1:])].name)
        except SelectionError as exc:
            return str(exc)
        return LaunchChoice(scenario, entry.path, target, profile)

    # -- events ------------------------------------------------------------------------

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        chooser = event.option_list
        if not isinstance(chooser, Chooser):
            return
        chooser.mark()
        key = chooser.key
        if chooser.id == "scenarios":
            self._fill_choices()
            return
        entry = self.entry()
        scenario = entry.scenario if entry else None
        if scenario is None or key is None or not chooser.has_focus:
            pass  # only the operator's own moves are remembered, not a list being refilled
        elif chooser.id == "targets":
            named = key not in (DEMO, CUSTOM)
            self._want_target = scenario.targets[int(key[1:])].name if named else f"@{key}"
        elif chooser.id == "profiles" and key != MANUAL:
            self._want_profile = scenario.profiles[int(key[1:])].name
        self._refresh()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        url_field = self.query_one("#custom-url", Input)
        if event.option.id == CUSTOM and catalog.url_problem(url_field.value):
            url_field.focus()
            self._refresh()
            return
        self.action_start()

    @on(Input.Changed, "#custom-url")
    def _url_changed(self) -> None:
        self._refresh()

    @on(Input.Submitted, "#custom-url")
    def _url_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_start()

    @on(Button.Pressed, "#start")
    def _start_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_start()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._headings()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self._headings()

    def action_start(self) -> None:
        result = self.choice()
        if isinstance(result, str):
            self._set_status(f"✗ cannot start: {result}")
            return
        self.dismiss(result)

    def action_rescan(self) -> None:
        entry = self.entry()
        self._scan(keep=entry.path if entry else None)
        self.notify(f"{len(self.entries)} scenario files found", timeout=3)

    # -- rendering ---------------------------------------------------------------------

    def _headings(self) -> None:
        focused = self.focused
        url_field = self.query_one("#custom-url", Input)
        for name, widgets, title in (
            ("scenario", ("scenarios",), f"Scenario ({len(self.entries)})"),
            ("target", ("targets", "custom-url"), "Target"),
            ("profile", ("profiles",), "Profile"),
        ):
            here = focused is not None and focused.id in widgets
            if name == "target" and focused is url_field:
                title = "Target · type the URL, Enter starts"
            self.query_one(f"#{name}-heading", Static).update(f"{'»' if here else ' '} {title}")

    def _set_status(self, text: str) -> None:
        self.query_one("#status", Static).update(text)

    def _refresh(self) -> None:
        """Detail pane, URL field and status line from the current picks."""
        custom = self.query_one("#targets", Chooser).key == CUSTOM
        url_field = self.query_one("#custom-url", Input)
        note = self.query_one("#url-note", Static)
        url_field.display = note.display = custom
        problem = catalog.url_problem(url_field.value) if custom else None
        note.update(f"✗ {problem}" if problem else "✓ URL looks right")
        entry = self.entry()
        self.query_one("#scenario-info", Static).update(
            "\n".join(catalog.entry_lines(entry))
            if entry
            else "No scenario files found. Give one: loadtui path/to/scenario.toml"
        )
        profile_info = self.query_one("#profile-info", Static)
        profile_info.update(text := self._profile_text())
        profile_info.display = bool(text)
        result = self.choice()
        ready = not isinstance(result, str)
        self.query_one("#start", Button).disabled = not ready
        if isinstance(result, LaunchChoice):
            url = redact_url(result.target.url)
            text = f"Ready: {result.scenario.name} → {url} · {result.profile.name}"
            self._set_status(f"{text} · Enter starts")
        else:
            self._set_status(f"✗ {result}")

    def _profile_text(self) -> str:
        entry = self.entry()
        key = self.query_one("#profiles", Chooser).key
        if entry is None or entry.scenario is None or key is None:
            return ""
        if key == MANUAL:
            return "manual: no [profiles] in this file; starts at 1 user, runs until stopped"
        profile = entry.scenario.profiles[int(key[1:])]
        return "\n".join(catalog.profile_lines(profile, width=32))
