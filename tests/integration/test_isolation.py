"""Two users on one real server: neither can see, read, run on, branch, copy or delete the
other's threads, assistants or store items, through `langgraph_sdk` or the Adlaan routes."""

from __future__ import annotations

import contextlib

import httpx
import psycopg
import pytest

from tests.accounts import make_user
from tests.integration.test_mirror import wait_for_mirror

pytestmark = pytest.mark.integration
SEED = ["I need to draft an NDA", "Make it for California jurisdiction", "Add a 2-year term"]


def user(text):
    return {"messages": [{"role": "user", "content": text}]}


@contextlib.asynccontextmanager
async def denied(*statuses: int):
    """The call must fail as if the thing did not exist (404) or was forbidden (403)."""
    try:
        yield
    except httpx.HTTPStatusError as error:
        assert error.response.status_code in (statuses or (403, 404)), error.response.text
    else:
        raise AssertionError("the other user's call succeeded")


@pytest.fixture(scope="module")
async def world(server):
    """Alice with a three-turn conversation, an assistant and a store item; Bob with nothing."""
    alice, bob = make_user(server.database_url), make_user(server.database_url)
    a = alice.client(server.url)
    thread_id = (await a.threads.create(metadata={"matter": "acme"}))["thread_id"]
    for text in SEED:
        await a.runs.wait(thread_id, "drafter", input=user(text))
    assistant = await a.assistants.create("drafter", name="alice's drafter")
    await a.store.put_item((alice.id, "notes"), "k1", {"secret": "alice"})
    wait_for_mirror(server.database_url)
    state = await a.threads.get_state(thread_id)
    history = await a.threads.get_history(thread_id, limit=100)
    runs = await a.runs.list(thread_id)
    return {
        "alice": alice,
        "bob": bob,
        "thread_id": thread_id,
        "assistant_id": assistant["assistant_id"],
        "state": state,
        "history": history,
        "run_id": runs[0]["run_id"],
    }


async def test_threads_of_another_user_do_not_exist_for_bob(server, world):
    b = world["bob"].client(server.url)
    thread_id, checkpoint = world["thread_id"], world["history"][-3]["checkpoint"]
    async with denied():
        await b.threads.get(thread_id)
    async with denied():
        await b.threads.get_state(thread_id)
    async with denied():
        await b.threads.get_state(thread_id, checkpoint_id=checkpoint["checkpoint_id"])
    async with denied():
        await b.threads.get_history(thread_id)
    async with denied():
        await b.threads.update(thread_id, metadata={"matter": "stolen"})
    async with denied():
        await b.threads.update_state(thread_id, {"messages": [{"role": "user", "content": "x"}]})
    async with denied(409):  # what the API answers for copying a thread that does not exist
        await b.threads.copy(thread_id)
    async with denied(409):
        await b.threads.copy("00000000-0000-0000-0000-000000000000")
    async with denied():
        await b.threads.delete(thread_id)
    assert thread_id not in {t["thread_id"] for t in await b.threads.search(limit=100)}
    assert await b.threads.search(metadata={"matter": "acme"}) == []
    assert await b.threads.search(metadata={"owner": world["alice"].id}) == []
    assert await b.threads.count() == 0


async def test_bob_cannot_run_on_branch_from_or_read_runs_of_alices_thread(server, world):
    b = world["bob"].client(server.url)
    thread_id, run_id = world["thread_id"], world["run_id"]
    checkpoint_id = world["history"][-3]["checkpoint"]["checkpoint_id"]
    async with denied():
        await b.runs.wait(thread_id, "drafter", input=user("Make it for Texas jurisdiction"))
    async with denied():
        await b.runs.create(thread_id, "drafter", input=user("Make it for Texas"))
    async with denied():  # branching from one of her checkpoints
        await b.runs.wait(thread_id, "drafter", input=user("Texas"), checkpoint_id=checkpoint_id)
    async with denied():  # replaying one of her turns
        await b.runs.wait(thread_id, "drafter", input=None, checkpoint_id=checkpoint_id)
    async with denied():
        await b.runs.get(thread_id, run_id)
    async with denied():
        await b.runs.cancel(thread_id, run_id)
    async with denied():
        await b.runs.join(thread_id, run_id)
    async with denied(404):  # what an unknown thread id gets
        await b.runs.list(thread_id)


