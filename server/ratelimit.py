"""A general request rate limit: requests counted per principal in a window, 429 beyond.

The gate (server/gate.py) asks this module about every request but the health probes:

- a request with a live credential counts for its **user** (``RATE_LIMIT_PER_USER``), whichever
  of their credentials it carries; the user comes only from the resolved credential, never from
  a header;
- a request without one (logging in, a missing, bad or revoked credential) counts for its
  **client address** (``RATE_LIMIT_PER_CLIENT``), as uvicorn gives it: ``X-Forwarded-For`` is
  believed only from ``TRUSTED_PROXIES``. An IPv6 address counts for its /64, which one
  client usually holds whole. A request without a credential is counted before anything else
  is done for it; once an address is over its limit, a request from it that carries a
  credential is refused before the credential is looked up, so a flood of bad credentials costs
  no database work.

A window starts at a key's first request and lasts ``RATE_LIMIT_WINDOW_SECONDS``; the request
past the limit, and every one after it until the window ends, is refused with ``Retry-After``
(the seconds left). A streaming run is one request, counted once when it starts.

Counts live in this process (``MemoryCounter``, the development server: no round trip at all) or
in Redis (``RedisCounter``, `adlaan serve`: one round trip, shared by every process on the
same Redis). Redis that cannot be reached lets requests through (logged): the limit protects
the service, it must not take it down.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import os
import time
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from server.settings import Settings

logger = logging.getLogger("adlaan.ratelimit")

Scope = Literal["user", "client"]

#: Routes never counted: the load balancers' and operators' probes (GET or HEAD).
EXEMPT_PATHS = frozenset({"/", "/ok", "/adlaan/health"})
#: Keys one process tracks in memory per window at most; past it a new key is not counted (and
#: a warning logged), so a flood from very many addresses cannot exhaust the process's memory.
MAX_KEYS = 200_000
#: Redis keys: ``adlaan:ratelimit:user:<id>`` and ``adlaan:ratelimit:client:<address>``.
REDIS_PREFIX = "adlaan:ratelimit:"
#: One round trip: add a process's requests, start the window on a new key, say what is left.
REDIS_SCRIPT = """
local n = redis.call('INCRBY', KEYS[1], ARGV[2])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {n, left}
"""
#: A process reports a key's requests to Redis in batches of limit/REDIS_BATCH_DIVISOR while
#: the key is far from its limit, and each request once it is near.
REDIS_BATCH_DIVISOR = 50


@dataclass(frozen=True)
class Exceeded:
    """A request refused by the limit: which limit, and when to come back."""

    scope: Scope
    limit: int
    window_seconds: int
    #: whole seconds until the key's window ends (at least 1): the ``Retry-After``
    retry_after: int

    @property
    def detail(self) -> str:
        who = (
            "per user"
            if self.scope == "user"
            else "per client address for requests without a valid credential"
        )
        return (
            f"rate limit exceeded: at most {self.limit} requests in {self.window_seconds} s "
            f"{who}; retry in {self.retry_after} s"
        )

    def body(self) -> dict[str, Any]:
        """The JSON a refused client gets (``detail`` plus the figures, for programs)."""
        return {
            "detail": self.detail,
            "limit": self.limit,
            "window_seconds": self.window_seconds,
            "scope": self.scope,
            "retry_after": self.retry_after,
        }


class Counter(Protocol):
    """Counts requests per key in windows of its own."""

    async def hit(self, key: str, window: int, limit: int) -> tuple[int, float]:
        """Count one request for ``key`` (whose limit is ``limit``); its count in the window
        and the seconds left."""
        ...


class MemoryCounter:
    """Counts in this process (a server process's requests only)."""

    def __init__(self) -> None:
        self._windows: dict[str, list[float]] = {}  # key -> [window end, count]
        self._next_sweep = 0.0
        self._warned = False

    async def hit(self, key: str, window: int, limit: int) -> tuple[int, float]:
        now = time.monotonic()
        if now >= self._next_sweep:  # at most once a window: forget the ended windows
            self._windows = {k: v for k, v in self._windows.items() if v[0] > now}
            self._next_sweep, self._warned = now + window, False
        entry = self._windows.get(key)
        if entry is None or entry[0] <= now:
            if len(self._windows) >= MAX_KEYS:
                if not self._warned:
                    logger.warning(
                        "rate limit: more than %d keys this window, not counted", MAX_KEYS
                    )
                    self._warned = True
                return 0, window
            entry = self._windows[key] = [now + window, 0]
        entry[1] += 1
        return int(entry[1]), entry[0] - now


class RedisCounter:
    """Counts in Redis, shared by every server process that uses the same Redis.

    A round trip a request would cost more than the rest of a cheap request, so a process
    counts a key far from its limit here and adds its requests to Redis in batches (every
    limit/50: 12 of a limit of 600), then every request once the count it knows, plus its own,
    is within a batch of the limit. The count is exact at the limit for one process; N processes
    may let through up to (N-1) batches more than the limit in a window."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._script: Any = None
        self._failing_since = 0.0
        #: key -> [window end (monotonic), count Redis last gave, requests not yet added]
        self._known: dict[str, list[float]] = {}
        self._next_sweep = 0.0

    async def hit(self, key: str, window: int, limit: int) -> tuple[int, float]:
        now = time.monotonic()
        if now >= self._next_sweep:
            self._known = {k: v for k, v in self._known.items() if v[0] > now}
            self._next_sweep = now + window
        batch = max(1, limit // REDIS_BATCH_DIVISOR)
        entry = self._known.get(key)
        pending = 1
        if entry is not None and entry[0] > now:
            entry[2] += 1
            if entry[2] < batch and entry[1] + entry[2] < limit - batch:
                return int(entry[1] + entry[2]), entry[0] - now  # far from the limit
            pending = int(entry[2])
        counted = await self._add(key, pending, window)
        if counted is None:
            self._known.pop(key, None)
            return 0, window
        count, left = counted
        if len(self._known) < MAX_KEYS:
            self._known[key] = [now + left, count, 0]
        return count, left

    async def _add(self, key: str, requests: int, window: int) -> tuple[int, float] | None:
        """Add ``requests`` to the key's count in Redis: the count and the seconds left, or
        None when Redis cannot be reached."""
        from redis import RedisError

        if self._script is None:
            from redis.asyncio import Redis

            client = Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)
            self._script = client.register_script(REDIS_SCRIPT)
        try:
            count, left_ms = await self._script(
                keys=[REDIS_PREFIX + key], args=[window * 1000, requests]
            )
        except (RedisError, OSError) as error:
            now = time.monotonic()
            if now - self._failing_since > 60:  # once a minute, not once a request
                logger.warning("rate limit not enforced: Redis unreachable (%s)", error)
                self._failing_since = now
            return None
        return int(count), int(left_ms) / 1000


def client_key(scope: dict[str, Any]) -> str:
    """The key of a request's client address (an IPv6 address's /64)."""
    host = (scope.get("client") or ("unknown",))[0] or "unknown"
    if ":" not in host:  # IPv4 as uvicorn gives it (dotted quad), or a name
        return f"client:{host[:100]}"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"client:{host[:100]}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"client:{address.ipv4_mapped}"
        return f"client:{ipaddress.ip_network(f'{address}/64', strict=False)}"
    return f"client:{address}"


def user_key(user_id: str) -> str:
    return f"user:{user_id}"


class RateLimiter:
    """The limits of one server process, over the counter its settings choose."""

    def __init__(self, settings: Settings, counter: Counter | None = None) -> None:
        self.per_user = settings.rate_limit_per_user
        self.per_client = settings.rate_limit_per_client
        self.window = settings.rate_limit_window_seconds
        self.counter = counter or make_counter(settings)
        #: keys over their limit in this process, and until when (monotonic): refused here
        #: without a round trip, and before a credential is looked up
        self._over: dict[str, float] = {}

    @property
    def active(self) -> bool:
        return bool(self.per_user or self.per_client)

    @staticmethod
    def exempt(method: str, path: str) -> bool:
        """Health and readiness probes are never counted."""
        return method in ("GET", "HEAD") and path in EXEMPT_PATHS

    def _limit(self, scope: Scope) -> int:
        return self.per_user if scope == "user" else self.per_client

    def refused_already(self, scope: Scope, key: str) -> Exceeded | None:
        """Whether ``key`` is over its limit in a window that has not ended (known here)."""
        until = self._over.get(key)
        if until is None:
            return None
        left = until - time.monotonic()
        if left <= 0:
            del self._over[key]
            return None
        return Exceeded(scope, self._limit(scope), self.window, max(1, math.ceil(left)))

    async def count(self, scope: Scope, key: str) -> Exceeded | None:
        """Count one request for ``key``; an ``Exceeded`` when it is past the limit."""
        limit = self._limit(scope)
        if not limit:
            return None
        if refused := self.refused_already(scope, key):
            return refused  # no round trip for a key known to be over
        count, left = await self.counter.hit(key, self.window, limit)
        if count <= limit:
            return None
        if len(self._over) >= MAX_KEYS:
            self._over = {k: v for k, v in self._over.items() if v > time.monotonic()}
        if len(self._over) < MAX_KEYS:
            self._over[key] = time.monotonic() + left
        return Exceeded(scope, limit, self.window, max(1, math.ceil(left)))


def make_counter(settings: Settings) -> Counter:
    """Redis when chosen (or, with ``auto``, under `adlaan serve`: its runtime's REDIS_URI),
    else this process's memory."""
    from server.runtime import pg

    backend = settings.rate_limit_backend
    url = os.environ.get("REDIS_URI")
    if backend == "auto":
        backend = "redis" if url and pg.active() else "memory"
    if backend == "memory":
        return MemoryCounter()
    if not url and settings.redis_url is not None:
        url = settings.redis_url.get_secret_value()
    if not url:
        raise ValueError("RATE_LIMIT_BACKEND=redis needs REDIS_URL")
    return RedisCounter(url)
