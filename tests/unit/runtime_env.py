"""What the contract tests of ``server/runtime/`` need before they import langgraph-api, which
reads its configuration at import time: the settings `langgraph dev` gives it, where the process
has none of its own."""

from __future__ import annotations

import os

#: The configuration `langgraph dev` starts langgraph-api with (the in-memory runtime).
DEV_ENV = {
    "REDIS_URI": "fake",
    "DATABASE_URI": ":memory:",
    "MIGRATIONS_PATH": "__inmem",
    "LANGGRAPH_RUNTIME_EDITION": "inmem",
}


def use_dev_env() -> None:
    """Set ``DEV_ENV`` in this process, keeping whatever is set already."""
    for name, value in DEV_ENV.items():
        os.environ.setdefault(name, value)
