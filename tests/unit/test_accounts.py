"""The pure parts of users and auth: credentials in headers, e-mail and password rules, hashes,
pagination cursors, text PostgreSQL can store."""

from __future__ import annotations

import pytest
from fastapi import HTTPException
from pydantic import TypeAdapter, ValidationError

from server.auth import bearer_token
from server.routes.deps import SafeStr, decode_cursor, encode_cursor
from store import accounts


@pytest.mark.parametrize(
    ("headers", "token"),
    [
        ({b"authorization": b"Bearer adlk_abc"}, "adlk_abc"),
        ({b"authorization": b"bearer   adlk_abc  "}, "adlk_abc"),
        ({b"authorization": b"adlk_abc"}, "adlk_abc"),
        ({b"x-api-key": b"adlk_key"}, "adlk_key"),
        ({b"authorization": b"Bearer adls_s", b"x-api-key": b"adlk_k"}, "adls_s"),
        ({b"authorization": b"   "}, None),
        ({}, None),
    ],
)
def test_bearer_token(headers, token):
    assert bearer_token(headers) == token


def test_emails_are_normalised_and_checked():
    assert accounts.normalize_email("  Ana@Example.COM ") == "ana@example.com"
    for bad in ("", "ana", "ana@", "@example.com", "a b@example.com", "ana@example", "a\x00@b.co"):
        with pytest.raises(accounts.AccountError):
            accounts.normalize_email(bad)


def test_passwords_are_checked_and_hashed_with_argon2id():
    with pytest.raises(accounts.AccountError, match="8 to 1024"):
        accounts.hash_password("short")
    with pytest.raises(accounts.AccountError, match="NUL"):
        accounts.hash_password("long enough\x00")
    digest = accounts.hash_password("long enough")
    assert digest.startswith("$argon2id$") and "long enough" not in digest
    assert accounts.hash_password("long enough") != digest, "salted"


def test_token_digest_is_sha256_and_does_not_contain_the_token():
    digest = accounts.token_digest("adlk_secret")
    assert len(digest) == 64 and "secret" not in digest
    assert digest == accounts.token_digest("adlk_secret")
    assert digest != accounts.token_digest("adlk_secreT")


def test_cursor_round_trip_and_garbage():
    from datetime import UTC, datetime

    at = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert decode_cursor(encode_cursor(at, "t1"), 2) == [at.isoformat(), "t1"]
    assert decode_cursor(None, 2) is None
    for garbage in ("garbage", "!!!", encode_cursor(1), "e30"):
        with pytest.raises(HTTPException) as error:
            decode_cursor(garbage, 2)
        assert error.value.status_code == 422


def test_safe_str_refuses_what_postgresql_cannot_store():
    adapter = TypeAdapter(SafeStr)
    assert adapter.validate_python("§ 3426 – «ok»") == "§ 3426 – «ok»"
    for bad in ("nul\x00", "lone \ud800 surrogate"):
        with pytest.raises(ValidationError):
            adapter.validate_python(bad)


def _user(password_hash, *, active=True):
    """A row as ``find_login`` returns it."""
    return {
        "id": "u1",
        "email": "a@b.co",
        "password_hash": password_hash,
        "is_admin": False,
        "is_active": active,
    }


def test_verify_password_needs_a_known_active_user_and_the_right_password():
    digest = accounts.hash_password("long enough")
    assert accounts.verify_password(_user(digest), "long enough") == accounts.LoginCheck(True)
    assert not accounts.verify_password(_user(digest), "long enougH").ok
    assert not accounts.verify_password(_user(digest, active=False), "long enough").ok
    assert not accounts.verify_password(_user(None), "long enough").ok
    assert not accounts.verify_password(_user("not a hash"), "long enough").ok
    assert not accounts.verify_password(None, "long enough").ok


def test_verify_password_costs_the_same_for_an_unknown_user():
    import time

    digest = accounts.hash_password("long enough")

    def timed(user):
        start = time.perf_counter()
        for _ in range(3):
            accounts.verify_password(user, "wrong password")
        return time.perf_counter() - start

    known, unknown = timed(_user(digest)), timed(None)
    assert 0.3 < unknown / known < 3, "an argon2 verification either way"


def test_verify_password_rehashes_a_hash_with_outdated_parameters():
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("long enough")
    check = accounts.verify_password(_user(weak), "long enough")
    assert check.ok and check.rehash and check.rehash != weak
    assert accounts.verify_password(_user(check.rehash), "long enough") == accounts.LoginCheck(True)
