"""Delivers outbox events to plugins: at least once, in commit order, off the run's hot path.

Each plugin has a cursor row in ``hook_cursors``. A dispatcher locks a plugin's cursor with
``FOR UPDATE SKIP LOCKED`` (so several dispatchers, in the server and in ``adlaan hooks worker``,
share plugins without delivering one event twice at once), hands it the events after its cursor
in id order, and moves the cursor on. A failure is classified (``classify``): an invalid event
goes to ``hook_dead_letters`` at once; a failure that may pass parks the event's thread
(``hook_parked_threads``: its later events are held back, in order, and retried with exponential
backoff, then dead-lettered) while the cursor moves on for every other thread; a dependency that
is down holds the whole plugin back. Other plugins never wait.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import OrderedDict
from datetime import datetime
from typing import Any, Literal

import pluggy
import psycopg
from langchain_core.runnables import RunnableConfig
from psycopg.rows import dict_row

from hooks import PermanentError
from hooks import metrics as hook_metrics
from hooks.events import CheckpointEvent, RunEvent
from store import crypto
from store.checkpointer import PostgresCheckpointer
from store.db import DictPool, libpq_url
from store.models.hook_event import NOTIFY_CHANNEL
from store.repositories import checkpoints, outbox

logger = logging.getLogger("adlaan.hooks")


def _actor(metadata: dict[str, Any], key: str) -> str | None:
    """Who acted, from a key only the server writes: a checkpoint's ``langgraph_auth_user_id``
    (langgraph-api sets it from the principal and refuses it from clients), a run's ``owner``
    (the auth handler overwrites it). Never ``user_id`` or anything else a caller can choose."""
    value = metadata.get(key)
    return value if isinstance(value, str) and value else None


#: Errors that say the event itself is bad: retrying cannot help, so it is dead-lettered at once.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    PermanentError,
    ValueError,
    TypeError,
    KeyError,
    psycopg.DataError,
    psycopg.IntegrityError,
)


def classify(error: BaseException) -> Literal["permanent", "transient", "unavailable"]:
    """How a plugin's error is handled. ``permanent``: the event is invalid (``PermanentError``,
    validation and data errors), dead-lettered on the first attempt. ``unavailable``: what the
    plugin needs is down (connection and pool errors, a server shutting down), the whole plugin
    backs off and nothing is dead-lettered. ``transient``, anything else (deadlocks, serialization
    failures, timeouts, unknown errors): the event's thread is parked and retried with backoff,
    then dead-lettered after ``max_attempts``; other threads go on."""
    if isinstance(error, PERMANENT_ERRORS):
        return "permanent"
    if isinstance(error, psycopg.InterfaceError | ConnectionError):
        return "unavailable"
    if isinstance(error, psycopg.OperationalError):
        state = error.sqlstate  # None: no server answer (connection lost, pool timeout)
        if state is None or state.startswith(("08", "57P")):
            return "unavailable"
    return "transient"


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value)
    return None


def _config(row: dict[str, Any]) -> RunnableConfig:
    """The config that reads an outbox row's checkpoint."""
    return {
        "configurable": {
            "thread_id": row["thread_id"],
            "checkpoint_ns": "",
            "checkpoint_id": row["checkpoint_id"],
        }
    }


def _checkpoint_event(row: dict[str, Any], found: Any, head_id: str | None) -> CheckpointEvent:
    """The event of a checkpoint's outbox row, from the checkpoint read (None: it is gone)."""
    metadata: dict[str, Any] = dict(found.metadata) if found else {}
    return CheckpointEvent(
        event_id=row["id"],
        thread_id=row["thread_id"],
        checkpoint_id=row["checkpoint_id"],
        parent_checkpoint_id=row["parent_checkpoint_id"],
        run_id=row["run_id"],
        source=row["source"],
        step=metadata.get("step"),
        created_at=_timestamp(found.checkpoint.get("ts")) if found else row["created_at"],
        graph_id=metadata.get("graph_id"),
        assistant_id=metadata.get("assistant_id"),
        actor=_actor(metadata, "langgraph_auth_user_id"),
        metadata=metadata,
        values=dict(found.checkpoint["channel_values"]) if found else {},
        is_head=head_id == row["checkpoint_id"],
    )


