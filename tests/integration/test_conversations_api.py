"""The conversation, search, document, audit, stats, chat and login routes, over HTTP against
the real server, as a new user would use them."""

from __future__ import annotations

import io

import docx
import httpx
import psycopg
import pytest

from tests.accounts import PASSWORD, make_user
from tests.integration.test_mirror import fork_from_first_turn, wait_for_mirror

pytestmark = pytest.mark.integration
SEED = ["I need to draft an NDA", "Make it for California jurisdiction", "Add a 2-year term"]
# A conversation's message_count counts every message of its thread: each SEED turn adds the
# user's message, the drafter's AI message with its tool call, the tool's result and the reply.
MESSAGES_PER_TURN = 4


def user(text):
    return {"messages": [{"role": "user", "content": text}]}


@pytest.fixture
async def me(server, database_url):
    """A new user, with an SDK client and an HTTP client."""
    account = make_user(database_url)
    async with httpx.AsyncClient(base_url=server.url, headers=account.headers, timeout=60) as http:
        yield account, account.client(server.url), http


async def conversation(sdk, database_url, turns=SEED) -> str:
    thread_id = (await sdk.threads.create())["thread_id"]
    for text in turns:
        await sdk.runs.wait(thread_id, "drafter", input=user(text))
    wait_for_mirror(database_url)
    return thread_id


