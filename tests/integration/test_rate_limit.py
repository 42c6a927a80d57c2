"""The general request rate limit (server/ratelimit.py), against the real servers: a real
`langgraph dev` with small limits (counts in its memory), and two real `adlaan serve` processes
on one Redis (counts shared).

Every test acts as users of its own and speaks from loopback addresses of its own (127.0.21.x),
so no test's counts meet another's; a key's window starts at its first request, so a burst
shorter than the window is never split by a window's end.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
import uuid

import httpx
import psycopg
import pytest

from server.ratelimit import MemoryCounter, RateLimiter, RedisCounter, client_key
from server.settings import Settings
from tests.accounts import PASSWORD, make_user
from tests.conftest import _database
from tests.serve import ServeServer, redis_url, skip_reason
from tests.server import LangGraphServer

pytestmark = pytest.mark.integration

PER_USER = 8
PER_CLIENT = 5
WINDOW = 8
PROXY = "127.0.21.1"  # the one trusted proxy of the dev server below
REDIS = redis_url(int(os.environ.get("TEST_RATE_LIMIT_REDIS_DB", "11")))
LIMITS = {
    "RATE_LIMIT_PER_USER": str(PER_USER),
    "RATE_LIMIT_PER_CLIENT": str(PER_CLIENT),
    "RATE_LIMIT_WINDOW_SECONDS": str(WINDOW),
    "LOGIN_MAX_ATTEMPTS_PER_CLIENT": "100000",  # the login throttle is not what is tested
    "HOOKS_ENABLED": "false",
}
_hosts = (f"127.0.21.{n}" for n in itertools.count(2))


# --- the limiter and its counters, without a server ----------------------------------------


def test_a_client_is_its_address_and_an_ipv6_client_its_64():
    assert client_key({"client": ("192.0.2.7", 5000)}) == "client:192.0.2.7"
    assert client_key({"client": ("::ffff:192.0.2.7", 1)}) == "client:192.0.2.7"
    assert client_key({"client": ("2001:db8:1:2:aaaa::1", 1)}) == "client:2001:db8:1:2::/64"
    assert client_key({"client": ("2001:db8:1:2:bbbb::9", 1)}) == "client:2001:db8:1:2::/64"
    assert client_key({"client": ("2001:db8:1:3::1", 1)}) == "client:2001:db8:1:3::/64"
    assert client_key({}) == "client:unknown"


async def test_memory_counts_per_key_in_windows_from_the_first_request():
    counter = MemoryCounter()
    assert [(await counter.hit("a", 1, 10))[0] for _ in range(3)] == [1, 2, 3]
    assert (await counter.hit("b", 1, 10))[0] == 1
    count, left = await counter.hit("a", 1, 10)
    assert count == 4 and 0 < left <= 1
    await asyncio.sleep(left + 0.05)
    assert (await counter.hit("a", 1, 10))[0] == 1, "a new window"


async def test_the_limiter_refuses_past_the_limit_until_the_window_ends():
    settings = Settings(RATE_LIMIT_PER_USER=3, RATE_LIMIT_PER_CLIENT=0, RATE_LIMIT_WINDOW_SECONDS=1)
    limiter = RateLimiter(settings, MemoryCounter())
    assert [await limiter.count("user", "user:u") for _ in range(3)] == [None] * 3
    refused = await limiter.count("user", "user:u")
    assert refused is not None and (refused.limit, refused.retry_after) == (3, 1)
    assert limiter.refused_already("user", "user:u") == refused
    assert await limiter.count("client", "client:x") is None, "0 is off"
    assert limiter.exempt("GET", "/ok") and limiter.exempt("HEAD", "/adlaan/health")
    assert not limiter.exempt("POST", "/ok") and not limiter.exempt("GET", "/info")
    await asyncio.sleep(1.05)
    assert limiter.refused_already("user", "user:u") is None
    assert await limiter.count("user", "user:u") is None


async def test_redis_counts_in_batches_far_from_the_limit_and_exactly_near_it():
    import redis

    if reason := skip_reason(REDIS):
        pytest.skip(reason)
    shared = redis.Redis.from_url(REDIS)
    one, other = RedisCounter(REDIS), RedisCounter(REDIS)  # two server processes
    key = f"test:{uuid.uuid4().hex}"
    stored = f"adlaan:ratelimit:{key}"
    # a limit of 600: this process adds its requests 12 at a time
    assert [(await one.hit(key, 5, 600))[0] for _ in range(12)] == list(range(1, 13))
    assert int(shared.get(stored)) == 1
    count, left = await one.hit(key, 5, 600)
    assert count == 13 and int(shared.get(stored)) == 13 and 4 < left <= 5
    assert (await other.hit(key, 5, 600))[0] == 14, "the other process sees them"
    # near the limit every request is added: the request past it is seen exactly
    near = f"test:{uuid.uuid4().hex}"
    counts = [(await one.hit(near, 5, 100))[0] for _ in range(110)]
    assert counts == list(range(1, 111))
    assert int(shared.get(f"adlaan:ratelimit:{near}")) == 110


async def test_an_unreachable_redis_refuses_nobody():
    down = RateLimiter(
        Settings(RATE_LIMIT_PER_USER=1, RATE_LIMIT_WINDOW_SECONDS=5),
        RedisCounter("redis://127.0.0.1:1/0"),
    )
    assert [await down.count("user", "user:u") for _ in range(3)] == [None] * 3


# --- the development server --------------------------------------------------------------------


@pytest.fixture(scope="module")
def limited(module_database_url, tmp_path_factory):
    """A development server with small limits, trusting one proxy."""
    srv = LangGraphServer(
        module_database_url,
        tmp_path_factory.mktemp("limited"),
        extra_env={**LIMITS, "TRUSTED_PROXIES": PROXY},
    )
    srv.start()
    yield srv
    srv.stop()


def client(url: str, address: str | None = None, **kwargs) -> httpx.AsyncClient:
    """An HTTP client on ``url`` speaking from ``address`` (a new one by default)."""
    transport = httpx.AsyncHTTPTransport(local_address=address or next(_hosts))
    kwargs.setdefault("timeout", 60)
    return httpx.AsyncClient(base_url=url, transport=transport, **kwargs)


def assert_limited(response: httpx.Response, scope: str, limit: int) -> int:
    """A 429 of the rate limit, naming ``scope`` and ``limit``; its Retry-After."""
    assert response.status_code == 429, (response.status_code, response.text)
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= WINDOW
    body = response.json()
    assert body["scope"] == scope and body["limit"] == limit, body
    assert body["window_seconds"] == WINDOW and body["retry_after"] == retry_after, body
    assert body["detail"].startswith(f"rate limit exceeded: at most {limit} requests in {WINDOW}")
    assert f"retry in {retry_after} s" in body["detail"]
    return retry_after


def audited(database_url: str, actor: str | None, key: str) -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT count(*) FROM audit_logs WHERE action = 'access.rate_limited' "
            "AND actor IS NOT DISTINCT FROM %s AND details->>'key' = %s",
            (actor, key),
        ).fetchone()[0]


async def test_the_request_past_the_limit_is_refused_and_other_users_are_not(limited, database_url):
    alice, bob = make_user(database_url), make_user(database_url)
    async with client(limited.url) as http:
        # the LangGraph API's routes and ours count alike
        assert (await http.post("/threads/search", json={}, headers=alice.headers)).is_success
        for _ in range(PER_USER - 1):
            assert (await http.get("/auth/me", headers=alice.headers)).status_code == 200
        first_minute = int(time.time() // 60)  # refusals are audited once per key and minute
        assert_limited(await http.get("/auth/me", headers=alice.headers), "user", PER_USER)
        refused = await http.post("/threads/search", json={}, headers=alice.headers)
        assert_limited(refused, "user", PER_USER)
        # per user, not per credential: a new session of hers is over the limit too
        login = await http.post("/auth/login", json={"email": alice.email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        session = {"Authorization": f"Bearer {login.json()['access_token']}"}
        assert_limited(await http.get("/auth/me", headers=session), "user", PER_USER)
        # the health probes are never counted
        for path in ("/ok", "/adlaan/health", "/"):
            assert (await http.get(path, headers=alice.headers)).status_code == 200, path
        # bob, from the same address, is not affected
        last_minute = int(time.time() // 60)
        for _ in range(PER_USER):
            assert (await http.get("/auth/me", headers=bob.headers)).status_code == 200
    # once a minute: one entry, or two when her refusals straddled a minute's end
    entries = audited(database_url, alice.id, f"user:{alice.id}")
    assert 1 <= entries <= last_minute - first_minute + 1, (entries, first_minute, last_minute)


async def test_a_header_naming_someone_else_changes_nothing(limited, database_url):
    carol, dave = make_user(database_url), make_user(database_url)
    forged = {
        "x-user-id": dave.id,
        "langgraph-auth-user-id": dave.id,
        "x-forwarded-user": dave.email,
        "x-auth-scheme": "langsmith",
    }
    async with client(limited.url) as http:
        for _ in range(PER_USER):
            me = await http.get("/auth/me", headers={**carol.headers, **forged})
            assert me.status_code == 200 and me.json()["user_id"] == carol.id, me.text
        limited_carol = await http.get("/auth/me", headers={**carol.headers, **forged})
        assert_limited(limited_carol, "user", PER_USER)
        # carol's requests never counted for dave, and dave's header never makes him carol
        for _ in range(PER_USER):
            assert (await http.get("/auth/me", headers=dave.headers)).status_code == 200
    async with client(limited.url) as anonymous:
        # without a credential a header names nobody: the address is counted
        for _ in range(PER_CLIENT):
            assert (await anonymous.get("/threads", headers=forged)).status_code == 401
        assert_limited(await anonymous.get("/threads", headers=forged), "client", PER_CLIENT)


async def _refused_so_far(http: httpx.AsyncClient, admin) -> dict[str, float]:
    """``adlaan_requests_rate_limited_total`` by scope, as an administrator scrapes it."""
    from prometheus_client.parser import text_string_to_metric_families

    answer = await http.get("/metrics", headers=admin.headers)
    assert answer.status_code == 200, answer.text
    return {
        sample.labels["scope"]: sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
        if sample.name == "adlaan_requests_rate_limited_total"
    }


async def test_refusals_are_counted_by_scope_in_metrics(limited, database_url):
    admin, erin = make_user(database_url, admin=True), make_user(database_url)
    async with client(limited.url) as http:
        before = await _refused_so_far(http, admin)
        for _ in range(PER_USER):
            assert (await http.get("/auth/me", headers=erin.headers)).status_code == 200
        for _ in range(2):
            assert_limited(await http.get("/auth/me", headers=erin.headers), "user", PER_USER)
    async with client(limited.url) as anonymous:
        for _ in range(PER_CLIENT):
            assert (await anonymous.get("/threads")).status_code == 401
        assert_limited(await anonymous.get("/threads"), "client", PER_CLIENT)
    async with client(limited.url) as http:
        after = await _refused_so_far(http, admin)
    assert after.get("user", 0) - before.get("user", 0) == 2, (before, after)
    assert after.get("client", 0) - before.get("client", 0) == 1, (before, after)


async def test_the_window_resets(limited, database_url):
    erin = make_user(database_url)
    async with client(limited.url) as http:
        for _ in range(PER_USER):
            assert (await http.get("/auth/me", headers=erin.headers)).status_code == 200
        retry_after = assert_limited(
            await http.get("/auth/me", headers=erin.headers), "user", PER_USER
        )
        await asyncio.sleep(retry_after + 0.3)
        for _ in range(PER_USER):
            assert (await http.get("/auth/me", headers=erin.headers)).status_code == 200
        assert_limited(await http.get("/auth/me", headers=erin.headers), "user", PER_USER)


async def test_a_streaming_run_counts_once(limited, database_url):
    body = {
        "assistant_id": "drafter",
        "input": {"messages": [{"role": "user", "content": "I need to draft an NDA"}]},
        "stream_mode": ["values", "messages"],
    }
    for _ in range(3):  # a new user when the run outlasted the window (a very busy machine)
        frank = make_user(database_url)
        async with client(limited.url) as http:
            started = time.monotonic()
            thread = await http.post("/threads", json={}, headers=frank.headers)
            assert thread.status_code == 200, thread.text
            url = f"/threads/{thread.json()['thread_id']}/runs/stream"
            async with http.stream("POST", url, json=body, headers=frank.headers) as stream:
                assert stream.status_code == 200
                events = [line async for line in stream.aiter_lines() if line.startswith("event:")]
            assert len(events) > 2, events
            if time.monotonic() - started > WINDOW - 3:
                continue
            for _ in range(PER_USER - 2):  # the thread and the run: two requests
                assert (await http.get("/auth/me", headers=frank.headers)).status_code == 200
            assert_limited(await http.get("/auth/me", headers=frank.headers), "user", PER_USER)
            return
    pytest.skip(f"every run took longer than {WINDOW - 3} s: cannot tell within one window")


async def test_logins_from_one_address_are_limited_before_the_password_is_checked(
    limited, database_url
):
    grace = make_user(database_url)
    address = next(_hosts)
    async with client(limited.url, address) as http:
        for _ in range(PER_CLIENT):
            wrong = await http.post("/auth/login", json={"email": grace.email, "password": "x"})
            assert wrong.status_code == 401, wrong.text
        first_minute = int(time.time() // 60)
        for _ in range(3):
            right = await http.post(
                "/auth/login", json={"email": grace.email, "password": PASSWORD}
            )
            assert_limited(right, "client", PER_CLIENT)
        last_minute = int(time.time() // 60)
    with psycopg.connect(database_url) as conn:
        counted = conn.execute(
            "SELECT attempts FROM login_throttle WHERE key = %s", (f"client:{address}",)
        ).fetchone()[0]
    assert counted == PER_CLIENT, "the refused logins never reached the login route"
    # once a minute (two entries only if the refusals straddled a minute's end)
    entries = audited(database_url, None, f"client:{address}")
    assert 1 <= entries <= last_minute - first_minute + 1, (entries, first_minute, last_minute)


async def test_a_flood_of_bad_credentials_is_refused_without_looking_them_up(limited, database_url):
    henry = make_user(database_url)
    address = next(_hosts)
    async with client(limited.url, address) as http:
        for i in range(PER_CLIENT):
            bad = await http.get("/threads", headers={"Authorization": f"Bearer adlk_bad{i}"})
            assert bad.status_code == 401, bad.text
        bad = await http.get("/threads", headers={"Authorization": "Bearer adlk_bad"})
        assert_limited(bad, "client", PER_CLIENT)
        # Credentials cannot be looked up while the table is locked: the address is still
        # answered at once, for bad credentials and good ones (its window has not ended)...
        with psycopg.connect(database_url) as lock:
            lock.execute("LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE")
            try:
                for headers in ({"Authorization": "Bearer adlk_other"}, henry.headers, {}):
                    started = time.monotonic()
                    refused = await http.get("/threads", headers=headers, timeout=10)
                    assert_limited(refused, "client", PER_CLIENT)
                    assert time.monotonic() - started < 5
                # ... while another address's credential waits for the lock (the control)
                async with client(limited.url, timeout=1.5) as elsewhere:
                    with pytest.raises(httpx.ReadTimeout):
                        await elsewhere.get("/threads", headers=henry.headers)
            finally:
                lock.rollback()


async def test_a_forged_forwarded_for_escapes_nothing_and_a_trusted_proxy_is_believed(
    limited, database_url
):
    async with client(limited.url) as untrusted:
        for i in range(PER_CLIENT):
            forged = {"x-forwarded-for": f"203.0.113.{i}"}
            assert (await untrusted.get("/threads", headers=forged)).status_code == 401
        forged = {"x-forwarded-for": "203.0.113.200"}
        assert_limited(await untrusted.get("/threads", headers=forged), "client", PER_CLIENT)
    async with client(limited.url, PROXY) as proxy:
        # behind the trusted proxy, each client it names counts for itself
        first = {"x-forwarded-for": f"198.51.100.{uuid.uuid4().int % 200 + 1}"}
        for _ in range(PER_CLIENT):
            assert (await proxy.get("/threads", headers=first)).status_code == 401
        assert_limited(await proxy.get("/threads", headers=first), "client", PER_CLIENT)
        other = {"x-forwarded-for": "192.0.2.77"}
        assert (await proxy.get("/threads", headers=other)).status_code == 401


# --- two `adlaan serve` processes share the counts ---------------------------------------------


@pytest.fixture(scope="module")
def service(admin_url, tmp_path_factory):
    """Two `adlaan serve` processes on one database and one Redis, with small limits."""
    if reason := skip_reason(REDIS):
        pytest.skip(reason)
    with _database(admin_url, "adlaan_rate_limit") as url:
        a = ServeServer(url, tmp_path_factory.mktemp("serve_a"), REDIS, LIMITS)
        b = ServeServer(url, tmp_path_factory.mktemp("serve_b"), REDIS, LIMITS)
        try:
            a.launch()
            b.launch()
            a.wait_ready()
            b.wait_ready()
            yield a, b
        finally:
            a.stop()
            b.stop()


async def test_two_serve_processes_share_the_limit(service):
    import redis

    a, b = service
    ivan, judy = make_user(a.database_url), make_user(a.database_url)
    address = next(_hosts)
    async with client(a.url, address) as on_a, client(b.url, address) as on_b:
        for i in range(PER_USER):
            answer = await (on_a if i % 2 else on_b).get("/auth/me", headers=ivan.headers)
            assert answer.status_code == 200, answer.text
        assert_limited(await on_a.get("/auth/me", headers=ivan.headers), "user", PER_USER)
        assert_limited(await on_b.get("/auth/me", headers=ivan.headers), "user", PER_USER)
        # the runtime's own routes too, and another user is not affected on either process
        refused = await on_b.post("/threads/search", json={}, headers=ivan.headers)
        assert_limited(refused, "user", PER_USER)
        assert (await on_a.post("/threads/search", json={}, headers=judy.headers)).is_success
        assert (await on_b.get("/auth/me", headers=judy.headers)).status_code == 200
        # without credentials, one address across both processes
        for i in range(PER_CLIENT):
            assert (await (on_a if i % 2 else on_b).get("/threads")).status_code == 401
        assert_limited(await on_a.get("/threads"), "client", PER_CLIENT)
    counted = redis.Redis.from_url(REDIS).get(f"adlaan:ratelimit:user:{ivan.id}")
    assert counted is not None and int(counted) >= PER_USER + 1
