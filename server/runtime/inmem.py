"""The in-memory runtime of ``langgraph dev`` (langgraph-runtime-inmem): its store and its ops.

The runtime keeps threads, assistants, runs and crons in ``GLOBAL_STORE`` and changes them
through the static methods of ``ops.Threads``, ``ops.Assistants``, ``ops.Runs`` and ``ops.Crons``;
the LangGraph store's items live in ``store.STORE`` (an ``InMemoryStore`` pickled to disk).
``install(listeners)`` wraps the mutating ops (``WRAPPED_OPS``, once per process) and the store's
``batch``/``abatch`` so that each object they return or change is handed to a listener before the
API sees it: ``server/registry.py`` writes it through to PostgreSQL there. What the listeners write is the registry's business; which ops exist, what
their arguments are and when they take effect is this module's.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
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
    #: ``Crons.put/update/set_next_run_date``: ``(store, cron)``
    cron_saved: Callable[[dict, Any], Awaitable[None]]
    #: crons gone with ``Crons.delete``, or with their thread or assistant: ``(store, cron_ids)``
    crons_deleted: Callable[[dict, list[str]], Awaitable[None]]
    #: the LangGraph store's ``batch``/``abatch`` changed items: ``(changes,)``
    store_changed: Callable[[list[StoreChange]], Coroutine[Any, Any, None]]


class StoreChange(NamedTuple):
    """One item the store's batch put (``item`` as it now is) or deleted (``item`` None)."""

    namespace: tuple[str, ...]
    key: str
    item: Any


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


async def _replay(items: list[Any]) -> AsyncIterator[Any]:
    """An iterator over what an op that deletes as it is called returned."""
    for item in items:
        yield item


def _cron_ids(store: dict) -> set[str]:
    return {str(c["cron_id"]) for c in store.get("crons") or []}


async def _crons_gone(store: dict, before: set[str]) -> None:
    """Tell the listener which crons an op removed (a thread's or an assistant's go with it)."""
    if _listeners is not None and (gone := sorted(before - _cron_ids(store))):
        await _listeners.crons_deleted(store, gone)


def _wrap_removing_crons(op: Callable, event: str | None) -> Callable:
    """An op that deletes as it is called and may take crons with it (``Assistants.delete``,
    ``Crons.delete``): the listener for ``event`` runs for each item, then ``crons_deleted``."""

    @functools.wraps(op)
    async def wrapper(conn, *args, **kwargs):
        if _listeners is None:
            return await op(conn, *args, **kwargs)
        store = _store_of(conn)
        before = _cron_ids(store)
        deleted = [item async for item in await op(conn, *args, **kwargs)]
        if event is not None:
            for item in deleted:
                await getattr(_listeners, event)(store, item)
        await _crons_gone(store, before)
        return _replay(deleted)

    wrapper.__adlaan_wrapped__ = op  # type: ignore[attr-defined]
    return wrapper


def _wrap_set_next_run_date(op: Callable) -> Callable:
    """``Crons.set_next_run_date(conn, cron_id, next_run_date)``: the scheduler's only change."""

    @functools.wraps(op)
    async def wrapper(conn, cron_id, *args, **kwargs):
        result = await op(conn, cron_id, *args, **kwargs)
        if _listeners is not None:
            store = _store_of(conn)
            for cron in store.get("crons") or []:
                if str(cron["cron_id"]) == str(cron_id):
                    await _listeners.cron_saved(store, cron)
        return result

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
        crons = _cron_ids(store)
        deleted = [item async for item in await op(conn, thread_id, *args, **kwargs)]
        for item in deleted:
            await _listeners.thread_deleted(item, thread, runs)
        await _crons_gone(store, crons)
        return _replay(deleted)

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
        "Assistants", "delete", ("conn",), lambda op: _wrap_removing_crons(op, "assistant_deleted")
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
    WrappedOp("Crons", "put", ("conn",), lambda op: _wrap_iterator(op, "cron_saved")),
    WrappedOp("Crons", "update", ("conn",), lambda op: _wrap_iterator(op, "cron_saved")),
    WrappedOp("Crons", "delete", ("conn", "cron_id"), lambda op: _wrap_removing_crons(op, None)),
    WrappedOp("Crons", "set_next_run_date", ("conn", "cron_id"), _wrap_set_next_run_date),
)