async def test_login_then_the_token_works_everywhere_and_logout_revokes_it(server, database_url):
    account = make_user(database_url)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        wrong = await http.post("/auth/login", json={"email": account.email, "password": "nope"})
        assert wrong.status_code == 401 and "wrong e-mail or password" in wrong.text
        unknown = await http.post(
            "/auth/login", json={"email": "nobody@adlaan.test", "password": PASSWORD}
        )
        assert unknown.status_code == 401
        response = await http.post(
            "/auth/login", json={"email": account.email.upper(), "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert (await http.get("/auth/me", headers=headers)).json()["user_id"] == account.id
        from langgraph_sdk import get_client

        sdk = get_client(url=server.url, headers=headers)
        thread = await sdk.threads.create()
        assert thread["metadata"]["owner"] == account.id
        key = await http.post("/auth/api-keys", headers=headers, json={"name": "script"})
        assert key.status_code == 201 and key.json()["key"].startswith("adlk_")
        key_headers = {"Authorization": f"Bearer {key.json()['key']}"}
        assert (await http.get("/auth/me", headers=key_headers)).status_code == 200
        assert (await http.post("/auth/logout", headers=headers)).status_code == 204
        assert (await http.get("/auth/me", headers=headers)).status_code == 401
        # a stale token does not stand in the way of logging in again
        relogin = await http.post(
            "/auth/login", headers=headers, json={"email": account.email, "password": PASSWORD}
        )
        assert relogin.status_code == 200, relogin.text
        assert (await http.get("/auth/me", headers=key_headers)).status_code == 200
        revoked = await http.delete(f"/auth/api-keys/{key.json()['id']}", headers=key_headers)
        assert revoked.status_code == 204
        assert (await http.get("/auth/me", headers=key_headers)).status_code == 401
    with psycopg.connect(database_url) as conn:
        actions = [
            r[0]
            for r in conn.execute(
                "SELECT action FROM audit_logs WHERE actor = %s OR target IN (%s, %s) ORDER BY id",
                (account.id, account.email, "nobody@adlaan.test"),
            )
        ]
    assert actions.count("auth.login_failed") == 2
    assert "auth.login" in actions and "auth.logout" in actions
    assert "auth.api_key_created" in actions and "auth.api_key_revoked" in actions


async def test_repeated_failed_logins_lock_the_email_out_for_a_while(server, database_url):
    account = make_user(database_url)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        for _ in range(10):  # LOGIN_MAX_FAILURES
            wrong = await http.post(
                "/auth/login", json={"email": account.email, "password": "guess"}
            )
            assert wrong.status_code == 401
        right = await http.post("/auth/login", json={"email": account.email, "password": PASSWORD})
        assert right.status_code == 429 and "too many failed logins" in right.text
        assert int(right.headers["retry-after"]) > 0
        other = make_user(database_url)
        fine = await http.post("/auth/login", json={"email": other.email, "password": PASSWORD})
        assert fine.status_code == 200
        # the account's API key is not affected
        assert (await http.get("/auth/me", headers=account.headers)).status_code == 200


async def test_list_rename_archive_and_paginate(me, database_url):
    account, sdk, http = me
    ids = [await conversation(sdk, database_url, SEED[:1]) for _ in range(3)]
    page = (await http.get("/api/v1/conversations", params={"limit": 2})).json()
    assert [c["thread_id"] for c in page["items"]] == ids[::-1][:2], "newest activity first"
    rest = (await http.get("/api/v1/conversations", params={"cursor": page["next_cursor"]})).json()
    assert [c["thread_id"] for c in rest["items"]] == [ids[0]] and rest["next_cursor"] is None
    first = page["items"][0]
    assert first["title"] == SEED[0] and first["message_count"] == MESSAGES_PER_TURN

    renamed = await http.patch(f"/api/v1/conversations/{ids[0]}", json={"title": "Acme NDA"})
    assert renamed.status_code == 200 and renamed.json()["title"] == "Acme NDA"
    assert (await http.post(f"/api/v1/conversations/{ids[1]}/archive")).json()["status"] == (
        "archived"
    )
    active = (await http.get("/api/v1/conversations")).json()["items"]
    assert {c["thread_id"] for c in active} == {ids[0], ids[2]}
    archived = (await http.get("/api/v1/conversations", params={"status": "archived"})).json()
    assert [c["thread_id"] for c in archived["items"]] == [ids[1]]
    # a new turn keeps the user's title
    await sdk.runs.wait(ids[0], "drafter", input=user(SEED[1]))
    wait_for_mirror(database_url)
    got = (await http.get(f"/api/v1/conversations/{ids[0]}")).json()
    assert got["title"] == "Acme NDA" and got["message_count"] == 2 * MESSAGES_PER_TURN
    assert (await http.post(f"/api/v1/conversations/{ids[1]}/unarchive")).json()["status"] == (
        "active"
    )
    ascending = (await http.get("/api/v1/conversations", params={"order": "asc"})).json()
    assert ascending["items"][0]["thread_id"] == ids[1]
    with psycopg.connect(database_url) as conn:
        actions = {
            r[0]
            for r in conn.execute("SELECT action FROM audit_logs WHERE actor = %s", (account.id,))
        }
    assert {"conversation.renamed", "conversation.archived", "conversation.unarchived"} <= actions


async def test_messages_current_branch_and_all_branches(me, database_url):
    _, sdk, http = me
    thread_id = await conversation(sdk, database_url)
    await fork_from_first_turn(sdk, thread_id, "Make it for Texas jurisdiction")
    wait_for_mirror(database_url)
    state = await sdk.threads.get_state(thread_id)
    current = (await http.get(f"/api/v1/conversations/{thread_id}/messages")).json()
    assert [m["message_id"] for m in current] == [m["id"] for m in state["values"]["messages"]]
    assert [m["content"] for m in current if m["role"] == "user"] == [
        SEED[0],
        "Make it for Texas jurisdiction",
    ]
    every = (
        await http.get(f"/api/v1/conversations/{thread_id}/messages", params={"branches": "all"})
    ).json()
    assert {SEED[1], SEED[2]} <= {m["content"] for m in every if not m["is_current"]}


async def test_search_finds_a_phrase_from_three_turns_back_ranked_and_highlighted(me, database_url):
    _, sdk, http = me
    thread_id = await conversation(sdk, database_url)
    hits = (await http.get("/api/v1/search", params={"q": '"California jurisdiction"'})).json()
    assert hits and hits[0]["thread_id"] == thread_id
    said = [h for h in hits if h["role"] == "user"]
    assert said and "<mark>California</mark>" in said[0]["snippet"]
    assert "<mark>jurisdiction</mark>" in said[0]["snippet"]
    # the first thing said, three turns back
    first = (
        await http.get("/api/v1/search", params={"q": '"draft an NDA"', "role": "user"})
    ).json()
    assert [(h["thread_id"], h["role"]) for h in first] == [(thread_id, "user")]
    assert "<mark>draft</mark> an <mark>NDA</mark>" in first[0]["snippet"]
    only_user = (
        await http.get("/api/v1/search", params={"q": "jurisdiction", "role": "user"})
    ).json()
    assert {h["role"] for h in only_user} == {"user"}


async def test_search_ranking_on_a_known_corpus(me, database_url):
    _, sdk, http = me
    thread_id = (await sdk.threads.create(graph_id="drafter"))["thread_id"]
    corpus = [
        "The weather is pleasant and nothing here concerns secrets.",
        "Trade secret protection: every trade secret and each trade secrets register.",
        "A trade secret is mentioned once.",
        "Confidential <b>markup</b> & trade secret notes.",
    ]
    await sdk.threads.update_state(
        thread_id,
        {"messages": [{"role": "user", "content": text} for text in corpus]},
        as_node="__start__",
    )
    wait_for_mirror(database_url)
    hits = (
        await http.get("/api/v1/search", params={"q": "trade secret", "thread_id": thread_id})
    ).json()
    contents = [h["snippet"] for h in hits]
    assert len(hits) == 3, contents
    assert "register" in contents[0], "the message saying it most ranks first"
    assert hits[0]["rank"] > hits[1]["rank"]
    assert all("weather" not in s for s in contents)
    markup = next(s for s in contents if "markup" in s)
    assert "&lt;b&gt;markup&lt;/b&gt; &amp;" in markup, "snippets are HTML-escaped"
    # hostile and odd input: a clear answer, never a 5xx
    for q in ['"unbalanced', "!!! ((", "a & | ! b", "'); DROP TABLE messages;--", "\\", "x" * 500]:
        response = await http.get("/api/v1/search", params={"q": q})
        assert response.status_code == 200, (q, response.text)
    for q in ["", "x" * 501, "nul\x00byte"]:
        response = await http.get("/api/v1/search", params={"q": q})
        assert response.status_code == 422, (q, response.text)
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] > 0


async def test_documents_versions_diff_citations_and_downloads(me, database_url):
    _, sdk, http = me
    thread_id = await conversation(sdk, database_url)
    versions = (await http.get(f"/api/v1/conversations/{thread_id}/documents")).json()
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert [v["jurisdiction"] for v in versions] == [None, "CA", "CA"]
    v2, v3 = versions[1]["id"], versions[2]["id"]
    full = (await http.get(f"/api/v1/documents/{v3}")).json()
    state = await sdk.threads.get_state(thread_id)
    assert full["body"] == state["values"]["document"]["body"]
    citations = (await http.get(f"/api/v1/documents/{v3}/citations")).json()
    assert citations == state["values"]["document"]["citations"]
    diff = (await http.get(f"/api/v1/documents/{v3}/diff", params={"against": v2})).json()
    assert diff["added"] > 0 and "+" in diff["unified"]
    assert (diff["from"]["id"], diff["to"]["id"]) == (v2, v3)
    added = [line for line in diff["unified"].splitlines() if line.startswith("+")]
    assert any("two (2) years (24 months)" in line for line in added), added

    response = await http.get(f"/api/v1/documents/{v3}/download", params={"format": "docx"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert 'filename="' in response.headers["content-disposition"]
    word = docx.Document(io.BytesIO(response.content))
    paragraphs = [p.text for p in word.paragraphs]
    text = "\n".join(paragraphs)
    assert word.core_properties.title == full["title"]
    headings = [p for p in word.paragraphs if p.style.name == "Heading 1"]
    # clause numbers are Word numbering (w:numPr), not typed text: test_document_exports.py
    assert headings[0].text == "Definitions" and headings[0]._p.pPr.numPr is not None
    assert "California" in text
    # the agreement ends with its signature blocks: the citations are in the memo
    memo = await http.get(f"/api/v1/documents/{v3}/memo")
    memo_text = "\n".join(p.text for p in docx.Document(io.BytesIO(memo.content)).paragraphs)
    for citation in citations:
        assert citation["citation"] in memo_text
    markdown = await http.get(f"/api/v1/documents/{v3}/download", params={"format": "md"})
    assert markdown.status_code == 200 and markdown.text.startswith(full["body"].rstrip()[:40])
    assert all(c["citation"] in markdown.text for c in citations)
    bad = await http.get(f"/api/v1/documents/{v3}/download", params={"format": "rtf"})
    assert bad.status_code == 422


async def test_delete_removes_checkpoints_and_mirror_rows_and_is_audited(me, database_url):
    account, sdk, http = me
    thread_id = await conversation(sdk, database_url, SEED[:2])
    response = await http.delete(f"/api/v1/conversations/{thread_id}")
    assert response.status_code == 204, response.text
    with psycopg.connect(database_url) as conn:
        left = conn.execute(
            "SELECT (SELECT count(*) FROM checkpoints WHERE thread_id = %(t)s) + "
            "(SELECT count(*) FROM checkpoint_blobs WHERE thread_id = %(t)s) + "
            "(SELECT count(*) FROM checkpoint_writes WHERE thread_id = %(t)s) + "
            "(SELECT count(*) FROM conversations WHERE thread_id = %(t)s)",
            {"t": thread_id},
        ).fetchone()[0]
        entries = conn.execute(
            "SELECT actor, details->>'reason' FROM audit_logs "
            "WHERE action = 'thread.deleted' AND target = %s",
            (thread_id,),
        ).fetchall()
    assert left == 0
    assert entries == [(account.id, "deleted by its owner")]
    assert (await http.get(f"/api/v1/conversations/{thread_id}")).status_code == 404
    with pytest.raises(httpx.HTTPStatusError) as error:
        await sdk.threads.get(thread_id)
    assert error.value.response.status_code == 404

    # deleting through the SDK is audited under the caller too
    other = await conversation(sdk, database_url, SEED[:1])
    await sdk.threads.delete(other)
    assert (await http.get(f"/api/v1/conversations/{other}")).status_code == 404
    with psycopg.connect(database_url) as conn:
        actors = conn.execute(
            "SELECT actor FROM audit_logs WHERE action = 'thread.deleted' AND target = %s",
            (other,),
        ).fetchall()
    assert actors == [(account.id,)]


async def test_chat_starts_and_continues_a_conversation(me, database_url):
    account, sdk, http = me
    first = await http.post("/api/v1/chat", json={"message": SEED[0]})
    assert first.status_code == 200, first.text
    thread_id = first.json()["thread_id"]
    assert "NDA" in first.json()["reply"] and first.json()["document"]["version"] == 1
    second = await http.post("/api/v1/chat", json={"message": SEED[1], "thread_id": thread_id})
    assert second.json()["document"]["jurisdiction"] == "CA"
    thread = await sdk.threads.get(thread_id)
    assert thread["metadata"]["owner"] == account.id
    wait_for_mirror(database_url)
    listed = (await http.get("/api/v1/conversations")).json()["items"]
    assert thread_id in {c["thread_id"] for c in listed}


async def test_bad_input_gets_a_clear_4xx_and_changes_nothing(me, database_url, server):
    _, sdk, http = me
    thread_id = await conversation(sdk, database_url, SEED[:1])
    url = f"/api/v1/conversations/{thread_id}"
    cases = [
        ("PATCH", url, {"content": b"{not json", "headers": {"content-type": "application/json"}}),
        ("PATCH", url, {"json": {"title": 42}}),
        ("PATCH", url, {"json": {"title": ""}}),
        ("PATCH", url, {"json": {"title": "x" * 501}}),
        ("PATCH", url, {"json": {"title": "nul\x00"}}),
        ("PATCH", url, {"json": {"status": "deleted"}}),
        ("PATCH", url, {"json": {}}),
        ("PATCH", url, {"json": {"title": "ok", "owner": "someone"}}),
        ("GET", "/api/v1/conversations/not-a-uuid", {}),
        ("GET", "/api/v1/conversations", {"params": {"cursor": "garbage"}}),
        ("GET", "/api/v1/conversations", {"params": {"limit": 0}}),
        ("GET", "/api/v1/conversations", {"params": {"status": "gone"}}),
        ("GET", "/api/v1/conversations", {"params": {"active_after": "yesterday"}}),
        ("GET", "/api/v1/documents/99999999999999999999", {}),
        ("GET", "/api/v1/documents/1/diff", {}),
        ("POST", "/api/v1/chat", {"json": {"message": "   "}}),
        ("POST", "/api/v1/chat", {"json": {"message": 5}}),
        ("POST", "/api/v1/chat", {"json": {"message": "x" * 2_000_000}}),
        ("POST", "/auth/login", {"json": {"email": "a@b.c"}}),
        ("POST", "/auth/api-keys", {"json": {"name": "k", "expires_in_days": -1}}),
    ]
    with psycopg.connect(database_url) as conn:
        before = conn.execute(
            "SELECT (SELECT count(*) FROM conversations), (SELECT count(*) FROM checkpoints), "
            "(SELECT title FROM conversations WHERE thread_id = %s)",
            (thread_id,),
        ).fetchone()
    for method, path, kwargs in cases:
        response = await http.request(method, path, **kwargs)
        assert 400 <= response.status_code < 500, (method, path, response.status_code)
        assert response.json()["detail"], (method, path, response.text)
    unknown = await http.get("/api/v1/conversations/00000000-0000-0000-0000-000000000000")
    assert unknown.status_code == 404 and "not found" in unknown.json()["detail"]
    too_big = await http.post("/api/v1/chat", json={"message": "x" * 5_000_000})
    assert too_big.status_code == 413 and "larger than" in too_big.json()["detail"]
    with psycopg.connect(database_url) as conn:
        after = conn.execute(
            "SELECT (SELECT count(*) FROM conversations), (SELECT count(*) FROM checkpoints), "
            "(SELECT title FROM conversations WHERE thread_id = %s)",
            (thread_id,),
        ).fetchone()
    assert after == before


async def test_operators_read_the_audit_log_and_stats(server, database_url, me):
    account, sdk, _http = me
    thread_id = await conversation(sdk, database_url, SEED[:2])
    admin = make_user(database_url, admin=True)
    async with httpx.AsyncClient(base_url=server.url, headers=admin.headers, timeout=60) as ops:
        entries = (await ops.get("/api/v1/audit", params={"target": thread_id})).json()
        assert {"run.started", "run.finished"} <= {e["action"] for e in entries["items"]}
        by_actor = (await ops.get("/api/v1/audit", params={"actor": account.id, "limit": 1})).json()
        assert len(by_actor["items"]) == 1 and by_actor["next_cursor"]
        older = (
            await ops.get(
                "/api/v1/audit",
                params={"actor": account.id, "limit": 1, "cursor": by_actor["next_cursor"]},
            )
        ).json()
        assert older["items"][0]["id"] < by_actor["items"][0]["id"]
        family = (await ops.get("/api/v1/audit", params={"action": "run.*"})).json()
        assert family["items"] and all(e["action"].startswith("run.") for e in family["items"])
        stats = (await ops.get("/stats", params={"top": 3})).json()
        assert stats["counts"]["conversations"] >= 1 and stats["counts"]["users"] >= 2
        top = stats["checkpoint_storage_top_threads"]
        assert [t["bytes"] for t in top] == sorted((t["bytes"] for t in top), reverse=True)
        with psycopg.connect(database_url) as conn:
            sizes = dict(
                conn.execute(
                    "SELECT thread_id, sum(s) FROM ("
                    " SELECT thread_id, pg_column_size(c.*) s FROM checkpoints c UNION ALL"
                    " SELECT thread_id, pg_column_size(b.*) FROM checkpoint_blobs b UNION ALL"
                    " SELECT thread_id, pg_column_size(w.*) FROM checkpoint_writes w"
                    ") t GROUP BY thread_id"
                ).fetchall()
            )
        assert len(top) == min(3, len(sizes)) and top[0]["bytes"] == max(sizes.values())
        assert all(sizes[t["thread_id"]] == t["bytes"] for t in top)
        assert all(t["checkpoints"] > 0 for t in top)
        assert {m["plugin"] for m in stats["mirror_lag"]} >= {"mirror"}
        assert "dead_letters" in stats["hook_failures"]
        assert (await ops.get("/stats", params={"top": 0})).status_code == 422
