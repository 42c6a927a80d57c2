"""Users for the tests, made in the database the server under test uses (as `adlaan users
create --api-key` would make them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import psycopg
from langgraph_sdk import get_client

from store.accounts import API_KEY_PREFIX, hash_password, token_digest

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class TestUser:
    """A user with a password and an API key."""

    __test__ = False  # not a test class, for pytest
    id: str
    email: str
    password: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def client(self, url: str):
        """A `langgraph_sdk` client acting as this user."""
        return get_client(url=url, headers=self.headers)


def make_user(database_url: str, *, admin: bool = False, email: str | None = None) -> TestUser:
    """A new active user with an API key."""
    import secrets

    user_id = uuid.uuid4()
    email = email or f"user-{user_id.hex[:12]}@adlaan.test"
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    with psycopg.connect(database_url, autocommit=True) as conn, conn.transaction():
        conn.execute(
            "INSERT INTO users (id, email, password_hash, is_admin) VALUES (%s, %s, %s, %s)",
            (user_id, email, hash_password(PASSWORD), admin),
        )
        conn.execute(
            "INSERT INTO api_keys (id, user_id, kind, name, prefix, key_hash) "
            "VALUES (%s, %s, 'api_key', 'tests', %s, %s)",
            (uuid.uuid4(), user_id, key[:12], token_digest(key)),
        )
    return TestUser(str(user_id), email, PASSWORD, key)
