"""Check `call = "module:function"` by reading the module's source with `ast`.

Validation must never run user code, so nothing is imported here: the module file is
found in the scenario's folder and parsed, and the function must be a top-level
`async def`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from loadtui.scenario.errors import Collector, FieldPath, did_you_mean

CALL = re.compile(r"([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*):([A-Za-z_]\w*)")
CALL_FORM = 'Write call = "module:function", with module.py next to the scenario'


def module_file(folder: str, module: str) -> Path | None:
    """module.py or module/__init__.py (dotted names are sub-folders) under `folder`."""
    base = Path(folder).joinpath(*module.split("."))
    for candidate in (base.with_name(base.name + ".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def check_call(out: Collector, path: FieldPath, call: str, folder: str) -> tuple[str, str]:
    """(module, function) from `call`, reporting what is missing or not async."""
    m = CALL.fullmatch(call.strip())
    if not m:
        out.add(path, f"{call!r} is not module:function", CALL_FORM)
        return "", ""
    module, function = m.groups()
    found = module_file(folder, module)
    if found is None:
        out.add(path, f"module {module!r} not found in {folder}", CALL_FORM)
        return module, function
    try:
        tree = ast.parse(found.read_bytes(), filename=str(found))
    except SyntaxError as exc:
        out.add(path, f"{found} does not parse: {exc.msg} (line {exc.lineno})")
        return module, function
    except (OSError, ValueError) as exc:
        out.add(path, f"cannot read {found}: {exc}")
        return module, function
    problem = _function_problem(tree, function)
    if problem:
        message, hint = problem
        out.add(path, f"{found.name}: {message}", hint)
    return module, function


def _function_problem(tree: ast.Module, function: str) -> tuple[str, str | None] | None:
    async_defs: list[str] = []
    kind: str | None = None
    for node in tree.body:
        if isinstance(node, ast.AsyncFunctionDef):
            async_defs.append(node.name)
            if node.name == function:
                kind = "async"
        elif isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == function:
            kind = "def" if isinstance(node, ast.FunctionDef) else "class"
    if kind == "async":
        return None
    if kind == "def":
        return f"{function} is a plain def", "Make it async def (client, vars)"
    if kind == "class":
        return f"{function} is a class, not an async function", None
    hint = did_you_mean(function, async_defs) if async_defs else None
    return f"no async def {function} at the top level", hint
