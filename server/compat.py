"""Moved to ``server.runtime.adapter`` (all contact with langgraph-api's internals lives in
``server/runtime/``). Kept only so that ``server/checkpointer.py`` keeps working until it calls
``server.runtime.install_adapter()`` itself; then this module goes."""

from __future__ import annotations

from server.runtime.adapter import install

__all__ = ["install"]
