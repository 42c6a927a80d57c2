"""Every hook is documented in docs/hooks.md under its signature (datasette's test_docs)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from hooks import hookspecs

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "hooks.md").read_text()
HOOKS = [
    (name, fn)
    for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
    if hasattr(fn, "adlaan_spec")
]


def test_there_are_hooks():
    assert {name for name, _ in HOOKS} >= {"after_checkpoint", "after_run"}


@pytest.mark.parametrize(("name", "fn"), HOOKS, ids=[name for name, _ in HOOKS])
def test_hook_is_documented_under_its_signature(name, fn):
    signature = f"### `{name}({', '.join(inspect.signature(fn).parameters)})`"
    assert signature in DOCS, f"docs/hooks.md lacks a section headed {signature}"
