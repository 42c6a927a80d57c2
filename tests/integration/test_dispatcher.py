"""The hooks dispatcher's logic (hooks/dispatcher.py) without a server, on a database of the
test's own, with throwaway plugins on a fresh plugin manager: delivery in commit order per
plugin; a transient failure parks only its thread (exponential backoff, per-thread order kept)
while the cursor moves on; a permanent one is a dead letter at once; an unavailable dependency
holds the plugin back; dead letters after ``max_attempts``, ``retry_dead_letters`` and
``checkpoint_events``."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import psycopg
import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import START, MessagesState, StateGraph
from psycopg.types.json import Jsonb

from hooks import PermanentError, hookimpl
from hooks.dispatcher import Dispatcher
from hooks.events import CheckpointEvent, RunEvent
from hooks.manager import get_plugin_manager
from store.checkpointer import PostgresCheckpointer
from store.models.hook_event import RUN_EVENT_SQL

pytestmark = pytest.mark.integration


class Recorder:
    """Records the id of every run event it is given."""

    def __init__(self):
        self.seen: list[int] = []

    @hookimpl
    def after_run(self, event):
        self.seen.append(event.event_id)


class AsyncRecorder(Recorder):
    @hookimpl
    async def after_run(self, event):
        self.seen.append(event.event_id)


class Failing:
    """Fails on the events in ``fail_on`` (each ``times`` times, then handles it), with
    ``RuntimeError(f"{message} {event_id}")`` or ``error``."""

    def __init__(
        self,
        fail_on: set[int],
        times: int = 10**6,
        message: str = "cannot handle",
        error: Exception | None = None,
    ):
        self.fail_on, self.times, self.message, self.error = fail_on, times, message, error
        self.calls: list[int] = []
        self.events: list[RunEvent] = []

    @hookimpl
    async def after_run(self, event):
        self.calls.append(event.event_id)
        if event.event_id in self.fail_on and self.calls.count(event.event_id) <= self.times:
            raise self.error or RuntimeError(f"{self.message} {event.event_id}")
        self.events.append(event)


async def add_run_events(pool, n: int, **metadata) -> list[int]:
    """``n`` run events, as the registry writes them when runs end; their ids, in order."""
    async with pool.connection() as conn:
        for i in range(n):
            payload = {"status": "success", "assistant_id": f"a{i}", "metadata": metadata}
            await conn.execute(RUN_EVENT_SQL, (f"thread-{i}", f"run-{i}", Jsonb(payload)))
        cur = await conn.execute("SELECT id FROM hook_events WHERE kind = 'run' ORDER BY id")
        return [row["id"] for row in await cur.fetchall()][-n:]


async def add_thread_events(pool, threads: list[str]) -> list[int]:
    """One run event for each of ``threads`` (a thread may repeat), in order; their ids."""
    ids = []
    async with pool.connection() as conn:
        for i, thread in enumerate(threads):
            payload = {"status": "success", "assistant_id": None, "metadata": {}}
            await conn.execute(RUN_EVENT_SQL, (thread, f"run-{thread}-{i}", Jsonb(payload)))
            cur = await conn.execute("SELECT max(id) AS id FROM hook_events")
            ids.append((await cur.fetchone())["id"])
    return ids


def parked(database_url: str) -> list[tuple]:
    """Every parked thread: plugin, thread, event, attempts, backoff in seconds, error."""
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT plugin, thread_id, event_id, attempts, "
            "extract(epoch FROM next_attempt_at - updated_at)::float, last_error "
            "FROM hook_parked_threads ORDER BY plugin, event_id"
        ).fetchall()


def end_park(database_url: str) -> None:
    """The time every parked thread's backoff lasts, passed."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE hook_parked_threads SET next_attempt_at = now() - interval '1 second'")


def cursor(database_url: str, plugin: str) -> dict:
    """A plugin's cursor, with its backoff as seconds (``next_attempt_at`` - ``updated_at``)."""
    with psycopg.connect(database_url, row_factory=psycopg.rows.dict_row) as conn:
        return conn.execute(
            "SELECT last_event_id, attempts, last_error, next_attempt_at, "
            "extract(epoch FROM next_attempt_at - updated_at)::float AS backoff "
            "FROM hook_cursors WHERE plugin = %s",
            (plugin,),
        ).fetchone()


