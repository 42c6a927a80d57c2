"""Which connection errors are worth retrying (store.db.is_permanent), from libpq's messages:
the CLI fails at once on a permanent one and counts down before retrying a transient one."""

from __future__ import annotations

import psycopg
import pytest

from store.db import DatabaseRefused, DatabaseUnavailable, _unavailable, is_permanent

URL = "postgresql://adlaan:s3cret@db.example:5432/adlaan"


@pytest.mark.parametrize(
    "message",
    [
        'connection failed: FATAL:  password authentication failed for user "adlaan"',
        'connection failed: FATAL:  database "adlaan" does not exist',
        'connection failed: FATAL:  role "nobody" does not exist',
        "connection failed: fe_sendauth: no password supplied",
        'FATAL:  no pg_hba.conf entry for host "10.0.0.1", user "adlaan", database "adlaan"',
        'connection is bad: invalid integer value "abc" for connection option "port"',
        "failed to resolve host 'nosuchhost.invalid': [Errno -2] Name or service not known",
    ],
)
def test_permanent_errors_fail_at_once(message):
    error = psycopg.OperationalError(message)
    assert is_permanent(error)
    refused = _unavailable(URL, error)
    assert isinstance(refused, DatabaseRefused) and "s3cret" not in str(refused)


@pytest.mark.parametrize(
    "message",
    [
        'connection to server at "127.0.0.1", port 5432 failed: Connection refused',
        "connection failed: timeout expired",
        "connection failed: FATAL:  the database system is starting up",
        "connection failed: FATAL:  sorry, too many clients already",
        "failed to resolve host 'db': [Errno -3] Temporary failure in name resolution",
    ],
)
def test_transient_errors_are_retried(message):
    error = psycopg.OperationalError(message)
    assert not is_permanent(error)
    unavailable = _unavailable(URL, error)
    assert type(unavailable) is DatabaseUnavailable and "s3cret" not in str(unavailable)
