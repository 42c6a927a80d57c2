"""Managing accounts (issue 15, item 5), against the real server and the `adlaan` CLI: changing
one's own password (the old one stops working, other sessions are revoked), an administrator's
reset and unlock, listing and revoking one's own sessions, each audited."""

from __future__ import annotations

import uuid

import httpx
import psycopg
import pytest

from tests.accounts import PASSWORD, make_user
from tests.integration.test_users_cli import adlaan

pytestmark = pytest.mark.integration

NEW_PASSWORD = "a brand new passphrase"
MAX_FAILURES = 10  # LOGIN_MAX_FAILURES's default: the module's server keeps it


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(http: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    return http.post("/auth/login", json={"email": email, "password": password})


def session(http: httpx.Client, email: str, password: str = PASSWORD) -> str:
    answer = login(http, email, password)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def audit_rows(database_url: str, action: str, target: str) -> list[tuple]:
    """(actor, details) of the entries with this action and target, oldest first."""
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT actor, details FROM audit_logs WHERE action = %s AND target = %s ORDER BY id",
            (action, target),
        ).fetchall()


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def test_changing_ones_password_revokes_the_other_sessions(http, database_url):
    user = make_user(database_url)
    kept, other = session(http, user.email), session(http, user.email)
    me = http.get("/auth/sessions", headers=bearer(kept)).json()
    kept_id = next(s["id"] for s in me if s["current"])

    body = {"current_password": "not it at all", "new_password": NEW_PASSWORD}
    wrong = http.post("/auth/password", json=body, headers=bearer(kept))
    assert wrong.status_code == 403 and "current password is wrong" in wrong.text
    weak = {"current_password": PASSWORD, "new_password": "short"}
    assert http.post("/auth/password", json=weak, headers=bearer(kept)).status_code == 422
    assert (
        http.post(
            "/auth/password", json={"new_password": NEW_PASSWORD}, headers=bearer(kept)
        ).status_code
        == 422
    )

    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    changed = http.post("/auth/password", json=body, headers=bearer(kept))
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"revoked": 1, "kept_credential_id": kept_id}
    assert http.get("/auth/me", headers=bearer(kept)).status_code == 200, "this session stays"
    assert http.get("/auth/me", headers=bearer(other)).status_code == 401, "others are revoked"
    assert http.get("/auth/me", headers=user.headers).status_code == 200, "API keys stay"
    assert login(http, user.email).status_code == 401, "the old password stops working"
    assert login(http, user.email, NEW_PASSWORD).status_code == 200

    # from an API key, revoking the API keys: the one in use stays, the others go
    second_key = http.post("/auth/api-keys", json={"name": "x"}, headers=user.headers).json()
    body = {"current_password": NEW_PASSWORD, "new_password": PASSWORD, "revoke_api_keys": True}
    again = http.post("/auth/password", json=body, headers=user.headers)
    assert again.status_code == 200, again.text
    assert http.get("/auth/me", headers=user.headers).status_code == 200
    assert http.get("/auth/me", headers=bearer(second_key["key"])).status_code == 401
    assert http.get("/auth/me", headers=bearer(kept)).status_code == 401

    changes = audit_rows(database_url, "user.password_changed", user.id)
    assert [(actor, details["revoked"]) for actor, details in changes] == [
        (user.id, 1),
        (user.id, 3),  # the session kept the first time, the one logged in since, the new key
    ]
    assert [a for a, _ in audit_rows(database_url, "auth.password_change_failed", user.id)] == [
        user.id
    ]


def test_a_wrong_current_password_counts_as_a_failed_login(http, database_url):
    user = make_user(database_url)
    body = {"current_password": "guess", "new_password": NEW_PASSWORD}
    for _ in range(MAX_FAILURES):
        assert http.post("/auth/password", json=body, headers=user.headers).status_code == 403
    refused = http.post("/auth/password", json=body, headers=user.headers)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert login(http, user.email).status_code == 429


