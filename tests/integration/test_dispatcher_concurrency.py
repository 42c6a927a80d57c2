"""The dispatcher delivering several threads at once (``concurrency`` > 1, as the server runs it):
each thread's events still in commit order, none lost or twice, a transient failure parks only
its thread, an unavailable plugin stops the cursor before the first event it could not reach."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from hooks import hookimpl
from hooks.dispatcher import Dispatcher
from hooks.manager import get_plugin_manager
from tests.integration.test_dispatcher import (
    Failing,
    add_thread_events,
    cursor,
    dead_letters,
    end_park,
    parked,
)

pytestmark = pytest.mark.integration


class Slow:
    """Takes a while on every event (a round trip) and records who was in flight at once."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []
        self.in_flight = 0
        self.most = 0

    @hookimpl
    async def after_run(self, event):
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        await asyncio.sleep(0.01)
        self.events.append((event.thread_id, event.event_id))
        self.in_flight -= 1


async def test_threads_are_delivered_at_once_each_in_order_none_twice(pool, database_url):
    threads = [f"t{i % 6}" for i in range(60)]
    events = await add_thread_events(pool, threads)
    slow = Slow()
    dispatcher = Dispatcher(
        pool, get_plugin_manager(builtins=[("slow", slow)]), batch_size=25, concurrency=4
    )
    await dispatcher.ensure_cursors()
    assert await dispatcher.drain() == 60
    assert sorted(e for _, e in slow.events) == events, "every event once"
    for thread in set(threads):
        mine = [e for t, e in slow.events if t == thread]
        assert mine == sorted(mine), "per-thread order"
    assert slow.most == 4, "four threads in flight, never more"
    assert cursor(database_url, "slow")["last_event_id"] == events[-1]
    assert await dispatcher.drain() == 0


async def test_a_transient_failure_parks_its_thread_while_the_others_go_on(pool, database_url):
    threads = ["a", "bad", "a", "bad", "b", "bad"]
    events = await add_thread_events(pool, threads)
    flaky = Failing(fail_on={events[1]}, times=1)
    dispatcher = Dispatcher(
        pool,
        get_plugin_manager(builtins=[("flaky", flaky)]),
        max_attempts=5,
        base_delay=60,
        concurrency=4,
    )
    await dispatcher.ensure_cursors()
    await dispatcher.drain()
    assert sorted(flaky.calls) == [events[0], events[1], events[2], events[4]]
    assert cursor(database_url, "flaky")["last_event_id"] == events[-1]
    assert [p[:4] for p in parked(database_url)] == [("flaky", "bad", events[1], 1)]
    end_park(database_url)
    await dispatcher.drain()
    delivered = [e.event_id for e in flaky.events]
    assert sorted(delivered) == events and len(delivered) == len(set(delivered))
    assert [e for e in delivered if e in (events[1], events[3], events[5])] == [
        events[1],
        events[3],
        events[5],
    ]
    assert parked(database_url) == [] and dead_letters(database_url) == []


async def test_an_unavailable_plugin_stops_the_cursor_before_what_it_could_not_reach(
    pool, database_url
):
    threads = ["a", "b", "c", "b", "a"]
    events = await add_thread_events(pool, threads)
    down = Failing(fail_on={events[3]}, times=1, error=psycopg.OperationalError("server closed"))
    dispatcher = Dispatcher(
        pool, get_plugin_manager(builtins=[("down", down)]), base_delay=60, concurrency=4
    )
    await dispatcher.ensure_cursors()
    await dispatcher.drain()
    backing_off = cursor(database_url, "down")
    assert backing_off["last_event_id"] == events[2], "before the event it could not reach"
    assert backing_off["attempts"] == 1 and backing_off["backoff"] == pytest.approx(60, abs=1)
    assert dead_letters(database_url) == [] and parked(database_url) == []
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE hook_cursors SET next_attempt_at = now() WHERE plugin = 'down'")
    await dispatcher.drain()
    delivered = [e.event_id for e in down.events]
    assert set(delivered) == set(events), "nothing lost (at least once: some twice)"
    assert cursor(database_url, "down")["last_event_id"] == events[-1]
