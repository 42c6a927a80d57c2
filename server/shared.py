"""Process-wide objects the http app opens and other langgraph.json entry points use.

langgraph-api loads ``server/app.py`` and ``server/auth.py`` by file path, each under a module
name of its own; both import this module normally, so they share one instance of it.
"""

from __future__ import annotations

from store.db import DictPool

_pool: DictPool | None = None


def set_pool(pool: DictPool | None) -> None:
    """Publish (or withdraw) the app's connection pool."""
    global _pool
    _pool = pool


def get_pool() -> DictPool:
    """The app's connection pool; the server refuses requests until its lifespan opened it."""
    if _pool is None:
        raise RuntimeError("the Adlaan app is not started: its database pool is not open")
    return _pool
