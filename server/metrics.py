"""Adlaan's Prometheus metrics (``adlaan_*``), served on langgraph-api's own ``/metrics``.

langgraph-api answers ``GET /metrics`` with prometheus_client's global registry
(``generate_latest()``); everything here is registered there, so one scrape (administrators only,
``server/gate.py``) returns langgraph-api's metrics and ours. Two kinds:

- counted as they happen in the server process: requests refused for their credentials, by
  reason (the gate), logins refused by the throttle (the login route), rows deleted by retention,
  by table (the sweeper), and the dispatcher's (``hooks/metrics.py``: the mirror's lag histogram
  and the plugins' failures);
- read from PostgreSQL when ``/metrics`` is scraped (``ScrapeAndInfo``): each plugin's outbox
  depth and oldest pending event, dead letters not yet retried, and the checkpoint tables' size on
  disk, sampled at most once a minute (``pg_total_relation_size``: catalog figures, no scan).

``ScrapeAndInfo`` also adds the server's own version to langgraph-api's ``GET /info``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from prometheus_client import Counter, Gauge

from store.db import DictPool
from store.repositories import stats

logger = logging.getLogger("adlaan.metrics")


def _version() -> str:
    try:
        return version("adlaan-agent")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0+unknown"


#: The version of this server (the package's), as /info and adlaan_build_info report it.
VERSION = _version()
#: The checkpoint tables whose size is sampled.
CHECKPOINT_TABLES = ["checkpoints", "checkpoint_blobs", "checkpoint_writes"]
#: Seconds a sample of the checkpoint tables' size is served before it is read again.
SIZE_SAMPLE_SECONDS = 60.0
#: Longest a scrape waits for PostgreSQL before it answers with the figures it has.
SCRAPE_TIMEOUT_SECONDS = 5.0

BUILD_INFO = Gauge("adlaan_build_info", "The Adlaan server's version (always 1).", ["version"])
BUILD_INFO.labels(version=VERSION).set(1)
AUTH_DENIALS = Counter(
    "adlaan_auth_denials",
    "Requests refused for their credentials, by reason (no_credentials, invalid_credentials, "
    "not_admin).",
    ["reason"],
)
LOGINS_THROTTLED = Counter(
    "adlaan_logins_throttled",
    "Logins (and password changes) refused with 429 by the throttle, by the key that tripped it "
    "(client address or e-mail).",
    ["key"],
)
REQUESTS_RATE_LIMITED = Counter(
    "adlaan_requests_rate_limited",
    "Requests refused with 429 by the general rate limit, by what was counted (user, or client "
    "address without a credential).",
    ["scope"],
)
RETENTION_DELETIONS = Counter(
    "adlaan_retention_deletions",
    "Rows deleted by the retention sweeper, by what was deleted (threads, or a table).",
    ["table"],
)
OUTBOX_DEPTH = Gauge(
    "adlaan_outbox_depth", "Hooks outbox events after each plugin's cursor.", ["plugin"]
)
OUTBOX_OLDEST = Gauge(
    "adlaan_outbox_oldest_pending_seconds",
    "Age of the oldest outbox event each plugin has not handled yet (0 when none).",
    ["plugin"],
)
DEAD_LETTERS = Gauge("adlaan_dead_letters", "Dead letters not yet retried, by plugin.", ["plugin"])
CHECKPOINT_BYTES = Gauge(
    "adlaan_checkpoint_bytes",
    "Size on disk of each checkpoint table, indexes and TOAST included (sampled at most once "
    "a minute).",
    ["table"],
)
DATABASE_UP = Gauge(
    "adlaan_metrics_database_up",
    "1 when the last scrape read its figures from PostgreSQL, 0 when it could not.",
)

_DENIAL_REASONS = {
    "no credentials": "no_credentials",
    "invalid, expired or revoked credentials": "invalid_credentials",
    "not an administrator": "not_admin",
}


def auth_denied(reason: str) -> None:
    """Count a request the gate refused for its credentials (``reason`` as the gate says it)."""
    AUTH_DENIALS.labels(reason=_DENIAL_REASONS.get(reason, "other")).inc()


def login_throttled(key: str) -> None:
    """Count a login refused by the throttle on ``key`` (``client:…`` or ``email:…``)."""
    LOGINS_THROTTLED.labels(key=key.split(":", 1)[0]).inc()


def rate_limited(scope: str) -> None:
    """Count a request the general rate limit refused (``scope``: ``user`` or ``client``)."""
    REQUESTS_RATE_LIMITED.labels(scope=scope if scope in ("user", "client") else "other").inc()


def retention_deleted(counts: Mapping[str, int]) -> None:
    """Count what a retention sweep deleted: ``{table or "threads": rows}``."""
    for table, count in counts.items():
        if count:
            RETENTION_DELETIONS.labels(table=table).inc(count)


class _Sampler:
    """Reads the database figures; the checkpoint tables' sizes at most once a minute."""

    def __init__(self) -> None:
        self.sized_at = float("-inf")
        self.lock = asyncio.Lock()

    async def refresh(self, pool: DictPool) -> None:
        async with self.lock, pool.connection() as conn:
            due = time.monotonic() - self.sized_at >= SIZE_SAMPLE_SECONDS
            lag, dead, sizes = await stats.metric_figures(conn, CHECKPOINT_TABLES if due else None)
        OUTBOX_DEPTH.clear()
        OUTBOX_OLDEST.clear()
        for row in lag:
            OUTBOX_DEPTH.labels(plugin=row["plugin"]).set(row["events_behind"])
            OUTBOX_OLDEST.labels(plugin=row["plugin"]).set(row["oldest_pending_seconds"] or 0)
        DEAD_LETTERS.clear()
        for row in lag:  # a plugin without dead letters shows 0, not nothing
            DEAD_LETTERS.labels(plugin=row["plugin"]).set(0)
        for row in dead:
            DEAD_LETTERS.labels(plugin=row["plugin"]).set(row["dead_letters"])
        if sizes is not None:
            for row in sizes:
                CHECKPOINT_BYTES.labels(table=row["table"]).set(row["bytes"])
            self.sized_at = time.monotonic()