def test_listing_and_revoking_ones_own_sessions(http, database_url):
    ana, bob = make_user(database_url), make_user(database_url)
    first, second = session(http, ana.email), session(http, ana.email)
    bobs = session(http, bob.email)

    listed = http.get("/auth/sessions", headers=bearer(first))
    assert listed.status_code == 200, listed.text
    assert len(listed.json()) == 2 and [s["current"] for s in listed.json()] == [False, True]
    assert {"id", "prefix", "created_at", "expires_at", "last_used_at"} <= set(listed.json()[0])
    second_id = listed.json()[0]["id"]
    assert http.get("/auth/sessions", headers=ana.headers).json()[0]["current"] is False

    bobs_id = http.get("/auth/sessions", headers=bearer(bobs)).json()[0]["id"]
    foreign = http.delete(f"/auth/sessions/{bobs_id}", headers=bearer(first))
    assert foreign.status_code == 404 and foreign.json()["detail"] == f"session {bobs_id} not found"
    assert http.get("/auth/me", headers=bearer(bobs)).status_code == 200
    assert audit_rows(database_url, "access.denied", bobs_id)[0][0] == ana.id
    missing = uuid.uuid4()
    assert http.delete(f"/auth/sessions/{missing}", headers=bearer(first)).status_code == 404
    # an API key is not a session (it has its own route)
    key_id = http.get("/auth/api-keys", headers=ana.headers).json()[0]["id"]
    assert http.delete(f"/auth/sessions/{key_id}", headers=bearer(first)).status_code == 404

    assert http.delete(f"/auth/sessions/{second_id}", headers=bearer(first)).status_code == 204
    assert http.get("/auth/me", headers=bearer(second)).status_code == 401
    assert http.delete(f"/auth/sessions/{second_id}", headers=bearer(first)).status_code == 404
    assert [s["id"] for s in http.get("/auth/sessions", headers=bearer(first)).json()] != [
        second_id
    ]
    assert len(http.get("/auth/sessions", headers=bearer(first)).json()) == 1
    assert [a for a, _ in audit_rows(database_url, "auth.session_revoked", second_id)] == [ana.id]


def test_an_administrator_resets_a_password(http, database_url):
    admin, user = make_user(database_url, admin=True), make_user(database_url)
    logged_in = session(http, user.email)
    body = {"new_password": NEW_PASSWORD}
    by_user = http.post(
        f"/api/v1/admin/users/{user.email}/password", json=body, headers=user.headers
    )
    assert by_user.status_code == 403
    assert login(http, user.email).status_code == 200, "nothing changed"

    reset = http.post(
        f"/api/v1/admin/users/{user.email.upper()}/password", json=body, headers=admin.headers
    )
    assert reset.status_code == 200, reset.text
    assert reset.json() == {"user_id": user.id, "email": user.email, "revoked": 2}
    assert http.get("/auth/me", headers=bearer(logged_in)).status_code == 401
    assert http.get("/auth/me", headers=user.headers).status_code == 200, "API keys stay"
    assert login(http, user.email).status_code == 401
    assert login(http, user.email, NEW_PASSWORD).status_code == 200

    body = {"new_password": PASSWORD, "revoke_api_keys": True}
    by_id = http.post(f"/api/v1/admin/users/{user.id}/password", json=body, headers=admin.headers)
    assert by_id.status_code == 200 and by_id.json()["revoked"] == 2  # the key and a session
    assert http.get("/auth/me", headers=user.headers).status_code == 401
    ghost = http.post(
        "/api/v1/admin/users/ghost@adlaan.test/password", json=body, headers=admin.headers
    )
    assert ghost.status_code == 404
    short = {"new_password": "short"}
    assert (
        http.post(
            f"/api/v1/admin/users/{user.id}/password", json=short, headers=admin.headers
        ).status_code
        == 422
    )
    resets = audit_rows(database_url, "user.password_reset", user.id)
    assert [(a, d["revoked_api_keys"]) for a, d in resets] == [(admin.id, False), (admin.id, True)]


