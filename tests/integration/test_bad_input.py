"""Inputs that made the running server answer 500 get a clear 4xx instead, and write nothing."""

from __future__ import annotations

import base64
import uuid

import httpx
import psycopg
import pytest

from tests.accounts import make_user
from tests.integration.helpers import rejected
from tests.integration.test_mirror import wait_for_mirror

pytestmark = pytest.mark.integration


#: Everything a request could have written, counted.
TABLES = (
    "api_registry",
    "conversations",
    "messages",
    "documents",
    "audit_logs",
    "checkpoints",
    "hook_events",
    "resource_owners",
)


def snapshot(server) -> dict[str, int]:
    """Row counts of every table a request could write, once the mirror has settled, and the
    API's own crons and threads."""
    wait_for_mirror(server.database_url)
    with psycopg.connect(server.database_url) as conn:
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    with httpx.Client(base_url=server.url, headers=server.headers) as http:
        counts["crons"] = len(http.post("/runs/crons/search", json={"limit": 1000}).json())
        counts["threads"] = http.post("/threads/count", json={}).json()
    return counts


def cursor_of(raw: str) -> str:
    """A cursor as ``encode_cursor`` writes them, around any JSON (forged, for these tests)."""
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "namespace_prefix is required"),
        ({"query": "nda", "limit": 5}, "namespace_prefix is required"),
        ({"namespace_prefix": None}, "namespace_prefix is required"),
        ({"namespace_prefix": 5}, "namespace_prefix must be a list of strings"),
        ({"namespace_prefix": "notes"}, "namespace_prefix must be a list of strings"),
        ({"namespace_prefix": [1, 2]}, "namespace_prefix must be a list of strings"),
    ],
)
def test_store_search_without_a_namespace_prefix_is_a_422(server, body, message):
    before = snapshot(server)
    response = httpx.post(f"{server.url}/store/items/search", json=body, headers=server.headers)
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]
    assert snapshot(server) == before
    # the well-formed search still works
    response = httpx.post(
        f"{server.url}/store/items/search", json={"namespace_prefix": []}, headers=server.headers
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "raw", ["[true]", "[false]", '["12"]', "[1.5]", "[null]", "[9223372036854775808]", "[[1]]"]
)
def test_audit_cursor_with_values_of_the_wrong_type_is_a_422(server, raw):
    admin = make_user(server.database_url, admin=True)
    before = snapshot(server)
    response = httpx.get(
        f"{server.url}/api/v1/audit", params={"cursor": cursor_of(raw)}, headers=admin.headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == (
        "cursor is not valid: pass the next_cursor of a previous page"
    )
    assert snapshot(server) == before


def test_audit_cursor_made_by_the_server_still_pages(server):
    admin = make_user(server.database_url, admin=True)
    with psycopg.connect(server.database_url, autocommit=True) as conn:
        for _ in range(2):
            conn.execute("INSERT INTO audit_logs (actor, action) VALUES ('tests', 'tests.paging')")
    with httpx.Client(base_url=server.url, headers=admin.headers) as http:
        first = http.get("/api/v1/audit", params={"limit": 1})
        assert first.status_code == 200, first.text
        cursor = first.json()["next_cursor"]
        assert cursor is not None
        second = http.get("/api/v1/audit", params={"limit": 1, "cursor": cursor})
    assert second.status_code == 200, second.text
    assert second.json()["items"][0]["id"] < first.json()["items"][0]["id"]


async def test_thread_search_by_values_is_refused_with_a_422(server):
    client = server.client()
    # a thread without state (no run yet): the in-memory runtime crashed on it
    await client.threads.create(metadata={"matter": "values-search"})
    before = snapshot(server)
    for values in ({"document": {"version": 1}}, {"messages": []}):
        with rejected(422, "filtering threads by 'values' is not supported"):
            await client.threads.search(values=values)
        with rejected(422, "filtering threads by 'values' is not supported"):
            await client.threads.count(values=values)
    assert snapshot(server) == before
    # what it points to instead works
    found = await client.threads.search(metadata={"matter": "values-search"})
    assert len(found) == 1
    assert await client.threads.search(values={}) is not None  # an empty filter is no filter


def test_cron_without_an_assistant_is_a_422(server):
    before = snapshot(server)
    with httpx.Client(base_url=server.url, headers=server.headers) as http:
        thread_id = str(uuid.uuid4())
        for path in ("/runs/crons", f"/threads/{thread_id}/runs/crons"):
            response = http.post(path, json={"schedule": "0 9 * * 1"})
            assert response.status_code == 422, response.text
            assert "a cron needs 'assistant_id'" in response.json()["detail"]
            response = http.post(path, json={"assistant_id": "drafter"})
            assert response.status_code == 422, response.text
            assert "a cron needs 'schedule'" in response.json()["detail"]
        # there is no GET on /runs/crons (crons are listed with POST /runs/crons/search)
        assert http.get("/runs/crons").status_code == 405
        listed = http.post("/runs/crons/search", json={})
        assert listed.status_code == 200, listed.text
    assert snapshot(server) == before
