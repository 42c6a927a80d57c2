"""A pool after PostgreSQL restarted (every connection cut), on real PostgreSQL: the next
checkout gets a working connection, however many dead ones the pool held.

psycopg_pool checks a connection at checkout and, when the check fails, waits before it takes
the next one (1 s, then 2, 4, 8 ...). A pool that had grown to a handful of idle connections
would spend its whole timeout on its dead ones (1 + 2 + 4 + 8 + 16 s for five: past the default
30 s), and the first requests after a database restart failed with ``PoolTimeout``. The first
failed check now has the pool check all its idle connections at once (``store.db``)."""

from __future__ import annotations

import pytest

from store.db import libpq_url, make_async_pool
from tests.integration.helpers import cut_connections

pytestmark = pytest.mark.integration


async def test_the_next_checkout_after_every_connection_died_gets_a_working_one(database_url):
    pool = make_async_pool(database_url, min_size=6, max_size=6, timeout=6.0, name="restarted")
    await pool.open(wait=True)
    try:
        assert cut_connections(libpq_url(database_url)) >= 6
        for _ in range(3):  # and the ones after it
            async with pool.connection() as conn:
                row = await (await conn.execute("SELECT 1 AS one")).fetchone()
                assert row == {"one": 1}
    finally:
        await pool.close()
