"""`adlaan users ...`: create (password from stdin), list, API keys, disable, as an operator
would run them, against the database the real server uses."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest

from server.settings import RESOLVED_URL_ENV

pytestmark = pytest.mark.integration
ADLAAN = str(Path(sys.executable).parent / "adlaan")


def adlaan(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {RESOLVED_URL_ENV: database_url, "PATH": str(Path(sys.executable).parent)}
    return subprocess.run(
        [ADLAAN, "users", *args], input=stdin, env=env, capture_output=True, text=True, timeout=120
    )


def test_create_login_list_key_and_disable(server, database_url):
    email = f"Ops-{uuid.uuid4().hex[:8]}@Example.com"
    password = "a long passphrase with spaces"
    created = adlaan(
        database_url,
        "create",
        "--email",
        email,
        "--password-stdin",
        "--admin",
        "--api-key",
        stdin=password + "\n",
    )
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("adlk_") and password not in created.stdout + created.stderr
    with psycopg.connect(database_url) as conn:
        stored = conn.execute(
            "SELECT u.password_hash, k.key_hash FROM users u JOIN api_keys k ON k.user_id = u.id "
            "WHERE u.email = %s",
            (email.lower(),),
        ).fetchone()
    assert stored[0].startswith("$argon2id$") and key not in stored[1]

    with httpx.Client(base_url=server.url, timeout=30) as http:
        login = http.post("/auth/login", json={"email": email, "password": password})
        assert login.status_code == 200, login.text
        me = http.get("/auth/me", headers={"Authorization": f"Bearer {key}"}).json()
        assert me["email"] == email.lower() and me["is_admin"] is True
        assert http.get("/stats", headers={"Authorization": f"Bearer {key}"}).status_code == 200

        listed = adlaan(database_url, "list")
        assert listed.returncode == 0 and email.lower() in listed.stdout

        second = adlaan(database_url, "api-key", "--email", email, "--name", "ci")
        assert second.returncode == 0 and second.stdout.strip().startswith("adlk_")
        other = {"Authorization": f"Bearer {second.stdout.strip()}"}
        assert http.get("/auth/me", headers=other).status_code == 200

        disabled = adlaan(database_url, "disable", "--email", email)
        assert disabled.returncode == 0, disabled.stderr
        assert http.get("/auth/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401
        assert http.get("/auth/me", headers=other).status_code == 401
        again = http.post("/auth/login", json={"email": email, "password": password})
        assert again.status_code == 401

        assert adlaan(database_url, "enable", "--email", email).returncode == 0
        assert http.get("/auth/me", headers=other).status_code == 200


def test_bad_input_is_refused_with_a_reason_and_creates_nothing(database_url):
    email = f"dup-{uuid.uuid4().hex[:8]}@example.com"
    first = adlaan(
        database_url, "create", "--email", email, "--password-stdin", stdin="longenough\n"
    )
    assert first.returncode == 0, first.stderr
    duplicate = adlaan(
        database_url, "create", "--email", email.upper(), "--password-stdin", stdin="longenough\n"
    )
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    short = adlaan(
        database_url, "create", "--email", "x" + email, "--password-stdin", stdin="short\n"
    )
    assert short.returncode == 2 and "password needs" in short.stderr
    not_email = adlaan(
        database_url, "create", "--email", "nobody", "--password-stdin", stdin="x" * 9
    )
    assert not_email.returncode == 2 and "not an e-mail address" in not_email.stderr
    no_stdin = adlaan(database_url, "create", "--email", "y" + email)
    assert no_stdin.returncode != 0 and "--password-stdin" in no_stdin.stderr
    unknown = adlaan(database_url, "disable", "--email", "ghost@example.com")
    assert unknown.returncode == 1 and "no user" in unknown.stderr
    with psycopg.connect(database_url) as conn:
        count = conn.execute(
            "SELECT count(*) FROM users WHERE email LIKE %s", (f"%{email}",)
        ).fetchone()[0]
    assert count == 1
