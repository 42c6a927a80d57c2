"""All of Adlaan's contact with the internals of langgraph-api and its runtimes, in one place.

langgraph-api serves our graph and holds threads, assistants and runs in a runtime
(``langgraph dev``: langgraph-runtime-inmem). We reach into both where no public API exists:

- ``inmem``: the in-memory runtime's store (``GLOBAL_STORE``), its LangGraph store's items, and the
  wrapping of its mutating ops (``Threads``, ``Assistants``, ``Runs``, ``Crons``, the store's
  batches), through which ``server/registry.py`` writes through;
- ``adapter``: the sync methods langgraph-api's ``_CustomCheckpointerAdapter`` lacks, and the
  server's checkpointer (``get_checkpointer``);
- ``api``: the runtime's thread deletion and pruning, and the caller of the request being served.

Nothing else in our code imports ``langgraph_runtime*`` or langgraph-api's private modules
(``tests/unit/test_runtime_imports.py``). Every symbol used here has a contract test in
``tests/unit/test_runtime_contract.py``; ``PINNED`` is the one version pin: each patch refuses to
install on another version, so an upgrade fails at start-up and in one test file, and the work that
replaces or drops a patch happens in this package only.
"""

from __future__ import annotations

from importlib.metadata import version

from server.runtime.adapter import get_checkpointer
from server.runtime.adapter import install as install_adapter
from server.runtime.api import current_identity, delete_threads, prune_threads
from server.runtime.inmem import (
    TERMINAL_RUN_STATUSES,
    WRAPPED_OPS,
    Listeners,
    StoreChange,
    replace_store_items,
    runtime_store,
    runtime_store_items,
)
from server.runtime.inmem import install as install_write_through
from server.runtime.inmem import uninstall as uninstall_write_through

#: The versions this package was written and contract-tested against (pyproject.toml pins the same).
PINNED: dict[str, str] = {
    "langgraph-api": "0.16.7",
    "langgraph-runtime-inmem": "0.36.7",
}


class UnsupportedVersion(RuntimeError):
    """An installed langgraph-api or runtime is not the version a patch was written for."""


def require_pinned(*distributions: str) -> None:
    """Refuse to patch anything unless each distribution is installed at its pinned version."""
    for name in distributions:
        found = version(name)
        if found != PINNED[name]:
            raise UnsupportedVersion(
                f"server/runtime was written for {name} {PINNED[name]}, found {found}: run "
                "tests/unit/test_runtime_contract.py, re-check (or drop) each patch it names, "
                "then update PINNED in server/runtime/__init__.py and the pin in pyproject.toml"
            )


__all__ = [
    "PINNED",
    "TERMINAL_RUN_STATUSES",
    "WRAPPED_OPS",
    "Listeners",
    "StoreChange",
    "UnsupportedVersion",
    "current_identity",
    "delete_threads",
    "get_checkpointer",
    "install_adapter",
    "install_write_through",
    "prune_threads",
    "replace_store_items",
    "require_pinned",
    "runtime_store",
    "runtime_store_items",
    "uninstall_write_through",
]
