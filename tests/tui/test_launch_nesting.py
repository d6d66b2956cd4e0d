"""The launch screen with absurdly nested scenario files: one found in the working
folder (it breaks tomllib while the folder is scanned) and one given on the command
line. Each is listed as invalid with its one problem; the screen keeps working."""

from __future__ import annotations

from pathlib import Path

from tui.test_launch import Host, prompts, text

HEAD = 'name = "{name}"\n[targets.t]\nurl = "http://127.0.0.1:9"\n'
TOO_DEEP = "nested more than 64 levels deep"


async def test_deeply_nested_files_are_listed_as_invalid(tmp_path: Path) -> None:
    cwd, bundled = tmp_path / "work", tmp_path / "none"
    cwd.mkdir()
    (cwd / "arrays.toml").write_text(HEAD.format(name="arrays") + "v = " + "[" * 5000 + "]" * 5000)
    given = tmp_path / "tables.toml"
    given.write_text(HEAD.format(name="tables") + "w = " + "{a=" * 300 + "1" + "}" * 300)
    app = Host(bundled=bundled, cwd=cwd, given=given, env={})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        rows = prompts(app, "#scenarios")
        assert len(rows) == 2 and "✗ tables" in rows[0] and "✗ arrays" in rows[1], rows
        assert TOO_DEEP in text(app, "#scenario-info")
        await pilot.press("down")
        await pilot.pause()
        assert TOO_DEEP in text(app, "#scenario-info")
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == []  # nothing to start, and nothing crashed
        assert text(app, "#status").startswith("✗ cannot start")