async def test_assistants_and_store_are_scoped(server, world):
    b = world["bob"].client(server.url)
    alice_assistant = world["assistant_id"]
    async with denied():
        await b.assistants.get(alice_assistant)
    async with denied():
        await b.assistants.update(alice_assistant, name="mine now")
    async with denied():
        await b.assistants.delete(alice_assistant)
    async with denied():
        await b.assistants.get_graph(alice_assistant)
    async with denied():
        await b.assistants.get_schemas(alice_assistant)
    async with denied():
        await b.assistants.get_versions(alice_assistant)
    async with denied():
        await b.assistants.set_latest(alice_assistant, 1)
    listed = {a["assistant_id"] for a in await b.assistants.search(limit=100)}
    assert alice_assistant not in listed
    assert any(a["graph_id"] == "drafter" for a in await b.assistants.search(graph_id="drafter"))
    alice_ns = (world["alice"].id, "notes")
    async with denied():
        await b.store.get_item(alice_ns, "k1")
    async with denied():
        await b.store.put_item(alice_ns, "k1", {"secret": "bob"})
    async with denied():
        await b.store.delete_item(alice_ns, "k1")
    async with denied():
        await b.store.search_items(alice_ns)
    assert (await b.store.search_items(()))["items"] == []
    async with denied():
        await b.store.list_namespaces(prefix=[world["alice"].id])
    assert all(ns[0] == world["bob"].id for ns in (await b.store.list_namespaces())["namespaces"])
    # Bob's own namespace works
    await b.store.put_item((world["bob"].id, "notes"), "k", {"v": 1})
    assert (await b.store.get_item((world["bob"].id, "notes"), "k"))["value"] == {"v": 1}


async def test_alices_world_is_untouched_after_bobs_attempts(server, world, database_url):
    # runs after the attempts above (module order): nothing of Alice's changed
    a = world["alice"].client(server.url)
    thread = await a.threads.get(world["thread_id"])
    assert thread["metadata"]["matter"] == "acme"
    assert thread["metadata"]["owner"] == world["alice"].id
    state = await a.threads.get_state(world["thread_id"])
    assert state["checkpoint"] == world["state"]["checkpoint"]
    assert state["values"] == world["state"]["values"]
    assert (await a.store.get_item((world["alice"].id, "notes"), "k1"))["value"] == {
        "secret": "alice"
    }
    assert (await a.assistants.get(world["assistant_id"]))["name"] == "alice's drafter"
    with psycopg.connect(database_url) as conn:
        operations = {
            r[0]
            for r in conn.execute(
                "SELECT details->>'operation' FROM audit_logs WHERE action = 'access.denied' "
                "AND actor = %s AND target = %s",
                (world["bob"].id, world["thread_id"]),
            )
        }
    assert {"read", "update", "delete", "create_run"} <= operations, operations


async def test_bobs_own_thread_is_his_and_metadata_cannot_name_another_owner(server, world):
    b = world["bob"].client(server.url)
    thread = await b.threads.create(metadata={"owner": world["alice"].id})
    assert thread["metadata"]["owner"] == world["bob"].id
    await b.runs.wait(thread["thread_id"], "drafter", input=user("I need to draft an NDA"))
    a = world["alice"].client(server.url)
    async with denied():
        await a.threads.get(thread["thread_id"])
    # Alice cannot hand her thread to Bob either: the owner stays hers
    updated = await a.threads.update(world["thread_id"], metadata={"owner": world["bob"].id})
    assert updated["metadata"]["owner"] == world["alice"].id


ROUTES = [
    ("GET", "/api/v1/conversations/{t}", None),
    ("PATCH", "/api/v1/conversations/{t}", {"title": "mine"}),
    ("POST", "/api/v1/conversations/{t}/archive", None),
    ("POST", "/api/v1/conversations/{t}/unarchive", None),
    ("GET", "/api/v1/conversations/{t}/messages", None),
    ("GET", "/api/v1/conversations/{t}/messages?branches=all", None),
    ("GET", "/api/v1/conversations/{t}/documents", None),
    ("GET", "/api/v1/documents/{d}", None),
    ("GET", "/api/v1/documents/{d}/citations", None),
    ("GET", "/api/v1/documents/{d}/diff?against={d}", None),
    ("GET", "/api/v1/documents/{d}/download?format=docx", None),
    ("GET", "/api/v1/documents/{d}/download?format=md", None),
    ("POST", "/api/v1/chat", {"message": "Add a 3-year term", "thread_id": "{t}"}),
    ("DELETE", "/api/v1/conversations/{t}", None),
]


