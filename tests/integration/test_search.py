"""Search over HTTP against the real server, as a user pages and narrows it: pages are the next
newest matches, best first; the conversation, period and archived filters; document text."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import httpx
import pytest

from tests.accounts import make_user
from tests.integration.test_mirror import wait_for_mirror

pytestmark = pytest.mark.integration


def _said(texts: list[str]) -> dict:
    return {"messages": [{"role": "user", "content": text} for text in texts]}


async def _thread(sdk, database_url, batches: list[list[str]]) -> str:
    """A thread whose messages arrive in ``batches``, each mirrored (so stamped) after the last."""
    thread_id = (await sdk.threads.create(graph_id="drafter"))["thread_id"]
    for texts in batches:
        await sdk.threads.update_state(thread_id, _said(texts), as_node="__start__")
        wait_for_mirror(database_url)
    return thread_id


async def test_pages_are_the_newest_matches_best_first_and_filters_narrow_them(
    server, database_url
):
    account = make_user(database_url)
    sdk = account.client(server.url)
    # three batches of ten, each message saying 'escrow' one to three times
    batches = [
        [f"Batch {b} note {i}: " + "escrow funds held; " * (1 + (i + b) % 3) for i in range(10)]
        for b in range(3)
    ]
    kept = await _thread(sdk, database_url, batches)
    archived = await _thread(sdk, database_url, [["The escrow agent was replaced."]])
    async with httpx.AsyncClient(base_url=server.url, headers=account.headers, timeout=60) as http:

        async def search(**params) -> list[dict]:
            response = await http.get("/api/v1/search", params={"q": "escrow", **params})
            assert response.status_code == 200, response.text
            return response.json()

        assert (await http.post(f"/api/v1/conversations/{archived}/archive")).status_code == 200
        pages = [await search(limit=10, offset=offset) for offset in (0, 10, 20, 30)]
        every = [hit for page in pages for hit in page]
        assert len(every) == 31 and len({h["message_id"] for h in every}) == 31, "no repeats"
        assert archived in {h["thread_id"] for h in pages[0]}  # its message is the newest
        for page in pages:
            ranks = [hit["rank"] for hit in page]
            assert ranks == sorted(ranks, reverse=True), "a page is best first"
        for newer, older in itertools.pairwise(pages):
            if older:
                assert min(h["created_at"] for h in newer) >= max(h["created_at"] for h in older)
        assert all("<mark>escrow</mark>" in hit["snippet"] for hit in every)
        recent = await search(sort="recent", limit=100)
        stamps = [hit["created_at"] for hit in recent]
        assert stamps == sorted(stamps, reverse=True) and len(recent) == 31

        assert {h["thread_id"] for h in await search(status="archived")} == {archived}
        assert {h["thread_id"] for h in await search(status="active", limit=100)} == {kept}
        assert {h["thread_id"] for h in await search(thread_id=kept, limit=100)} == {kept}
        # the period: [after, before)
        first = min(datetime.fromisoformat(h["created_at"]) for h in every)
        assert await search(before=first.isoformat()) == []
        assert len(await search(after=first.isoformat(), limit=100)) == 31
        later = (first + timedelta(days=1)).isoformat()
        assert await search(after=later) == []
        refused = await http.get(
            "/api/v1/search", params={"q": "escrow", "after": later, "before": first.isoformat()}
        )
        assert refused.status_code == 422 and "'after' must be earlier" in refused.text
        for bad in ({"status": "deleted"}, {"sort": "best"}, {"after": "yesterday"}):
            response = await http.get("/api/v1/search", params={"q": "escrow", **bad})
            assert response.status_code == 422, (bad, response.text)


async def test_document_text_is_searched_with_snippets_and_only_the_owners(server, database_url):
    owner, stranger = make_user(database_url), make_user(database_url)
    sdk = owner.client(server.url)
    thread_id = (await sdk.threads.create())["thread_id"]
    await sdk.runs.wait(thread_id, "drafter", input=_said(["I need to draft an NDA"]))
    wait_for_mirror(database_url)
    query = {"q": '"confidential information"'}
    async with httpx.AsyncClient(base_url=server.url, headers=owner.headers, timeout=60) as http:
        hits = (await http.get("/api/v1/search/documents", params=query)).json()
        assert [(h["thread_id"], h["version"]) for h in hits] == [(thread_id, 1)]
        assert "<mark>Confidential</mark> <mark>Information</mark>" in hits[0]["snippet"]
        assert hits[0]["rank"] > 0 and hits[0]["id"]
        document = (await http.get(f"/api/v1/documents/{hits[0]['id']}")).json()
        assert document["title"] == hits[0]["title"]
        narrowed = {"thread_id": thread_id, "status": "active", **query}
        assert len((await http.get("/api/v1/search/documents", params=narrowed)).json()) == 1
        archived_only = {**query, "status": "archived"}
        assert (await http.get("/api/v1/search/documents", params=archived_only)).json() == []
        for bad in ({"q": ""}, {"q": "x" * 501}, {**query, "limit": 0}):
            response = await http.get("/api/v1/search/documents", params=bad)
            assert response.status_code == 422, (bad, response.text)
    async with httpx.AsyncClient(base_url=server.url, headers=stranger.headers, timeout=60) as http:
        assert (await http.get("/api/v1/search/documents", params=query)).json() == []
        assert (await http.get("/api/v1/search/documents")).status_code == 422
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        assert (await http.get("/api/v1/search/documents", params=query)).status_code == 401
