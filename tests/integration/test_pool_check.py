"""The pools' check on checkout (``store.db.check_if_disturbed``): a connection nothing happened
to is handed out without a round trip; one the server ended is found out and replaced before a
query gets it."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from store import db

pytestmark = pytest.mark.integration


@pytest.fixture
def full_checks(monkeypatch) -> list[int]:
    """The backend pids the full check (an empty query) ran on, in order."""
    ran: list[int] = []
    full = AsyncConnectionPool.check_connection

    async def counted(conn) -> None:
        ran.append(conn.info.backend_pid)
        await full(conn)

    monkeypatch.setattr(AsyncConnectionPool, "check_connection", staticmethod(counted))
    return ran


async def _pid(pool: db.DictPool) -> int:
    async with pool.connection() as conn:
        return (await (await conn.execute("SELECT pg_backend_pid() AS pid")).fetchone())["pid"]


async def test_an_idle_connection_is_reused_without_a_check_and_a_dead_one_is_replaced(
    database_url, full_checks
):
    pool = db.make_async_pool(database_url, max_size=1, min_size=1)
    await pool.open(wait=True)
    try:
        first = await _pid(pool)
        assert await _pid(pool) == first
        assert full_checks == [], "an undisturbed connection costs no round trip"
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (first,))
            # the terminated backend has gone when no other backend has its pid
            admin.execute(
                "DO $$ BEGIN FOR i IN 1..200 LOOP EXIT WHEN NOT EXISTS (SELECT 1 FROM "
                f"pg_stat_activity WHERE pid = {first}); PERFORM pg_sleep(0.01); END LOOP; END $$"
            )
        replaced = await _pid(pool)
        assert replaced != first, "the query got a new connection, not the dead one"
        assert full_checks == [first], "the dead one was checked, found out and dropped"
    finally:
        await pool.close()


async def test_a_connection_with_something_to_read_is_disturbed(database_url):
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        assert not db.disturbed(conn)
        await conn.execute("LISTEN adlaan_pool_check")
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as other:
            await other.execute("NOTIFY adlaan_pool_check")
        for _ in range(200):  # the notification is on its way
            if db.disturbed(conn):
                break
            await asyncio.sleep(0.01)
        assert db.disturbed(conn)
    assert db.disturbed(conn), "a closed connection is disturbed"