class Dispatcher:
    """Delivers the outbox to the plugins of ``pm`` using connections from ``pool``."""

    def __init__(
        self,
        pool: DictPool,
        pm: pluggy.PluginManager,
        *,
        batch_size: int = 200,
        max_attempts: int = 5,
        base_delay: float = 0.5,
        max_delay: float = 60.0,
        concurrency: int = 1,
        together: int = 32,
        linger: float = 0.05,
        max_linger: float = 0.1,
        duty: float = 10.0,
    ) -> None:
        self.pool = pool
        #: How many threads' events are delivered at once (each thread's still in order).
        self.concurrency = concurrency
        #: How many events a plugin that takes batches gets in one call (docs/hooks.md).
        self.together = together
        #: Seconds at least between the starts of two rounds of ``run``: woken sooner by a
        #: notification, it waits, so that a busy server's events are delivered several at a
        #: time. A round's fixed cost (the cursor's and the mirror's transactions, a dozen
        #: statements) is then shared by the events of ``linger`` seconds, not paid by each
        #: as it trickles in; an event after a quiet while goes at once.
        self.linger = linger
        #: Under load the wait grows to ``duty`` times the last round's duration, up to
        #: ``max_linger`` seconds: a round's fixed cost (about twenty statements, and the
        #: dispatcher's work around them) then takes at most a tenth of the time, however
        #: slow the machine, instead of a round every ``linger`` with one or two events in it
        #: (a turn writes six checkpoints). A quick round on a quiet or fast machine keeps
        #: ``linger``; an event after a quiet while still goes at once. The cap is what the
        #: mirror's lag can spare: 150 ms put the lag's p99 over 200 ms on `langgraph dev`
        #: on a slow day of this machine.
        self.max_linger = max(linger, max_linger)
        self.duty = duty
        self.pm = pm
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        # encrypted checkpoints (ADLAAN_ENCRYPTION_KEY) are read with the process's keyring
        # an event carries a checkpoint's values and metadata, never its pending writes
        self.saver = PostgresCheckpointer(pool, values_only=True, **crypto.saver_kwargs())
        self._events: OrderedDict[int, Any] = OrderedDict()

    # -- plugins ----------------------------------------------------------------------
    def plugin_names(self) -> list[str]:
        names = []
        for name, plugin in self.pm.list_name_plugin():
            if any(hasattr(plugin, hook) for hook in ("after_checkpoint", "after_run")):
                names.append(name)
        return names

    async def call(self, plugin_name: str, event: Any) -> None:
        """Deliver ``event`` to one plugin (awaiting it if it is a coroutine)."""
        hook = "after_run" if isinstance(event, RunEvent) else "after_checkpoint"
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            if impl.plugin_name == plugin_name:
                result = impl.function(event=event)
                if inspect.isawaitable(result):
                    await result

    # -- events -----------------------------------------------------------------------
    async def event(self, row: dict[str, Any], *, cache: bool = True) -> Any:
        """The event object for an outbox row (checkpoint events carry the state's values)."""
        if cache and (cached := self._events.get(row["id"])) is not None:
            return cached
        if row["kind"] == "run":
            payload = row["payload"] or {}
            event: Any = RunEvent(
                event_id=row["id"],
                thread_id=row["thread_id"],
                run_id=row["run_id"],
                status=payload.get("status", "unknown"),
                assistant_id=payload.get("assistant_id"),
                actor=_actor(payload.get("metadata") or {}, "owner"),
                created_at=row["created_at"],
                metadata=payload.get("metadata") or {},
            )
        else:
            # the checkpoint and the thread's head, read at once (two round trips overlap)
            found, head_id = await asyncio.gather(
                self.saver.aget_tuple(_config(row)), self._head_id(row["thread_id"])
            )
            event = _checkpoint_event(row, found, head_id)
        if cache:
            self._remember(row["id"], event)
        return event

    def _remember(self, event_id: int, event: Any) -> None:
        self._events[event_id] = event
        while len(self._events) > 1000:
            self._events.popitem(last=False)

    async def events(self, rows: list[dict[str, Any]]) -> list[Any]:
        """The events of ``rows`` (in event order; each thread's in order): the checkpoints
        read in one statement, oldest first, and every thread's head in another, the two at
        once, rather than two round trips an event."""
        wanted = [r for r in rows if r["kind"] != "run" and r["id"] not in self._events]
        threads = list(dict.fromkeys(r["thread_id"] for r in wanted))
        found, heads = await asyncio.gather(
            self.saver.aget_tuples([_config(r) for r in wanted]), self._head_ids(threads)
        )
        built = {
            row["id"]: _checkpoint_event(row, checkpoint, heads[row["thread_id"]])
            for row, checkpoint in zip(wanted, found, strict=True)
        }
        for event_id, event in built.items():
            self._remember(event_id, event)
        return [built.get(row["id"]) or await self.event(row) for row in rows]

    async def _head_id(self, thread_id: str) -> str | None:
        async with self.pool.connection() as conn:
            return await checkpoints.head_id(conn, thread_id)

    # -- delivery ---------------------------------------------------------------------
    async def _head_ids(self, thread_ids: list[str]) -> dict[str, str | None]:
        if not thread_ids:
            return {}
        async with self.pool.connection() as conn:
            return await checkpoints.head_ids(conn, thread_ids)

    async def ensure_cursors(self) -> None:
        async with self.pool.connection() as conn:
            for name in self.plugin_names():
                await outbox.ensure_cursor(conn, name)

    async def attempt(
        self, plugin_name: str, row: dict[str, Any], *, fresh: bool
    ) -> Exception | None:
        """Deliver one outbox row to one plugin; the error it raised, if any. ``fresh`` reloads
        the event (a retry: the checkpoint may have changed since)."""
        if fresh:
            self._events.pop(row["id"], None)
        try:
            await self.call(plugin_name, await self.event(row))
        except Exception as error:  # a plugin's failure must not stop the others
            hook_metrics.failed(plugin_name, classify(error))
            return error
        hook_metrics.delivered(plugin_name, row["created_at"])
        return None

    async def _failed(
        self, conn: Any, plugin_name: str, row: dict[str, Any], attempts: int, error: Exception
    ) -> bool:
        """Record a failed attempt of an event that is not ``unavailable``: a dead letter when it
        is permanent or out of attempts, else its thread is parked with exponential backoff.
        True when the thread is parked."""
        kind = classify(error)
        message = f"{type(error).__name__}: {error}"[:2000]
        logger.warning(
            "hook %s failed on event %s of thread %s (%s, attempt %s): %s",
            plugin_name,
            row["id"],
            row["thread_id"],
            kind,
            attempts,
            message,
        )
        if kind == "permanent" or attempts >= self.max_attempts:
            await outbox.dead_letter(conn, plugin_name, row["id"], message, attempts)
            return False
        delay = self.base_delay * 2 ** (attempts - 1)
        await outbox.park(conn, plugin_name, row["thread_id"], row["id"], attempts, message, delay)
        return True

    async def _back_off(
        self, conn: Any, plugin_name: str, position: int, attempts: int, error: Exception
    ) -> None:
        """What the plugin needs is unavailable: hold the whole plugin back (no dead letter: the
        events are not at fault), exponentially up to ``max_delay``."""
        message = f"{type(error).__name__}: {error}"[:2000]
        logger.warning("hook %s: unavailable (attempt %s): %s", plugin_name, attempts, message)
        await self.unavailable()
        delay = min(self.base_delay * 2 ** (attempts - 1), self.max_delay)
        await outbox.back_off(conn, plugin_name, position, attempts, message, delay)

    async def unavailable(self) -> None:
        """The database looked unavailable: the pool's idle connections are checked, and the
        dead ones (a restarted or failed-over server's) replaced, so that the next round does
        not take one. A dispatcher's own pool does not check a connection at every checkout
        (server/hooks.py); this is when it does."""
        try:
            await self.pool.check()
        except Exception as error:
            logger.debug("hook dispatcher: checking the pool failed: %s", error)

    async def _retry_parked(
        self, conn: Any, plugin_name: str, parked: dict[str, Any], position: int
    ) -> tuple[int, str | Exception]:
        """Deliver a parked thread's held-back events (from its failed one up to the cursor's
        ``position``) in order: (events taken, ``"done"`` when it is unparked, ``"parked"`` when
        it failed again, or the error when the plugin is unavailable)."""
        thread_id, first, taken = parked["thread_id"], parked["event_id"], 0
        while True:
            rows = await outbox.thread_events(conn, thread_id, first, position, self.batch_size)
            for row in rows:
                error = await self.attempt(plugin_name, row, fresh=True)
                if error is None:
                    taken += 1
                    continue
                if classify(error) == "unavailable":
                    return taken, error
                attempts = (parked["attempts"] if row["id"] == parked["event_id"] else 0) + 1
                if await self._failed(conn, plugin_name, row, attempts, error):
                    return taken, "parked"
                taken += 1
            if len(rows) < self.batch_size:
                break
            first = rows[-1]["id"] + 1
        await outbox.unpark(conn, plugin_name, thread_id)
        return taken, "done"

    async def deliver(self, plugin_name: str) -> int:
        """Hand one batch to one plugin; returns how many events it took (delivered, dead-lettered
        or held back behind a parked thread).

        First the parked threads whose backoff has ended get their held-back events; then the
        batch after the cursor, skipping (and so holding back, in order) the events of threads
        still parked. A failing event parks its thread only: the cursor moves on for the rest."""
        # pipelined: BEGIN goes with the round's statement, the cursor's update with COMMIT
        async with self.pool.connection() as conn, conn.pipeline(), conn.transaction():
            cursor, rows = await outbox.lock_round(conn, plugin_name, self.batch_size)
            if cursor is None:  # another dispatcher has it, or it is backing off
                return 0
            position, taken, held = cursor["last_event_id"], 0, set()
            for parked in await outbox.parked(conn, plugin_name) if cursor["parked"] else ():
                outcome: str | Exception = "parked"
                if parked["due"]:
                    done, outcome = await self._retry_parked(conn, plugin_name, parked, position)
                    taken += done
                if isinstance(outcome, Exception):
                    await self._back_off(
                        conn, plugin_name, position, cursor["attempts"] + 1, outcome
                    )
                    return taken
                if outcome == "parked":
                    held.add(parked["thread_id"])
            if not rows:
                await outbox.advance(conn, plugin_name, position)
                return taken
            fresh = rows[0]["id"] if cursor["attempts"] > 0 else None
            failures = await self._attempt_batch(plugin_name, rows, held, fresh)
            # the cursor stops before the first event the plugin could not reach
            stop = min((r["id"] for r, e in failures if classify(e) == "unavailable"), default=None)
            for row, error in failures:
                if (stop is None or row["id"] < stop) and classify(error) != "unavailable":
                    await self._failed(conn, plugin_name, row, 1, error)
            for row in rows:
                if stop is not None and row["id"] >= stop:
                    unavailable = next(e for r, e in failures if r["id"] == stop)
                    await self._back_off(
                        conn, plugin_name, position, cursor["attempts"] + 1, unavailable
                    )
                    return taken
                # held back or not, the cursor passes it: a parked thread's retry delivers it
                position, taken = row["id"], taken + 1
            await outbox.advance(conn, plugin_name, position)
            return taken

    def _together(self, plugin_name: str) -> Any:
        """The plugin's ``after_events(events)``, if it takes a batch at once (docs/hooks.md,
        "Batches")."""
        plugin = self.pm.get_plugin(plugin_name)
        method = getattr(plugin, "after_events", None)
        return method if inspect.iscoroutinefunction(method) else None

    async def _deliver_together(
        self, plugin_name: str, rows: list[dict[str, Any]], fresh: int | None
    ) -> list[dict[str, Any]]:
        """Deliver ``rows`` (in event order) to a plugin that takes batches, ``together`` events
        a call: the rows it did not take (all of them when it takes no batches). A call's
        events are built from two statements (``events``) and written in one transaction, so a
        chunk's lag is its own building and writing, not the whole batch's. When a call fails (the plugin writes nothing then), its rows and the rest are
        returned: the caller delivers them one by one, which finds and handles the failing
        one exactly as without batches."""
        together = self._together(plugin_name)
        if together is None:
            return rows
        if fresh is not None:
            self._events.pop(fresh, None)
        for start in range(0, len(rows), self.together):
            chunk = rows[start : start + self.together]
            try:
                events = await self.events(chunk)
                await together(events=events)
            except Exception as error:  # redelivered one by one, which classifies and records it
                logger.debug("hook %s: a batch of %s failed (%s)", plugin_name, len(chunk), error)
                return rows[start:]
            for row in chunk:
                hook_metrics.delivered(plugin_name, row["created_at"])
        return []

    def _parks(self, error: Exception) -> bool:
        """Whether ``_failed`` parks the thread of an event failing with ``error`` for the first
        time (its later events are then held back)."""
        return classify(error) == "transient" and self.max_attempts > 1

    async def _attempt_batch(
        self, plugin_name: str, rows: list[dict[str, Any]], held: set[str], fresh: int | None
    ) -> list[tuple[dict[str, Any], Exception]]:
        """Deliver a batch, each thread's events in order, skipping ``held`` threads: the
        failures, in event order. A thread stops at a failure that parks it (its later events
        are then held back) or at an unavailable plugin. With ``concurrency`` > 1, up to that
        many threads are delivered at once (round trips overlap); else one event after another,
        in commit order. ``held`` gains the threads a failure parks."""
        rows = await self._deliver_together(
            plugin_name, [row for row in rows if row["thread_id"] not in held], fresh
        )
        chains: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            chains.setdefault(row["thread_id"], []).append(row)
        failures: list[tuple[dict[str, Any], Exception]] = []
        gate = asyncio.Semaphore(self.concurrency)

        async def deliver_thread(chain: list[dict[str, Any]]) -> None:
            async with gate:
                for row in chain:
                    error = await self.attempt(plugin_name, row, fresh=row["id"] == fresh)
                    if error is None:
                        continue
                    failures.append((row, error))
                    if classify(error) == "unavailable" or self._parks(error):
                        if self._parks(error):
                            held.add(row["thread_id"])
                        return

        if self.concurrency > 1:
            await asyncio.gather(*(deliver_thread(chain) for chain in chains.values()))
        else:  # one event after another, in commit order across threads too
            for row in rows:
                if row["thread_id"] in held:
                    continue
                error = await self.attempt(plugin_name, row, fresh=row["id"] == fresh)
                if error is not None:
                    failures.append((row, error))
                    if classify(error) == "unavailable":
                        break
                    if self._parks(error):
                        held.add(row["thread_id"])
        failures.sort(key=lambda failure: failure[0]["id"])
        return failures

    async def checkpoint_events(self, thread_ids: list[str] | None = None) -> list[dict]:
        """Outbox rows for every root checkpoint (of ``thread_ids``, or all), in order: what
        ``event`` turns into checkpoint events, to replay them (``adlaan mirror sync``)."""
        async with self.pool.connection() as conn:
            return await checkpoints.roots(conn, thread_ids)

    async def retry_dead_letters(self, plugin: str | None = None) -> tuple[int, int]:
        """Deliver each dead letter (of ``plugin``, or all) once more, now: (delivered, failed
        again). A letter that fails again stays dead with its new error."""
        ok = failed = 0
        async with self.pool.connection() as conn:
            letters = await outbox.pending_dead_letters(conn, plugin)
        for letter in letters:
            async with self.pool.connection() as conn:
                row = await outbox.event(conn, letter["event_id"])
            try:
                if row is None:
                    raise LookupError(f"event {letter['event_id']} no longer exists")
                await self.call(letter["plugin"], await self.event(row, cache=False))
            except Exception as error:
                failed += 1
                async with self.pool.connection() as conn:
                    await outbox.dead_letter_failed_again(conn, letter["id"], str(error)[:2000])
                continue
            async with self.pool.connection() as conn:
                await outbox.dead_letter_retried(conn, letter["id"])
            ok += 1
        return ok, failed

    async def drain(self) -> int:
        """Deliver until every plugin is caught up (or backing off). A plugin whose batch was
        not full has nothing more to take now (events committed later wake the dispatcher), so
        it is not asked again: no round of cursor transactions that finds nothing."""
        total, names = 0, self.plugin_names()
        while names:
            full = []
            for name in names:
                taken = await self.deliver(name)
                total += taken
                if taken >= self.batch_size:
                    full.append(name)
            names = full
        return total

    def apart(self, spent: float) -> float:
        """How long after its start the next round may start, the last one having taken
        ``spent`` seconds: ``linger``, or ``duty`` times ``spent`` up to ``max_linger``."""
        return min(self.max_linger, max(self.linger, self.duty * spent))

    async def run(self, url: str, stop: asyncio.Event, poll: float = 1.0) -> None:
        """Deliver forever: woken by ``NOTIFY`` (no sooner than ``linger`` seconds after the
        last round began, with the events that came meanwhile), and every ``poll`` seconds in
        case one was missed (or a plugin's backoff ended). Reconnects when the database goes
        away."""
        await self.ensure_cursors()
        while not stop.is_set():
            try:
                conn = await psycopg.AsyncConnection.connect(
                    libpq_url(url), autocommit=True, row_factory=dict_row
                )
                async with conn:
                    await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    clock = asyncio.get_running_loop().time
                    while not stop.is_set():
                        started = clock()
                        await self.drain()
                        apart = self.apart(clock() - started)
                        async for _ in conn.notifies(timeout=poll, stop_after=1):
                            # rounds start ``apart`` seconds apart at most: a quiet thread's
                            # event goes at once, a busy server's gather meanwhile
                            await asyncio.sleep(max(0.0, started + apart - clock()))
                        # the notifications already here (a checkpoint each) wake one drain
                        async for _ in conn.notifies(timeout=0):
                            pass
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("hook dispatcher lost its database connection; retrying")
                await self.unavailable()
                await asyncio.sleep(1.0)