def test_an_administrator_unlocks_a_throttled_login(http, database_url):
    admin, user = make_user(database_url, admin=True), make_user(database_url)
    for _ in range(MAX_FAILURES):
        assert login(http, user.email, "guess").status_code == 401
    assert login(http, user.email).status_code == 429

    url = f"/api/v1/admin/users/{user.email}/unlock"
    assert http.post(url, headers=user.headers).status_code == 403
    assert login(http, user.email).status_code == 429, "still throttled"
    unlocked = http.post(url, headers=admin.headers)
    assert unlocked.status_code == 200, unlocked.text
    assert unlocked.json() == {"user_id": user.id, "email": user.email, "cleared": True}
    assert login(http, user.email).status_code == 200
    again = http.post(f"/api/v1/admin/users/{user.id}/unlock", headers=admin.headers)
    assert again.json()["cleared"] is False
    assert [(a, d["cleared"]) for a, d in audit_rows(database_url, "user.unlocked", user.id)] == [
        (admin.id, True),
        (admin.id, False),
    ]


def test_the_cli_resets_unlocks_lists_and_revokes(http, database_url):
    user = make_user(database_url)
    first, second = session(http, user.email), session(http, user.email)

    listed = adlaan(database_url, "sessions", "--email", user.email.upper())
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert sorted(r[1] for r in rows) == ["api_key", "session", "session"]
    newest_session = next(r[0] for r in rows if r[1] == "session")

    revoked = adlaan(database_url, "revoke", "--email", user.email, "--session", newest_session)
    assert revoked.returncode == 0, revoked.stderr
    assert http.get("/auth/me", headers=bearer(second)).status_code == 401
    assert http.get("/auth/me", headers=bearer(first)).status_code == 200
    twice = adlaan(database_url, "revoke", "--email", user.email, "--session", newest_session)
    assert twice.returncode == 1 and "no live session" in twice.stderr

    reset = adlaan(
        database_url, "password", "--email", user.email, "--password-stdin", stdin=NEW_PASSWORD
    )
    assert reset.returncode == 0, reset.stderr
    assert NEW_PASSWORD not in reset.stdout + reset.stderr
    assert http.get("/auth/me", headers=bearer(first)).status_code == 401
    assert http.get("/auth/me", headers=user.headers).status_code == 200
    assert login(http, user.email).status_code == 401

    for _ in range(MAX_FAILURES - 1):  # (the old password just now was the first failure)
        assert login(http, user.email, "guess").status_code == 401
    assert login(http, user.email, NEW_PASSWORD).status_code == 429
    unlocked = adlaan(database_url, "unlock", "--email", user.email)
    assert unlocked.returncode == 0 and "unlocked" in unlocked.stderr
    assert login(http, user.email, NEW_PASSWORD).status_code == 200

    assert [a for a, _ in audit_rows(database_url, "auth.session_revoked", newest_session)] == [
        "cli"
    ]
    assert [a for a, _ in audit_rows(database_url, "user.password_reset", user.id)] == ["cli"]
    assert [a for a, _ in audit_rows(database_url, "user.unlocked", user.id)] == ["cli"]

    ghost = adlaan(database_url, "unlock", "--email", "ghost@adlaan.test")
    assert ghost.returncode == 1 and "no user" in ghost.stderr
    bad_id = adlaan(database_url, "revoke", "--email", user.email, "--session", "nope")
    assert bad_id.returncode == 2 and "not a session id" in bad_id.stderr
    short = adlaan(database_url, "password", "--email", user.email, "--password-stdin", stdin="x")
    assert short.returncode == 2 and "password needs" in short.stderr
    no_stdin = adlaan(database_url, "password", "--email", user.email)
    assert no_stdin.returncode != 0 and "--password-stdin" in no_stdin.stderr
