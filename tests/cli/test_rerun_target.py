"""`loadtui rerun` aims where the original run aimed: a run given `--target URL` is
re-run against that URL, not the scenario file's own, unless `--target` says otherwise.
Two loopback servers that record what they receive stand for the file's target and
the one the run was aimed at."""

from __future__ import annotations

from pathlib import Path

from support.cli import loadtui
from support.recording import RecordingTarget

SCENARIO = """
name = "rerun-target"
[targets.api]
url = "{url}"
[[users]]
name = "u"
wait = "constant(60s)"
[[users.tasks]]
name = "health"
path = "/health"
[profiles.once]
stages = [{{ duration = "2s", users = 2, spawn_rate = 100 }}]
"""
# Two users send a request each at once, then wait out the run: two requests a run. Not
# a count of iterations: a re-run lasts as long as its session did, and a session that a
# count ended in a few milliseconds gives its re-run too little time on a busy machine.


def test_a_run_aimed_elsewhere_is_rerun_where_it_was_aimed(tmp_path: Path) -> None:
    with RecordingTarget() as in_file, RecordingTarget() as aimed:
        (tmp_path / "s.toml").write_text(SCENARIO.format(url=in_file.url))
        run = loadtui(
            "run", "s.toml", "-q", "--session", "s.json", "--target", aimed.url, cwd=tmp_path
        )
        assert run.returncode == 0, run.stderr
        assert (len(in_file.requests), len(aimed.requests)) == (0, 2)
        again = loadtui("rerun", "s.json", "-q", "--session", "r.json", cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert (len(in_file.requests), len(aimed.requests)) == (0, 4)
        # --target still chooses: the file's own target, by its name.
        chosen = loadtui("rerun", "s.json", "-q", "--target", "api", cwd=tmp_path)
        assert chosen.returncode == 0, chosen.stderr
        assert (len(in_file.requests), len(aimed.requests)) == (2, 4)


def test_a_run_against_the_files_target_is_rerun_by_its_name(tmp_path: Path) -> None:
    with RecordingTarget() as in_file:
        (tmp_path / "s.toml").write_text(SCENARIO.format(url=in_file.url))
        run = loadtui("run", "s.toml", "-q", "--session", "s.json", cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        again = loadtui("rerun", "s.json", "-q", "--session", "r.json", cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert len(in_file.requests) == 4
