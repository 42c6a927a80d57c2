"""PostgreSQL going away under the running server: requests get a clear 503 to retry, never a
silent success, and the server recovers by itself when the database is back."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from store.migrate import migrate
from tests.accounts import make_user
from tests.server import LangGraphServer

pytestmark = pytest.mark.integration


def _refuse_connections(admin_url: str, name: str, refuse: bool) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS {}").format(
                sql.Identifier(name), sql.SQL("false" if refuse else "true")
            )
        )
        if refuse:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )


def test_requests_get_503_while_the_database_is_down_then_work_again(
    empty_database, admin_url, tmp_path
):
    import httpx

    migrate(empty_database)
    name = make_url(empty_database).database
    server = LangGraphServer(
        empty_database, tmp_path, extra_env={"DB_CONNECT_TIMEOUT": "3", "HOOKS_ENABLED": "false"}
    )
    server.start()
    account = make_user(empty_database)
    try:
        with httpx.Client(base_url=server.url, headers=account.headers, timeout=60) as http:
            assert http.get("/auth/me").status_code == 200
            _refuse_connections(admin_url, name, True)
            try:
                for path in ("/auth/me", "/api/v1/conversations"):
                    response = http.get(path)
                    assert response.status_code == 503, (path, response.text)
                    assert "database is unavailable" in response.json()["detail"]
                    assert response.headers["retry-after"] == "5"
            finally:
                _refuse_connections(admin_url, name, False)
            assert http.get("/auth/me").status_code == 200
            assert http.get("/api/v1/conversations").status_code == 200
    finally:
        server.stop()
