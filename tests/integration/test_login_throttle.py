"""Logging in under attack, against the real server and PostgreSQL: attempts are counted
atomically per e-mail and per client address (429 with Retry-After beyond the limits, audited
once per window), and argon2 never runs while a request holds a pooled connection, so a burst of
logins cannot starve the rest of the API.

Each test speaks from loopback addresses of its own (127.0.9.x), so the per-address counts of
one test, or of the rest of the suite on 127.0.0.1, never meet another's.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import Counter
from datetime import timedelta

import httpx
import psycopg
import pytest
from argon2 import PasswordHasher

from store import accounts
from store.repositories import login_throttle
from tests.accounts import PASSWORD, make_user
from tests.server import LangGraphServer

pytestmark = pytest.mark.integration

MAX_FAILURES = 5
MAX_PER_CLIENT = 12
WINDOW = timedelta(minutes=15)
_hosts = (f"127.0.9.{n}" for n in itertools.count(2))


def new_address() -> str:
    """A loopback address no other test has spoken from."""
    return next(_hosts)


def client(server: LangGraphServer, address: str | None = None, **kwargs) -> httpx.AsyncClient:
    """An HTTP client on ``server`` whose requests come from ``address``."""
    transport = httpx.AsyncHTTPTransport(local_address=address or new_address())
    return httpx.AsyncClient(base_url=server.url, transport=transport, timeout=60, **kwargs)


async def login(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await http.post("/auth/login", json={"email": email, "password": password})


def audit_count(database_url: str, action: str, target: str) -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT count(*) FROM audit_logs WHERE action = %s AND target = %s", (action, target)
        ).fetchone()[0]


def throttle_row(database_url: str, key: str):
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT attempts, window_start FROM login_throttle WHERE key = %s", (key,)
        ).fetchone()


@pytest.fixture(scope="module")
def throttled(module_database_url, tmp_path_factory):
    """A server with small login limits (the tests that use it get its database as
    ``database_url``)."""
    srv = LangGraphServer(
        module_database_url,
        tmp_path_factory.mktemp("throttled"),
        extra_env={
            "LOGIN_MAX_FAILURES": str(MAX_FAILURES),
            "LOGIN_MAX_ATTEMPTS_PER_CLIENT": str(MAX_PER_CLIENT),
            "HOOKS_ENABLED": "false",
        },
    )
    srv.start()
    yield srv
    srv.stop()


# --- the repository, against PostgreSQL ------------------------------------------------------


async def test_count_attempt_is_atomic_under_concurrency(database_url):
    key = f"email:{uuid.uuid4().hex}@adlaan.test"
    conns = [
        await psycopg.AsyncConnection.connect(database_url, autocommit=True) for _ in range(20)
    ]
    try:
        hits = await asyncio.gather(*(login_throttle.count_attempt(c, key, WINDOW) for c in conns))
    finally:
        for conn in conns:
            await conn.close()
    assert sorted(hit.attempts for hit in hits) == list(range(1, 21))
    assert len({hit.window_start for hit in hits}) == 1, "one window for all of them"
    assert all(0 < hit.retry_after <= WINDOW.total_seconds() for hit in hits)


async def test_count_attempt_restarts_an_ended_window_and_reset_forgets(database_url):
    key = f"client:{uuid.uuid4().hex}"
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        for n in (1, 2, 3):
            assert (await login_throttle.count_attempt(conn, key, WINDOW)).attempts == n
        first = await login_throttle.count_attempt(conn, key, WINDOW)
        await conn.execute(
            "UPDATE login_throttle SET window_start = window_start - interval '16 minutes' "
            "WHERE key = %s",
            (key,),
        )
        again = await login_throttle.count_attempt(conn, key, WINDOW)
        assert again.attempts == 1 and again.window_start > first.window_start
        assert WINDOW.total_seconds() - 5 <= again.retry_after <= WINDOW.total_seconds()
        await login_throttle.reset(conn, key)
        cur = await conn.execute("SELECT count(*) FROM login_throttle WHERE key = %s", (key,))
        assert (await cur.fetchone())[0] == 0
        assert (await login_throttle.count_attempt(conn, key, WINDOW)).attempts == 1


async def test_purge_expired_deletes_only_ended_windows(database_url):
    old, fresh = f"email:old-{uuid.uuid4().hex}", f"email:fresh-{uuid.uuid4().hex}"
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        for key in (old, fresh):
            await login_throttle.count_attempt(conn, key, WINDOW)
        await conn.execute(
            "UPDATE login_throttle SET window_start = now() - interval '2 hours' WHERE key = %s",
            (old,),
        )
        assert await login_throttle.purge_expired(conn, timedelta(hours=1)) >= 1
        cur = await conn.execute(
            "SELECT key FROM login_throttle WHERE key = ANY(%s)", ([old, fresh],)
        )
        assert [row[0] for row in await cur.fetchall()] == [fresh]


async def test_create_user_takes_a_hash_made_before_the_connection(database_url):
    email = f"pre-{uuid.uuid4().hex[:10]}@adlaan.test"
    digest = await asyncio.to_thread(accounts.hash_password, PASSWORD)
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        conn.row_factory = psycopg.rows.dict_row
        user = await accounts.create_user(conn, email.upper(), password_hash=digest)
        assert user["email"] == email
        found = await accounts.find_login(conn, email)
        with pytest.raises(accounts.AccountError, match="already exists"):
            await accounts.create_user(conn, email, PASSWORD)
    assert found["password_hash"] == digest
    assert accounts.verify_password(found, PASSWORD).ok


# --- the route, over HTTP ---------------------------------------------------------------------


async def test_concurrent_wrong_passwords_for_one_account_are_counted_atomically(
    throttled, database_url
):
    account = make_user(database_url)
    # 40 guesses at once, each from an address of its own: only the e-mail's count stops them
    clients = [client(throttled) for _ in range(40)]
    try:
        answers = await asyncio.gather(
            *(login(http, account.email, f"guess {i}") for i, http in enumerate(clients))
        )
    finally:
        for http in clients:
            await http.aclose()
    assert Counter(r.status_code for r in answers) == {401: MAX_FAILURES, 429: 40 - MAX_FAILURES}
    for refused in (r for r in answers if r.status_code == 429):
        assert "too many failed logins for this e-mail" in refused.json()["detail"]
        assert 0 < int(refused.headers["retry-after"]) <= WINDOW.total_seconds()
    assert audit_count(database_url, "auth.login_failed", account.email) == MAX_FAILURES
    assert audit_count(database_url, "auth.login_throttled", account.email) == 1

    # the account is locked for the window, even for the right password from elsewhere
    async with client(throttled) as http:
        right = await login(http, account.email, PASSWORD)
        assert right.status_code == 429, right.text
        assert "too many failed logins" in right.text and int(right.headers["retry-after"]) > 0
        # ... but only for logging in: its API key still works
        assert (await http.get("/auth/me", headers=account.headers)).status_code == 200
    assert audit_count(database_url, "auth.login_throttled", account.email) == 1, "once a window"
    assert audit_count(database_url, "auth.login", account.id) == 0


async def test_a_successful_login_resets_the_count_for_the_email(throttled, database_url):
    account = make_user(database_url)
    async with client(throttled) as http:
        for _ in range(MAX_FAILURES - 1):
            assert (await login(http, account.email, "guess")).status_code == 401
        assert throttle_row(database_url, f"email:{account.email}")[0] == MAX_FAILURES - 1
        ok = await login(http, account.email.upper(), PASSWORD)
        assert ok.status_code == 200, ok.text
        assert set(ok.json()) == {"access_token", "token_type", "expires_at", "user_id"}
        assert throttle_row(database_url, f"email:{account.email}") is None
        for _ in range(MAX_FAILURES):
            assert (await login(http, account.email, "guess")).status_code == 401
        assert (await login(http, account.email, "guess")).status_code == 429
    assert audit_count(database_url, "auth.login", account.id) == 1
    assert audit_count(database_url, "auth.login_failed", account.email) == 2 * MAX_FAILURES - 1


async def test_one_address_is_refused_after_its_limit_whatever_the_email(throttled, database_url):
    account = make_user(database_url)
    address = new_address()
    async with client(throttled, address) as http:
        for i in range(MAX_PER_CLIENT):
            wrong = await login(http, f"nobody-{i}-{uuid.uuid4().hex[:6]}@adlaan.test", "guess")
            assert wrong.status_code == 401, (i, wrong.text)
        for _ in range(5):
            refused = await login(http, account.email, PASSWORD)
            assert refused.status_code == 429, refused.text
            assert "too many logins from this address" in refused.json()["detail"]
            assert 0 < int(refused.headers["retry-after"]) <= WINDOW.total_seconds()
    # a refused address adds no rows for the e-mails it tries, and one audit entry a window
    assert throttle_row(database_url, f"email:{account.email}") is None
    assert throttle_row(database_url, f"client:{address}")[0] == MAX_PER_CLIENT + 5
    assert audit_count(database_url, "auth.login_throttled", f"client:{address}") == 1
    async with client(throttled) as elsewhere:
        assert (await login(elsewhere, account.email, PASSWORD)).status_code == 200


async def test_a_login_rehashes_an_outdated_password_hash(throttled, database_url):
    account = make_user(database_url)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE users SET password_hash = %s WHERE id = %s", (weak, account.id))
    async with client(throttled) as http:
        assert (await login(http, account.email, PASSWORD)).status_code == 200
    with psycopg.connect(database_url) as conn:
        stored = conn.execute(
            "SELECT password_hash FROM users WHERE id = %s", (account.id,)
        ).fetchone()[0]
    assert stored != weak and not PasswordHasher().check_needs_rehash(stored)
    assert PasswordHasher().verify(stored, PASSWORD)


def test_a_burst_of_logins_does_not_starve_the_pool(database_url, tmp_path):
    """30 logins at once on a server whose app pool has 2 connections: argon2 runs while no
    connection is held, so every login and every /auth/me made meanwhile answers 200."""
    srv = LangGraphServer(
        database_url,
        tmp_path,
        extra_env={
            "DB_POOL_SIZE": "2",
            "DB_CONNECT_TIMEOUT": "2",
            "LOGIN_MAX_ATTEMPTS_PER_CLIENT": "1000",
            "HOOKS_ENABLED": "false",
        },
    )
    users = [make_user(database_url) for _ in range(30)]
    srv.start()
    try:

        async def me(http: httpx.AsyncClient, delay: float) -> httpx.Response:
            await asyncio.sleep(delay)
            return await http.get("/auth/me", headers=srv.headers)

        async def burst() -> tuple[list[httpx.Response], list[httpx.Response]]:
            async with client(srv) as http:
                logins = [login(http, u.email, u.password) for u in users]
                mes = [me(http, 0.05 * i) for i in range(20)]
                answers = await asyncio.gather(*logins, *mes)
            return answers[: len(logins)], answers[len(logins) :]

        logins, mes = asyncio.run(burst())
    finally:
        srv.stop()
    assert [r.status_code for r in mes] == [200] * 20, [r.text for r in mes if r.status_code != 200]
    assert [r.status_code for r in logins] == [200] * 30, [
        r.text for r in logins if r.status_code != 200
    ]
    assert {r.json()["user_id"] for r in logins} == {u.id for u in users}


async def test_an_email_that_lengthens_when_lowered_is_still_counted(throttled, database_url):
    email = "İ" * 300  # "İ".lower() is two characters: the key must still fit its column
    async with client(throttled) as http:
        answers = [await login(http, email, "guess") for _ in range(MAX_FAILURES + 1)]
    assert [r.status_code for r in answers] == [401] * MAX_FAILURES + [429]
