"""The in-memory runtime of ``langgraph dev`` (langgraph-runtime-inmem): its store and its ops.

The runtime keeps threads, assistants and runs in ``GLOBAL_STORE`` and changes them through the
static methods of ``ops.Threads``, ``ops.Assistants`` and ``ops.Runs``. ``install(listeners)``
wraps the mutating ones (``WRAPPED_OPS``, once per process) so that each object they return is
handed to a listener before the API sees it: ``server/registry.py`` writes it through to
PostgreSQL there. What the listeners write is the registry's business; which ops exist, what
their arguments are and when they take effect is this module's.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

#: Run statuses after which the runtime neither runs nor retries a run.
TERMINAL_RUN_STATUSES = frozenset({"success", "error", "timeout", "interrupted"})


@dataclass(frozen=True)
class Listeners:
    """What to do after each change the runtime makes (``store`` is the runtime's store)."""

    #: ``Threads.put``: a thread created (again) under an id, deliberately
    thread_created: Callable[[dict, Any], Awaitable[None]]
    #: ``Threads.patch``
    thread_saved: Callable[[dict, Any], Awaitable[None]]
    #: ``Threads.copy``: ``(store, source_thread_id, new_thread)``
    thread_copied: Callable[[dict, Any, Any], Awaitable[None]]
    #: ``Threads.delete``: ``(thread_id, thread, runs)``, the thread and its runs as they were
    thread_deleted: Callable[[Any, dict, list[dict]], Awaitable[None]]
    #: ``Assistants.put/patch/set_latest``
    assistant_saved: Callable[[dict, Any], Awaitable[None]]
    #: ``Assistants.delete``: ``(store, assistant_id)``
    assistant_deleted: Callable[[dict, Any], Awaitable[None]]
    #: ``Runs.put``
    run_saved: Callable[[dict, Any], Awaitable[None]]
    #: ``Runs.delete``: ``(store, run_id)``
    run_deleted: Callable[[dict, Any], Awaitable[None]]
    #: ``Runs.set_status`` to a terminal status, ``Threads.set_joint_status`` to a terminal
    #: status or ``rollback`` (which deletes the run): ``(store, run_id, status)``
    run_ended: Callable[[dict, Any, str], Awaitable[None]]


_listeners: Listeners | None = None


def runtime_store() -> dict:
    """The in-memory runtime's store (threads, assistants, runs...)."""
    from langgraph_runtime_inmem.database import GLOBAL_STORE

    return GLOBAL_STORE


def _store_of(conn) -> dict:
    store = getattr(conn, "store", None)
    if store is None:
        store = runtime_store()
    return store


def _wrap_iterator(op: Callable, event: str) -> Callable:
    """Wrap an op returning an async iterator: the listener for ``event`` runs for each item
    before it is handed to the API (so the write is durable before the API acknowledges it)."""

    @functools.wraps(op)
    async def wrapper(conn, *args, **kwargs):
        iterator = await op(conn, *args, **kwargs)
        if _listeners is None:
            return iterator
        after = getattr(_listeners, event)

        async def through() -> AsyncIterator[Any]:
            async for item in iterator:
                await after(_store_of(conn), item)
                yield item

        return through()

    wrapper.__adlaan_wrapped__ = op  # type: ignore[attr-defined]
    return wrapper


def _wrap_delete_thread(op: Callable) -> Callable:
    """``Threads.delete(conn, thread_id)`` deletes as it is called; the worker that ends a
    stateless run never consumes the iterator it returns. So the listener runs here, at once,
    and the caller gets an iterator over what was deleted."""

    @functools.wraps(op)
    async def wrapper(conn, thread_id, *args, **kwargs):
        if _listeners is None:
            return await op(conn, thread_id, *args, **kwargs)
        # the op removes the thread and its runs from the store: note them first
        store = _store_of(conn)
        thread: dict[str, Any] = next(
            (t for t in store["threads"] if str(t["thread_id"]) == str(thread_id)), {}
        )
        runs = [r for r in store["runs"] if str(r.get("thread_id")) == str(thread_id)]
        deleted = [item async for item in await op(conn, thread_id, *args, **kwargs)]
        for item in deleted:
            await _listeners.thread_deleted(item, thread, runs)

        async def replay() -> AsyncIterator[Any]:
            for item in deleted:
                yield item

        return replay()

    wrapper.__adlaan_wrapped__ = op  # type: ignore[attr-defined]
    return wrapper


def _wrap_copy(op: Callable) -> Callable:
    """Like the other thread ops; the listener also learns the source thread."""

    @functools.wraps(op)
    async def wrapper(conn, thread_id, *args, **kwargs):
        iterator = await op(conn, thread_id, *args, **kwargs)
        if _listeners is None:
            return iterator
        after = _listeners.thread_copied

        async def through() -> AsyncIterator[Any]:
            async for item in iterator:
                await after(_store_of(conn), thread_id, item)
                yield item

        return through()

    wrapper.__adlaan_wrapped__ = op  # type: ignore[attr-defined]
    return wrapper


def _wrap_set_status(op: Callable) -> Callable:
    """``Runs.set_status(conn, run_id, status)``: used for retries and by other callers."""

    @functools.wraps(op)
    async def wrapper(conn, run_id, status, *args, **kwargs):
        result = await op(conn, run_id, status, *args, **kwargs)
        if _listeners is not None and status in TERMINAL_RUN_STATUSES:
            await _listeners.run_ended(_store_of(conn), run_id, status)
        return result

    wrapper.__adlaan_wrapped__ = op  # type: ignore[attr-defined]
    return wrapper


def _wrap_set_joint_status(op: Callable) -> Callable:
    """``Threads.set_joint_status(conn, thread_id, run_id, run_status, ...)``: how the worker
    ends every run (``rollback`` deletes the run)."""

    @functools.wraps(op)
    async def wrapper(conn, thread_id, run_id, run_status, *args, **kwargs):
        result = await op(conn, thread_id, run_id, run_status, *args, **kwargs)
        if _listeners is not None and (
            run_status in TERMINAL_RUN_STATUSES or run_status == "rollback"
        ):
            await _listeners.run_ended(_store_of(conn), run_id, run_status)
        return result

    wrapper.__adlaan_wrapped__ = op  # type: ignore[attr-defined]
    return wrapper


class WrappedOp(NamedTuple):
    """One op of ``langgraph_runtime_inmem.ops`` that ``install`` wraps."""

    cls: str
    method: str
    #: the leading parameters the wrapper passes on by position (its contract with the op)
    params: tuple[str, ...]
    wrap: Callable[[Callable], Callable]


#: Everything this module touches in the runtime's ops.
WRAPPED_OPS: tuple[WrappedOp, ...] = (
    WrappedOp("Threads", "put", ("conn",), lambda op: _wrap_iterator(op, "thread_created")),
    WrappedOp("Threads", "patch", ("conn",), lambda op: _wrap_iterator(op, "thread_saved")),
    WrappedOp("Threads", "copy", ("conn", "thread_id"), _wrap_copy),
    WrappedOp("Threads", "delete", ("conn", "thread_id"), _wrap_delete_thread),
    WrappedOp("Assistants", "put", ("conn",), lambda op: _wrap_iterator(op, "assistant_saved")),
    WrappedOp("Assistants", "patch", ("conn",), lambda op: _wrap_iterator(op, "assistant_saved")),
    WrappedOp(
        "Assistants", "set_latest", ("conn",), lambda op: _wrap_iterator(op, "assistant_saved")
    ),
    WrappedOp(
        "Assistants", "delete", ("conn",), lambda op: _wrap_iterator(op, "assistant_deleted")
    ),
    WrappedOp("Runs", "put", ("conn",), lambda op: _wrap_iterator(op, "run_saved")),
    WrappedOp("Runs", "delete", ("conn",), lambda op: _wrap_iterator(op, "run_deleted")),
    WrappedOp("Runs", "set_status", ("conn", "run_id", "status"), _wrap_set_status),
    WrappedOp(
        "Threads",
        "set_joint_status",
        ("conn", "thread_id", "run_id", "run_status"),
        _wrap_set_joint_status,
    ),
)


def install(listeners: Listeners) -> None:
    """Wrap the runtime's mutating ops (once) and hand their results to ``listeners``."""
    global _listeners
    from server.runtime import require_pinned

    require_pinned("langgraph-runtime-inmem")
    from langgraph_runtime_inmem import ops

    _listeners = listeners
    for spec in WRAPPED_OPS:
        cls = getattr(ops, spec.cls)
        current = cls.__dict__[spec.method]
        function = current.__func__ if isinstance(current, staticmethod) else current
        if getattr(function, "__adlaan_wrapped__", None) is not None:
            continue
        setattr(cls, spec.method, staticmethod(spec.wrap(function)))


def uninstall() -> None:
    """Stop handing results to the listeners (the wrappers stay, and pass calls straight on)."""
    global _listeners
    _listeners = None
