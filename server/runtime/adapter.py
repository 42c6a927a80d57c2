"""The checkpointer side of langgraph-api: its adapter's missing sync methods, and the saver.

langgraph-api 0.16.7 wraps any custom checkpointer in ``_CustomCheckpointerAdapter``, which
implements only the async methods: a sync node that invokes a compiled subgraph
(``subgraph.invoke(...)`` reads the checkpointer through sync ``get_tuple`` from a worker thread)
fails with ``NotImplementedError``, although it works on the in-memory runtime. ``install()`` gives
the adapter sync methods that run the adapter's own async ones (so metadata enrichment still
applies) on the saver's event loop. It refuses to patch a version it was not written for
(``server.runtime.PINNED``); ``tests/unit/test_runtime_contract.py`` fails loudly when an upgrade
changes what this relies on.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

SYNC_METHODS = ("get_tuple", "list", "put", "put_writes", "delete_thread")

_installed = False
_install_lock = threading.Lock()


def _loop_of(adapter: Any) -> asyncio.AbstractEventLoop:
    loop = getattr(adapter._inner, "loop", None)
    if loop is None:
        raise NotImplementedError(
            f"{type(adapter._inner).__name__} has no event loop to run sync calls on"
        )
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        raise asyncio.InvalidStateError(
            "Synchronous checkpointer calls are only allowed from worker threads, not from the "
            "server's event loop: use the async methods (ainvoke, aget_state) in async code."
        )
    return loop


def _run(adapter: Any, coro) -> Any:
    return asyncio.run_coroutine_threadsafe(coro, _loop_of(adapter)).result()


def _get_tuple(self, config):
    return _run(self, self.aget_tuple(config))


def _list(self, config, *, filter=None, before=None, limit=None) -> Iterator[Any]:
    loop = _loop_of(self)
    iterator = self.alist(config, filter=filter, before=before, limit=limit)
    while True:
        try:
            yield asyncio.run_coroutine_threadsafe(anext(iterator), loop).result()
        except StopAsyncIteration:
            return


def _put(self, config, checkpoint, metadata, new_versions):
    return _run(self, self.aput(config, checkpoint, metadata, new_versions))


def _put_writes(self, config, writes, task_id, task_path=""):
    return _run(self, self.aput_writes(config, writes, task_id, task_path))


def _delete_thread(self, thread_id):
    return _run(self, self.adelete_thread(thread_id))


_IMPLEMENTATIONS = {
    "get_tuple": _get_tuple,
    "list": _list,
    "put": _put,
    "put_writes": _put_writes,
    "delete_thread": _delete_thread,
}


def adapter_class() -> type:
    """The langgraph-api class this module patches."""
    from langgraph_api._checkpointer._adapter import _CustomCheckpointerAdapter

    return _CustomCheckpointerAdapter


def install() -> None:
    """Give langgraph-api's checkpointer adapter working sync methods (once per process)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        from server.runtime import require_pinned

        require_pinned("langgraph-api")
        cls = adapter_class()
        for name in SYNC_METHODS:
            if name in cls.__dict__:
                raise RuntimeError(
                    f"langgraph-api's adapter now defines {name} itself: drop the patch"
                )
            setattr(cls, name, _IMPLEMENTATIONS[name])
        _installed = True


async def get_checkpointer() -> Any:
    """The checkpointer the server runs graphs with (our saver, inside langgraph-api's adapter)."""
    from langgraph_api._checkpointer import get_checkpointer as _get_checkpointer

    return await _get_checkpointer()