def _fill(value, thread_id, document_id):
    if isinstance(value, str):
        return value.replace("{t}", thread_id).replace("{d}", str(document_id))
    if isinstance(value, dict):
        return {k: _fill(v, thread_id, document_id) for k, v in value.items()}
    return value


async def test_every_custom_route_hides_alices_things_from_bob(server, world, database_url):
    thread_id = world["thread_id"]
    with psycopg.connect(database_url) as conn:
        document_id = conn.execute(
            "SELECT d.id FROM documents d JOIN conversations c ON c.id = d.conversation_id "
            "WHERE c.thread_id = %s ORDER BY d.version DESC LIMIT 1",
            (thread_id,),
        ).fetchone()[0]
        before = conn.execute(
            "SELECT title, status FROM conversations WHERE thread_id = %s", (thread_id,)
        ).fetchone()
        started = conn.execute("SELECT now()").fetchone()[0]
    async with (
        httpx.AsyncClient(base_url=server.url, headers=world["bob"].headers, timeout=60) as bob,
        httpx.AsyncClient(base_url=server.url, headers=world["alice"].headers, timeout=60) as alice,
        httpx.AsyncClient(base_url=server.url, timeout=60) as nobody,
    ):
        for method, path, body in ROUTES:
            url, payload = _fill(path, thread_id, document_id), _fill(body, thread_id, document_id)
            response = await bob.request(method, url, json=payload)
            assert response.status_code == 404, (method, url, response.text)
            assert thread_id not in response.text or "not found" in response.text
            response = await nobody.request(method, url, json=payload)
            assert response.status_code == 401, (method, url, response.text)
        # what Bob cannot see, Alice can
        assert (await alice.get(f"/api/v1/conversations/{thread_id}")).status_code == 200
        assert (await alice.get(f"/api/v1/documents/{document_id}")).status_code == 200
        listing = (await bob.get("/api/v1/conversations", params={"status": "all"})).json()
        assert thread_id not in {c["thread_id"] for c in listing["items"]}
        hits = (await bob.get("/api/v1/search", params={"q": "California jurisdiction"})).json()
        assert all(h["thread_id"] != thread_id for h in hits)
        hits = (await alice.get("/api/v1/search", params={"q": "California jurisdiction"})).json()
        assert any(h["thread_id"] == thread_id for h in hits)
        # prune through the API skips threads that are not the caller's
        pruned = await bob.post(
            "/threads/prune", json={"thread_ids": [thread_id], "strategy": "delete"}
        )
        assert pruned.status_code == 200 and pruned.json() == {"pruned_count": 0}
        for path in ("/stats", "/api/v1/audit"):
            assert (await bob.get(path)).status_code == 403
        assert (await bob.post("/adlaan/registry/restore")).status_code == 403
    with psycopg.connect(database_url) as conn:
        after = conn.execute(
            "SELECT title, status FROM conversations WHERE thread_id = %s", (thread_id,)
        ).fetchone()
        denied_entries = conn.execute(
            "SELECT count(*) FROM audit_logs WHERE actor = %s AND action = 'access.denied'",
            (world["bob"].id,),
        ).fetchone()[0]
        unauthenticated, recent = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE created_at > %s) FROM audit_logs "
            "WHERE action = 'auth.denied' AND details->>'reason' = 'no credentials'",
            (started,),
        ).fetchone()
    assert after == before, "nothing of Alice's changed"
    assert denied_entries >= len(ROUTES)
    # audited, but one entry per client, reason and minute: a flood cannot grow the log
    assert unauthenticated >= 1 and recent <= 2
    a = world["alice"].client(server.url)
    assert (await a.threads.get_state(thread_id))["values"] == world["state"]["values"]