_sampler = _Sampler()


async def refresh(pool: DictPool) -> bool:
    """Read the database figures now; False (logged, figures kept) when PostgreSQL cannot
    answer within ``SCRAPE_TIMEOUT_SECONDS``: a scrape still answers."""
    try:
        await asyncio.wait_for(_sampler.refresh(pool), SCRAPE_TIMEOUT_SECONDS)
    except Exception as error:
        logger.warning("metrics: could not read the figures from PostgreSQL: %s", error)
        DATABASE_UP.set(0)
        return False
    DATABASE_UP.set(1)
    return True


Scope = dict[str, Any]
ASGIApp = Callable[..., Any]


class ScrapeAndInfo:
    """ASGI middleware, inside the gate: refreshes the database figures before langgraph-api
    answers ``GET /metrics``, and adds ``{"adlaan": {"version": …}}`` to its ``GET /info``."""

    def __init__(self, app: ASGIApp, pool: Callable[[], DictPool | None]) -> None:
        self.app = app
        self.pool = pool

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/metrics" and (pool := self.pool()) is not None:
            await refresh(pool)
        if scope["path"] == "/info":
            await self.app(scope, receive, _with_version(send))
            return
        await self.app(scope, receive, send)


def _with_version(send: Any) -> Any:
    """``send`` for ``/info``: its JSON body gains ``adlaan.version`` (Content-Length fixed)."""
    start: dict[str, Any] | None = None
    chunks: list[bytes] = []

    async def wrapped(message: dict[str, Any]) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        if message["type"] != "http.response.body" or start is None:
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        body = b"".join(chunks)
        if start["status"] == 200:
            try:
                info = json.loads(body)
                info["adlaan"] = {"version": VERSION}
                body = json.dumps(info).encode()
            except (ValueError, TypeError):  # not the JSON object expected: pass it on as is
                pass
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return wrapped
