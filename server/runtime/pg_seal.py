"""Encryption at rest for langgraph-runtime-pg's own tables under ``adlaan serve`` (helper module of
``server/runtime/pg.py``: ``install()`` is called from ``pg.install()`` once the runtime is patched).

Without ``ADLAAN_ENCRYPTION_KEY`` nothing is changed.
"""

from __future__ import annotations


def install() -> None:
    """Seal the runtime's conversation columns when a key is configured (not yet: a no-op)."""
