"""Only ``server/runtime/`` touches langgraph-api's and its runtimes' internals.

Everything else in the project goes through ``server.runtime``, so that an upgrade of langgraph-api
or of a runtime is checked (``tests/unit/test_runtime_contract.py``) and patched in one place. The
documented public entry points (``langgraph_sdk``: ``Auth``, ``get_client``; the ``langgraph``
CLI) are fine anywhere; no ``langgraph_api`` module is allowed outside the package today
(``ALLOWED_LANGGRAPH_API`` lists those that become so, with the reason).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Where our code lives (tests included: a test reaching into the runtime is contact too).
SCANNED = ("server", "store", "hooks", "graphs", "documents", "bench", "examples", "migrations")
SCANNED_TESTS = "tests"
#: The one package allowed to import the internals, and the test of its contract.
ALLOWED_PLACES = ("server/runtime/", "tests/unit/test_runtime_contract.py")
#: Public langgraph_api modules allowed anywhere (none is needed today).
ALLOWED_LANGGRAPH_API: frozenset[str] = frozenset()


def _is_internal(module: str) -> bool:
    top = module.split(".", 1)[0]
    if top == "langgraph_runtime" or top.startswith("langgraph_runtime_"):
        return True
    if top == "langgraph_api":
        return not any(
            module == allowed or module.startswith(allowed + ".")
            for allowed in ALLOWED_LANGGRAPH_API
        )
    return False


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
        elif (  # importlib.import_module("...") / __import__("...")
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def _sources() -> list[Path]:
    files = [p for d in (*SCANNED, SCANNED_TESTS) for p in (ROOT / d).rglob("*.py")]
    return sorted(p for p in files if ".venv" not in p.parts)


def violations_in(relative: str, source: str) -> list[str]:
    """``path:line module`` for each import of the internals in one file, unless it is allowed."""
    if relative.startswith(ALLOWED_PLACES):
        return []
    tree = ast.parse(source, filename=relative)
    return [
        f"{relative}:{line} {module}"
        for line, module in _imported_modules(tree)
        if _is_internal(module)
    ]


def test_only_server_runtime_imports_langgraph_internals():
    found = [
        v
        for path in _sources()
        for v in violations_in(path.relative_to(ROOT).as_posix(), path.read_text("utf-8"))
    ]
    assert found == [], "import these through server.runtime (with a contract test there)"


@pytest.mark.parametrize(
    ("source", "module"),
    [
        ("from langgraph_runtime.ops import Threads", "langgraph_runtime.ops.Threads"),
        ("import langgraph_runtime_inmem.database", "langgraph_runtime_inmem.database"),
        ("from langgraph_api._checkpointer import x", "langgraph_api._checkpointer.x"),
        ("from langgraph_api import utils", "langgraph_api.utils"),
        ("importlib.import_module('langgraph_runtime_inmem.ops')", "langgraph_runtime_inmem.ops"),
        (
            "def f():\n    from langgraph_api.utils import get_auth_ctx",
            "langgraph_api.utils.get_auth_ctx",
        ),
    ],
)
def test_the_check_catches_each_form(source, module):
    line = source.count("\n") + 1
    assert violations_in("server/probe.py", source) == [f"server/probe.py:{line} {module}"]


def test_the_check_lets_public_names_and_the_package_through():
    assert violations_in("server/runtime/probe.py", "from langgraph_api import utils") == []
    assert violations_in("tests/unit/test_runtime_contract.py", "import langgraph_api") == []
    assert violations_in("server/probe.py", "from langgraph_sdk import Auth, get_client") == []
    assert violations_in("server/probe.py", "from langgraph.graph import StateGraph") == []
