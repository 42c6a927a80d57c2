"""The dependency declarations, the lockfile and the installed tree agree (issue 18, item 1).

pyproject.toml pins exactly only what our code patches or subclasses, and ranges the rest;
requirements.lock pins the whole tree (every extra) and is what ``make setup`` installs, as
constraints. These tests read files and the installed metadata only: no network.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from server.runtime import PINNED

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
#: What store/checkpointer.py reaches into (private methods and SQL of the stock saver).
SUBCLASSED = {"langgraph-checkpoint-postgres": "3.2.0"}


def _requirements() -> list[Requirement]:
    found = [Requirement(r) for r in PYPROJECT["dependencies"]]
    for extra in PYPROJECT["optional-dependencies"].values():
        found += [Requirement(r) for r in extra]
    return found


def _locked() -> dict[str, str]:
    """``{name: version}`` of requirements.lock (markers ignored: the lock is universal)."""
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        (spec,) = requirement.specifier
        assert spec.operator == "==", line
        pins[canonicalize_name(requirement.name)] = spec.version
    return pins


#: Imported but deliberately not declared: ``adlaan serve``'s runtime pins another langgraph-api,
#: so it is installed without its dependencies (docs/serving.md) and imported only when serving.
UNDECLARED = {"langgraph_runtime_pg"}
PACKAGES = ("graphs", "store", "hooks", "server", "documents", "migrations")


def _imported_modules() -> set[str]:
    """Top-level names the packages import that are neither ours nor the standard library."""
    found: set[str] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    found.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    return {m for m in found if m not in PACKAGES and m not in sys.stdlib_module_names}


def test_every_import_is_declared():
    declared = {canonicalize_name(r.name) for r in _requirements()}
    providers = md.packages_distributions()
    undeclared = {
        module
        for module in _imported_modules() - UNDECLARED
        if not declared & {canonicalize_name(d) for d in providers.get(module, [module])}
    }
    assert not undeclared, f"imported but not in pyproject.toml: {sorted(undeclared)}"


def test_exact_pins_are_the_patched_distributions_only():
    exact = {
        canonicalize_name(r.name): next(iter(r.specifier)).version
        for r in (Requirement(d) for d in PYPROJECT["dependencies"])
        if any(s.operator == "==" for s in r.specifier)
    }
    wanted = {canonicalize_name(k): v for k, v in {**PINNED, **SUBCLASSED}.items()}
    assert exact == wanted


def test_every_declared_requirement_is_locked_at_a_version_it_accepts():
    locked = _locked()
    for requirement in _requirements():
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in requirements.lock: run make lock"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"requirements.lock has {name}=={locked[name]}, pyproject.toml wants "
            f"{requirement}: run make lock"
        )


def test_the_installed_tree_is_the_locked_one():
    """What ``make setup`` installed is what the lock says (a stale venv: run make setup)."""
    locked = _locked()
    wrong = []
    for dist in md.distributions():
        name = canonicalize_name(dist.metadata["Name"])
        if name in locked and dist.version != locked[name]:
            wrong.append(f"{name} {dist.version} (locked {locked[name]})")
    assert not wrong, "installed versions differ from requirements.lock: " + ", ".join(wrong)


#: Requirements we override on purpose: langgraph-runtime-pg (``adlaan serve``, installed without
#: its dependencies) pins an older langgraph-api and saver; server/runtime/pg.py patches it for
#: ours, each patched function checked against its source (tests/unit/test_runtime_contract.py).
OVERRIDDEN = {
    ("langgraph-runtime-pg", "langgraph-api"),
    ("langgraph-runtime-pg", "langgraph-checkpoint-postgres"),
}


def test_pip_check_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "pip", "check"], capture_output=True, text=True, check=False
    )
    problems = [
        line
        for line in result.stdout.splitlines()
        if line.strip() and not _overridden(line) and line != "No broken requirements found."
    ]
    assert not problems and not result.stderr.strip(), (
        "pip check: " + "\n".join(problems) + result.stderr + "\n(a package installed by hand "
        "into the venv? `make clean setup` installs exactly the locked tree)"
    )


def _overridden(line: str) -> bool:
    """``<dist> <version> has requirement <req>, but you have <dist> <version>.``, overridden."""
    words = line.split()
    if len(words) < 5 or words[2:4] != ["has", "requirement"]:
        return False
    wanted = Requirement(line.split(" has requirement ", 1)[1].split(",", 1)[0]).name
    return (canonicalize_name(words[0]), canonicalize_name(wanted)) in OVERRIDDEN
