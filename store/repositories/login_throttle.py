"""Every statement on ``login_throttle``: login attempts counted per key (``email:<address>``,
``client:<address>``) in fixed windows, atomically, so concurrent attempts cannot slip past a
limit the way counting audit rows then checking did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from psycopg.rows import tuple_row

from store.db import DictConnection, one

#: One statement, so PostgreSQL's row lock orders concurrent attempts for one key: each sees the
#: count its predecessors left. A window older than ``window`` starts again at this attempt.
#: ``retry_after`` reads the clock (not ``now()``, the start of a transaction that may have waited
#: on the lock behind one that started later) so it never exceeds the window.
COUNT_SQL = """
INSERT INTO login_throttle AS t (key, window_start, attempts) VALUES (%(key)s, now(), 1)
ON CONFLICT (key) DO UPDATE SET
    window_start = CASE WHEN t.window_start <= now() - %(window)s::interval
                        THEN now() ELSE t.window_start END,
    attempts = CASE WHEN t.window_start <= now() - %(window)s::interval
                    THEN 1 ELSE t.attempts + 1 END
RETURNING attempts, window_start,
    greatest(1, ceil(extract(epoch FROM
        t.window_start + %(window)s::interval - clock_timestamp())))::int AS retry_after
"""


@dataclass(frozen=True)
class Attempts:
    """The attempts counted for a key in its current window, this one included."""

    key: str
    attempts: int
    window_start: datetime
    #: whole seconds until the window ends (at least 1): the ``Retry-After`` of a refusal
    retry_after: int


async def count_attempt(conn: DictConnection, key: str, window: timedelta) -> Attempts:
    """Count one attempt for ``key`` and return the window's count, atomically."""
    async with conn.cursor(row_factory=tuple_row) as cur:  # whatever the connection's rows
        await cur.execute(COUNT_SQL, {"key": key, "window": window})
        attempts, window_start, retry_after = await one(cur)
    return Attempts(key, attempts, window_start, retry_after)


async def reset(conn: DictConnection, key: str) -> bool:
    """Forget the attempts of ``key`` (a successful login clears its e-mail's count, an
    administrator's unlock too); whether there were any."""
    cur = await conn.execute("DELETE FROM login_throttle WHERE key = %s", (key,))
    return cur.rowcount > 0


async def purge_expired(conn: DictConnection, window: timedelta) -> int:
    """Delete the rows whose window has ended (they count for nothing any more); how many."""
    cur = await conn.execute(
        "DELETE FROM login_throttle WHERE window_start <= now() - %s::interval", (window,)
    )
    return cur.rowcount