# -- the LangGraph store (langgraph_runtime_inmem.store) ------------------------------------
_loop: asyncio.AbstractEventLoop | None = None
_background: set[asyncio.Task] = set()


def _store_changes(store: Any, ops: list) -> list[StoreChange]:
    """What the put ops of a batch left in ``store``: each item as it is now, or None."""
    from langgraph.store.base import PutOp

    changes = []
    for op in ops:
        if isinstance(op, PutOp):
            namespace = tuple(op.namespace)
            item = store._data.get(namespace, {}).get(op.key) if op.value is not None else None
            changes.append(StoreChange(namespace, op.key, item))
    return changes


def _wrap_abatch(method: Callable) -> Callable:
    @functools.wraps(method)
    async def abatch(self, ops):
        ops = list(ops)
        results = await method(self, ops)
        if _listeners is not None and (changes := _store_changes(self, ops)):
            await _listeners.store_changed(changes)
        return results

    abatch.__adlaan_wrapped__ = method  # type: ignore[attr-defined]
    return abatch


def _wrap_batch(method: Callable) -> Callable:
    """The sync path (a graph's sync node, from a worker thread): the listener runs on the
    server's loop and the caller waits for it."""

    @functools.wraps(method)
    def batch(self, ops):
        ops = list(ops)
        results = method(self, ops)
        if _listeners is not None and (changes := _store_changes(self, ops)):
            loop = _loop
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is not None:  # on a loop: it cannot wait for itself, the write follows
                task: asyncio.Task = running.create_task(_listeners.store_changed(changes))
                _background.add(task)
                task.add_done_callback(_background.discard)
            elif loop is None:
                raise RuntimeError("the store's write-through was installed outside a loop")
            else:
                asyncio.run_coroutine_threadsafe(_listeners.store_changed(changes), loop).result()
        return results

    batch.__adlaan_wrapped__ = method  # type: ignore[attr-defined]
    return batch


def store_class() -> type:
    """The runtime's store class, whose ``batch``/``abatch`` ``install`` wraps."""
    from langgraph_runtime_inmem.store import DiskBackedInMemStore

    return DiskBackedInMemStore


def runtime_store_items() -> list[tuple[tuple[str, ...], str, Any]]:
    """Every item of the runtime's LangGraph store: ``(namespace, key, Item)``."""
    from langgraph_runtime_inmem import store

    return [
        (namespace, key, item)
        for namespace, items in store.STORE._data.items()
        for key, item in items.items()
    ]


def replace_store_items(items: list[tuple[tuple[str, ...], str, Any]]) -> None:
    """Make ``items`` the whole content of the runtime's LangGraph store (at start-up, from
    PostgreSQL; an item's vectors, when an index is configured, are not restored)."""
    from langgraph_runtime_inmem import store

    data = store.STORE._data
    data.clear()
    for namespace, key, item in items:
        data[namespace][key] = item


def install(listeners: Listeners) -> None:
    """Wrap the runtime's mutating ops and its store's batches (once) and hand their results to
    ``listeners``."""
    global _listeners, _loop
    from server.runtime import require_pinned

    require_pinned("langgraph-runtime-inmem")
    from langgraph_runtime_inmem import ops

    _listeners = listeners
    try:
        _loop = asyncio.get_running_loop()
    except RuntimeError:
        _loop = None
    cls = store_class()
    for name, wrap in (("abatch", _wrap_abatch), ("batch", _wrap_batch)):
        current = cls.__dict__.get(name) or getattr(cls, name)
        if getattr(current, "__adlaan_wrapped__", None) is None:
            setattr(cls, name, wrap(current))
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