def end_backoff(database_url: str, plugin: str) -> None:
    """The time a plugin's backoff lasts, passed."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE hook_cursors SET next_attempt_at = now() - interval '1 second' "
            "WHERE plugin = %s",
            (plugin,),
        )


def dead_letters(database_url: str) -> list[tuple]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT plugin, event_id, attempts, error, retried_at IS NOT NULL "
            "FROM hook_dead_letters ORDER BY plugin, id"
        ).fetchall()


async def test_each_plugin_gets_every_event_once_in_commit_order_batch_after_batch(
    pool, database_url
):
    events = await add_run_events(pool, 7)
    sync, async_ = Recorder(), AsyncRecorder()
    pm = get_plugin_manager(builtins=[("sync", sync), ("async", async_), ("inert", object())])
    dispatcher = Dispatcher(pool, pm, batch_size=3)
    assert set(dispatcher.plugin_names()) == {"sync", "async"}
    await dispatcher.ensure_cursors()
    with psycopg.connect(database_url) as conn:
        plugins = {r[0] for r in conn.execute("SELECT plugin FROM hook_cursors").fetchall()}
    assert plugins == {"sync", "async"}, "a plugin without hooks gets no cursor"

    assert await dispatcher.deliver("sync") == 3, "one batch"
    assert sync.seen == events[:3] and cursor(database_url, "sync")["last_event_id"] == events[2]
    assert await dispatcher.drain() == 4 + 7
    assert sync.seen == events and async_.seen == events
    assert await dispatcher.drain() == 0, "nothing twice"

    more = await add_run_events(pool, 2)
    assert await dispatcher.drain() == 4
    assert sync.seen == async_.seen == events + more
    assert cursor(database_url, "async")["last_event_id"] == more[-1]


async def test_a_transient_failure_parks_only_its_thread_with_exponential_backoff(
    pool, database_url
):
    threads = ["a", "bad", "a", "bad", "b", "bad"]
    events = await add_thread_events(pool, threads)
    good, flaky = Recorder(), Failing(fail_on={events[1]}, times=2)
    pm = get_plugin_manager(builtins=[("good", good), ("flaky", flaky)])
    dispatcher = Dispatcher(pool, pm, max_attempts=5, base_delay=60)
    await dispatcher.ensure_cursors()

    await dispatcher.drain()
    assert good.seen == events, "the others never wait"
    assert flaky.calls == [events[0], events[1], events[2], events[4]], "bad's later ones wait"
    moved = cursor(database_url, "flaky")
    assert (moved["last_event_id"], moved["attempts"], moved["next_attempt_at"]) == (
        events[-1],
        0,
        None,
    ), "the cursor moves on for the other threads"
    assert parked(database_url) == [
        ("flaky", "bad", events[1], 1, 60.0, f"RuntimeError: cannot handle {events[1]}")
    ]

    assert await dispatcher.deliver("flaky") == 0, "backing off"
    end_park(database_url)
    assert await dispatcher.deliver("flaky") == 0
    [(_, _, event_id, attempts, backoff, _)] = parked(database_url)
    assert (event_id, attempts, backoff) == (events[1], 2, 120.0), "twice as long"

    more = await add_thread_events(pool, ["bad", "c"])
    assert await dispatcher.deliver("flaky") == 2, "bad's is held back behind its parked one"
    assert flaky.calls[-1] == more[1]
    end_park(database_url)
    assert await dispatcher.deliver("flaky") == 4
    delivered = [e.event_id for e in flaky.events]
    first_pass = [events[0], events[2], events[4], more[1]]
    assert delivered == [*first_pass, events[1], events[3], events[5], more[0]]
    assert parked(database_url) == [] and dead_letters(database_url) == []
    for thread in set(threads):
        mine = [e.event_id for e in flaky.events if e.thread_id == thread]
        assert mine == sorted(mine), "per-thread order"


@pytest.mark.parametrize(
    "error",
    [
        PermanentError("version must be an integer"),
        ValueError("bad version"),
        TypeError("not a mapping"),
        KeyError("key"),
        psycopg.errors.InvalidTextRepresentation("invalid input syntax for type integer"),
        psycopg.errors.UniqueViolation("duplicate key"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_a_permanent_failure_is_a_dead_letter_on_the_first_attempt(pool, database_url, error):
    events = await add_thread_events(pool, ["bad", "a", "bad"])
    poisoned = Failing(fail_on={events[0]}, error=error)
    pm = get_plugin_manager(builtins=[("poisoned", poisoned)])
    dispatcher = Dispatcher(pool, pm, max_attempts=5, base_delay=60)
    await dispatcher.ensure_cursors()

    assert await dispatcher.drain() == 3
    assert poisoned.calls == events, "never retried, and the thread's next event goes on"
    [(plugin, event_id, attempts, message, retried)] = dead_letters(database_url)
    assert (plugin, event_id, attempts, retried) == ("poisoned", events[0], 1, False)
    assert message == f"{type(error).__name__}: {error}"
    assert parked(database_url) == []
    assert cursor(database_url, "poisoned")["last_event_id"] == events[-1]


async def test_an_unavailable_dependency_holds_the_plugin_back_and_dead_letters_nothing(
    pool, database_url
):
    events = await add_thread_events(pool, ["a", "b", "c"])
    down = Failing(fail_on={events[1]}, times=6, error=psycopg.OperationalError("server closed"))
    pm = get_plugin_manager(builtins=[("down", down)])
    dispatcher = Dispatcher(pool, pm, max_attempts=2, base_delay=60, max_delay=100)
    await dispatcher.ensure_cursors()

    await dispatcher.drain()
    backing = cursor(database_url, "down")
    assert (backing["last_event_id"], backing["attempts"], backing["backoff"]) == (
        events[0],
        1,
        60,
    )
    for expected in (100, 100):  # capped at max_delay, and never a dead letter
        end_backoff(database_url, "down")
        await dispatcher.drain()
        assert cursor(database_url, "down")["backoff"] == expected
    assert dead_letters(database_url) == [] and parked(database_url) == []
    down.times = 3
    end_backoff(database_url, "down")
    assert await dispatcher.drain() == 2
    assert [e.event_id for e in down.events] == events


async def test_retry_dead_letters_delivers_them_again_and_keeps_what_still_fails(
    pool, database_url
):
    [event] = await add_run_events(pool, 1, owner="user-1", user_id="mallory")
    a, b = Failing(fail_on={event}, times=1), Failing(fail_on={event}, times=2, message="still")
    pm = get_plugin_manager(builtins=[("a", a), ("b", b)])
    dispatcher = Dispatcher(pool, pm, max_attempts=1)
    await dispatcher.ensure_cursors()
    await dispatcher.drain()
    assert [(p, e, n, s) for p, e, n, _, s in dead_letters(database_url)] == [
        ("a", event, 1, False),
        ("b", event, 1, False),
    ]

    assert await dispatcher.retry_dead_letters("a") == (1, 0), "only a's"
    [delivered] = a.events
    assert isinstance(delivered, RunEvent)
    assert (delivered.thread_id, delivered.run_id) == ("thread-0", "run-0")
    assert delivered.status == "success"
    assert delivered.assistant_id == "a0"
    assert delivered.actor == "user-1", "the run's owner, never a caller's user_id"

    assert await dispatcher.retry_dead_letters() == (0, 1)
    (_, _, _, a_error, a_retried), (_, _, _, b_error, b_retried) = dead_letters(database_url)
    assert a_error == f"RuntimeError: cannot handle {event}" and a_retried
    assert b_error.endswith(f"still {event}") and not b_retried, "dead, with its new error"

    assert await dispatcher.retry_dead_letters() == (1, 0)
    assert [letter[-1] for letter in dead_letters(database_url)] == [True, True]
    assert await dispatcher.retry_dead_letters() == (0, 0)
    assert len(a.events) == len(b.events) == 1


def graph_with_a_subgraph(pool):
    inner = StateGraph(MessagesState)
    inner.add_node("draft", lambda s: {"messages": [AIMessage("drafted")]})
    inner.add_edge(START, "draft")
    outer = StateGraph(MessagesState)
    outer.add_node("inner", inner.compile())
    outer.add_edge(START, "inner")
    return outer.compile(checkpointer=PostgresCheckpointer(pool))


async def test_checkpoint_events_are_the_root_checkpoints_in_order_as_events(pool, database_url):
    graph = graph_with_a_subgraph(pool)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    for thread_id, turns in ((first, 2), (second, 1)):
        config = {
            "configurable": {"thread_id": thread_id},
            "metadata": {"langgraph_auth_user_id": "user-1", "user_id": "mallory"},
        }
        for i in range(turns):
            await graph.ainvoke({"messages": [HumanMessage(f"turn {i}")]}, config)
    with psycopg.connect(database_url) as conn:
        roots = conn.execute(
            "SELECT thread_id, checkpoint_id FROM checkpoints WHERE checkpoint_ns = '' "
            "ORDER BY thread_id, checkpoint_id"
        ).fetchall()
        nested = conn.execute("SELECT count(*) FROM checkpoints WHERE checkpoint_ns <> ''")
        assert nested.fetchone()[0] > 0, "the subgraph saved checkpoints of its own"
        outbox = conn.execute(
            "SELECT thread_id, checkpoint_id FROM hook_events WHERE kind = 'checkpoint'"
        ).fetchall()
    dispatcher = Dispatcher(pool, get_plugin_manager())

    rows = await dispatcher.checkpoint_events()
    assert [(r["thread_id"], r["checkpoint_id"]) for r in rows] == roots
    assert set(outbox) == set(roots), "what the outbox trigger wrote, as a replay sees it"
    only_second = await dispatcher.checkpoint_events([second])
    assert [r["thread_id"] for r in only_second] == [second] * len(only_second)
    assert len(only_second) == len([r for r in roots if r[0] == second])

    events = [await dispatcher.event(row, cache=False) for row in rows if row["thread_id"] == first]
    assert all(isinstance(e, CheckpointEvent) for e in events)
    assert [e.is_head for e in events] == [False] * (len(events) - 1) + [True]
    assert events[0].source == "input" and {e.source for e in events} == {"input", "loop"}
    assert {e.actor for e in events} == {"user-1"}, "from langgraph_auth_user_id only"
    head = events[-1].values["messages"]
    assert [m.content for m in head] == ["turn 0", "drafted", "turn 1", "drafted"]
    assert [e.step for e in events] == sorted(e.step for e in events)


async def test_a_dispatcher_on_its_own_pool_gets_over_its_connections_being_killed(
    database_url: str,
):
    """The dispatcher's own pool (server/hooks.py) does not check connections at checkout:
    after every backend of it is terminated (a restart, a failover), the first round takes a
    dead connection and fails, the dispatcher checks the pool (every dead connection replaced
    at once, not one failed round a second each), and the next events are delivered within a
    couple of seconds, none lost."""
    from server.hooks import make_pool
    from server.settings import Settings

    pool = make_pool(database_url, Settings(), size=4)
    await pool.open(wait=True)
    recorder = AsyncRecorder()
    pm = get_plugin_manager(builtins=[("recorder", recorder)])
    dispatcher = Dispatcher(pool, pm, base_delay=0.1)
    stop = asyncio.Event()
    delivering = asyncio.create_task(dispatcher.run(database_url, stop, poll=0.2))
    loop = asyncio.get_running_loop()

    async def seen(expected: list[int], within: float) -> float:
        start = loop.time()
        while recorder.seen != expected:
            assert loop.time() - start < within, recorder.seen
            await asyncio.sleep(0.05)
        return loop.time() - start

    try:
        first = await add_run_events(pool, 3)
        await seen(first, 10)
        # four idle connections in the pool, all to be killed
        async with contextlib.AsyncExitStack() as stack:
            for _ in range(4):
                await stack.enter_async_context(pool.connection())
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend'"
            )
            for i in range(2):
                conn.execute(RUN_EVENT_SQL, (f"later-{i}", f"run-later-{i}", Jsonb({})))
            later = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM hook_events WHERE thread_id LIKE 'later-%' ORDER BY id"
                ).fetchall()
            ]
        # one failed round (and the lost LISTEN connection) cost a second each at most
        assert await seen(first + later, 10) < 3.5
    finally:
        stop.set()
        delivering.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await delivering
        await pool.close()
