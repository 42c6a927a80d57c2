"""The attacks of the security review, tried against the real `langgraph dev` server: each must
fail. The route-table test enumerates every route the running server exposes and probes each one
without credentials, so a server upgrade that adds a route cannot open a hole silently."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest

from server.gate import PUBLIC
from tests.accounts import make_user
from tests.integration.test_mirror import wait_for_mirror
from tests.server import LangGraphServer

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
NDA = {"messages": [{"role": "user", "content": "I need to draft an NDA"}]}


@pytest.fixture(scope="module")
def people(server):
    return {
        "alice": make_user(server.database_url),
        "bob": make_user(server.database_url),
        "admin": make_user(server.database_url, admin=True),
    }


def _probe_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


async def test_every_live_route_is_public_by_the_list_or_refuses_anonymous_callers(server, people):
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        table = await http.get("/adlaan/routes", headers=people["admin"].headers)
        assert table.status_code == 200, table.text
        routes = table.json()
        paths = {r["path"] for r in routes}
        # the live table holds the LangGraph API's and the development server's routes too
        assert {"/threads", "/runs/wait", "/store/items", "/metrics", "/info"} <= paths
        assert "/internal/truncate" in paths and "/deploy" in paths
        public = set()
        for route in routes:
            for method in route["methods"]:
                if method in ("HEAD", "OPTIONS"):
                    continue
                probe = "GET" if method == "WEBSOCKET" else method
                response = await http.request(probe, _probe_path(route["path"]))
                where = (method, route["path"], route["access"], response.status_code)
                assert "Traceback" not in response.text, where
                if route["access"] == "public":
                    public.add((method, route["path"]))
                    assert response.status_code != 401, where
                elif route["access"] == "blocked":
                    assert response.status_code == 404, where
                else:
                    assert response.status_code == 401, where
                    assert "authentication required" in response.json()["detail"], where
        # exactly the documented public list, and docs/security.md names every one
        assert public == set(PUBLIC)
        security = (ROOT / "docs" / "security.md").read_text()
        for method, path in PUBLIC:
            assert f"`{method} {path}`" in security, (method, path)
        # a user is not an administrator
        bob = people["bob"].headers
        assert (await http.get("/adlaan/routes", headers=bob)).status_code == 403
        assert (await http.get("/metrics", headers=bob)).status_code == 403
        assert (await http.get("/metrics", headers=people["admin"].headers)).status_code == 200
        assert (await http.get("/info", headers=bob)).status_code == 200


async def test_development_routes_are_unreachable_even_for_an_administrator(server, people):
    alice = people["alice"].client(server.url)
    thread = await alice.threads.create()
    admin = people["admin"].headers
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        for method, path in [
            ("POST", "/internal/truncate"),
            ("GET", f"/internal/debug/thread/{thread['thread_id']}"),
            ("GET", "/deploy"),
            ("POST", "/deploy"),
            ("GET", f"/deploy/{uuid.uuid4()}/stream"),
        ]:
            for headers in ({}, admin):
                response = await http.request(method, path, headers=headers, json={})
                assert response.status_code == 404, (method, path, response.text)
    assert (await alice.threads.get(thread["thread_id"]))["thread_id"] == thread["thread_id"]


async def test_a_thread_id_once_owned_by_alice_is_never_bobs(server, people, database_url):
    alice, bob = people["alice"].client(server.url), people["bob"].client(server.url)
    thread_id = (await alice.threads.create())["thread_id"]
    await alice.runs.wait(thread_id, "drafter", input=NDA)
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        bob_h = people["bob"].headers
        taken = await http.post("/threads", json={"thread_id": thread_id}, headers=bob_h)
        assert taken.status_code == 409, taken.text
        # Alice deletes it: the id stays reserved for her
        await alice.threads.delete(thread_id)
        again = await http.post("/threads", json={"thread_id": thread_id}, headers=bob_h)
        assert again.status_code == 409, again.text
        run = await http.post(
            f"/threads/{thread_id}/runs/wait",
            json={"assistant_id": "drafter", "input": NDA, "if_not_exists": "create"},
            headers=bob_h,
        )
        assert run.status_code == 404, run.text
        copied = await http.post(f"/threads/{thread_id}/copy", headers=bob_h)
        assert copied.status_code in (404, 409), copied.text
    mine = await alice.threads.create(thread_id=thread_id)
    assert mine["thread_id"] == thread_id
    with psycopg.connect(database_url) as conn:
        owner = conn.execute(
            "SELECT owner_id::text FROM resource_owners WHERE kind = 'thread' AND resource_id = %s",
            (thread_id,),
        ).fetchone()[0]
        denied = conn.execute(
            "SELECT count(*) FROM audit_logs WHERE action = 'access.denied' AND actor = %s "
            "AND target = %s",
            (people["bob"].id, thread_id),
        ).fetchone()[0]
    assert owner == people["alice"].id and denied >= 2
    assert thread_id not in {t["thread_id"] for t in await bob.threads.search(limit=100)}


async def test_ownership_outlives_the_servers_memory(database_url, tmp_path):
    """The runtime forgets everything (its pickles and our registry rows are gone): Bob still
    cannot take Alice's thread id, and Alice's checkpoints stay hers."""
    srv = LangGraphServer(database_url, tmp_path, extra_env={"HOOKS_ENABLED": "false"})
    srv.start()
    try:
        alice, bob = make_user(database_url), make_user(database_url)
        thread_id = (await alice.client(srv.url).threads.create())["thread_id"]
        await alice.client(srv.url).runs.wait(thread_id, "drafter", input=NDA)
        srv.stop()
        for path in (tmp_path / ".langgraph_api").glob("*"):
            path.unlink()
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("DELETE FROM api_registry WHERE key = %s", (thread_id,))
            conn.execute("DELETE FROM checkpoints WHERE thread_id = %s", (thread_id,))
        srv.start()
        async with httpx.AsyncClient(base_url=srv.url, timeout=60) as http:
            taken = await http.post("/threads", json={"thread_id": thread_id}, headers=bob.headers)
            assert taken.status_code == 409, taken.text
    finally:
        srv.stop()


async def test_studio_header_alone_grants_nothing(server):
    studio = {"x-auth-scheme": "langsmith"}
    async with httpx.AsyncClient(base_url=server.url, headers=studio, timeout=60) as http:
        assert (await http.post("/threads", json={})).status_code == 401
        assert (await http.post("/assistants/search", json={})).status_code == 401
        cron = await http.post(
            "/runs/crons", json={"assistant_id": "drafter", "schedule": "* * * * *"}
        )
        assert cron.status_code == 401


async def test_studio_trust_is_opt_in_loopback_only_and_a_user_of_its_own(
    database_url, tmp_path, people
):
    from server.settings import Settings

    with pytest.raises(ValueError, match="loopback"):
        Settings(STUDIO_TRUST_LOCAL="true").server_environment("0.0.0.0")
    srv = LangGraphServer(
        database_url,
        tmp_path,
        extra_env={
            "STUDIO_TRUST_LOCAL": "true",
            "CORS_ALLOW_ORIGINS": "https://smith.langchain.com",
            "HOOKS_ENABLED": "false",
        },
    )
    srv.start()
    try:
        alice_thread = (await srv.client(people["alice"]).threads.create())["thread_id"]
        studio = {"x-auth-scheme": "langsmith", "origin": "https://smith.langchain.com"}
        async with httpx.AsyncClient(base_url=srv.url, headers=studio, timeout=60) as http:
            created = await http.post("/threads", json={})
            assert created.status_code == 200, created.text
            assert created.headers["access-control-allow-origin"] == "https://smith.langchain.com"
            owner = created.json()["metadata"]["owner"]
            assert owner not in (people["alice"].id, "langgraph-studio-user")
            assert (await http.get(f"/threads/{alice_thread}")).status_code == 404
            assert (await http.get("/api/v1/conversations")).status_code == 200
        assert "act as studio@langgraph.localhost" in srv.log_path.read_text(errors="replace")
    finally:
        srv.stop()


async def test_cors_allows_no_origin_by_default(server, people):
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        evil = {"origin": "https://evil.example"}
        simple = await http.get("/auth/me", headers={**evil, **people["alice"].headers})
        assert simple.status_code == 200
        assert "access-control-allow-origin" not in simple.headers
        preflight = await http.options(
            "/threads",
            headers={**evil, "access-control-request-method": "POST"},
        )
        assert "access-control-allow-origin" not in preflight.headers


async def test_no_user_made_assistant_is_shared(server, people):
    alice, bob = people["alice"].client(server.url), people["bob"].client(server.url)
    fake = await bob.assistants.create(
        "drafter", name="looks official", metadata={"created_by": "system", "owner": "x"}
    )
    assert fake["metadata"]["created_by"] == people["bob"].id
    assert fake["metadata"]["owner"] == people["bob"].id
    updated = await bob.assistants.update(fake["assistant_id"], metadata={"created_by": "system"})
    assert updated["metadata"]["created_by"] == people["bob"].id
    seen = {a["assistant_id"] for a in await alice.assistants.search(limit=100)}
    assert fake["assistant_id"] not in seen
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        got = await http.get(f"/assistants/{fake['assistant_id']}", headers=people["alice"].headers)
        assert got.status_code == 404
        thread = (await alice.threads.create())["thread_id"]
        run = await http.post(
            f"/threads/{thread}/runs/wait",
            json={"assistant_id": fake["assistant_id"], "input": NDA},
            headers=people["alice"].headers,
        )
        assert run.status_code == 404, run.text
    # the graphs' own default assistant stays shared
    assert any(a["graph_id"] == "drafter" for a in await alice.assistants.search(limit=100))


async def test_the_audit_actor_is_the_principal_never_the_metadata(server, people, database_url):
    alice = people["alice"].client(server.url)
    thread_id = (await alice.threads.create(metadata={"user_id": "forged"}))["thread_id"]
    await alice.runs.wait(thread_id, "drafter", input=NDA, metadata={"user_id": "forged"})
    await alice.threads.update_state(thread_id, {"messages": []})
    wait_for_mirror(database_url)
    with psycopg.connect(database_url) as conn:
        actors = conn.execute(
            "SELECT action, actor FROM audit_logs WHERE target = %s", (thread_id,)
        ).fetchall()
    actions = {action for action, _ in actors}
    assert {"run.started", "run.finished", "state.updated"} <= actions, actors
    assert {actor for _, actor in actors} == {people["alice"].id}, actors


def _raw_post(url: str, path: str, headers: dict[str, str], chunks, pause: float = 0.0):
    """POST over a plain socket, sending ``chunks`` until the server answers (it may answer
    before the body is sent, and close); the status line and the body of the answer."""
    import select
    import socket
    import time

    host, port = url.removeprefix("http://").split(":")
    head = f"POST {path} HTTP/1.1\r\nhost: {host}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()
    )
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall((head + "\r\n").encode())
        answer = b""
        for chunk in chunks:
            if select.select([sock], [], [], pause)[0]:
                break
            try:
                sock.sendall(chunk)
            except OSError:
                break
        deadline = time.monotonic() + 30
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            if time.monotonic() > deadline:
                break
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    status = int(answer.split(b" ", 2)[1]) if answer else None
    return status, answer.partition(b"\r\n\r\n")[2].decode(errors="replace")


def _chunked(total: int, size: int = 256 * 1024):
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        yield f"{n:x}\r\n".encode() + b" " * n + b"\r\n"
        sent += n
    yield b"0\r\n\r\n"


async def test_auth_runs_before_the_body_is_read(server, people):
    alice = people["alice"].headers
    declared = {"content-type": "application/json", "content-length": "300000000"}
    # anonymous: refused before a byte of a 300 MB body is read
    status, body = _raw_post(server.url, "/threads", declared, iter([b"{}"]), pause=5)
    assert status == 401, body
    chunked = {"content-type": "application/json", "transfer-encoding": "chunked"}
    status, body = _raw_post(server.url, "/threads", chunked, _chunked(300 << 20), pause=0.01)
    assert status == 401, body
    # authenticated: a declared size over the limit is refused before reading, and a body
    # with no declared size is cut off while it streams in
    status, body = _raw_post(server.url, "/threads/search", {**declared, **alice}, [b"{}"], 5)
    assert status == 413 and "larger than" in body, body
    status, body = _raw_post(
        server.url, "/threads/search", {**chunked, **alice}, _chunked(64 << 20), 0.01
    )
    assert status == 413 and "larger than" in body, body
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        deep = b"[" * 100_000 + b"]" * 100_000
        anonymous = await http.post("/threads/search", content=deep)
        assert anonymous.status_code == 401
        refused = await http.post("/threads/search", content=deep, headers=alice)
        assert refused.status_code == 400 and "deeper than" in refused.json()["detail"]
        # depth is structure, not text: brackets inside strings do not count
        text = await http.post(
            "/threads/search", json={"metadata": {"note": "[" * 5000}}, headers=alice
        )
        assert text.status_code == 200, text.text
        # a public route's body limit is small: its caller is unknown
        login = await http.post("/auth/login", json={"email": "a@b.co", "password": "x" * 40_000})
        assert login.status_code == 413


async def test_unknown_and_not_yours_answer_the_same(server, people):
    alice = people["alice"].client(server.url)
    thread_id = (await alice.threads.create())["thread_id"]
    await alice.runs.wait(thread_id, "drafter", input=NDA)
    checkpoint = (await alice.threads.get_state(thread_id))["checkpoint"]["checkpoint_id"]
    unknown_thread = str(uuid.uuid4())
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        # anonymous: 401 whether the checkpoint exists or not
        for cp in (checkpoint, str(uuid.uuid4())):
            assert (await http.get(f"/threads/{thread_id}/state/{cp}")).status_code == 401
        # Bob: Alice's thread answers like a thread that does not exist
        bob = people["bob"].headers

        async def shape(thread: str, cp: str):
            response = await http.get(f"/threads/{thread}/state/{cp}", headers=bob)
            return response.status_code, response.json()["detail"].replace(thread, "<id>")

        foreign = await shape(thread_id, checkpoint)
        missing = await shape(unknown_thread, checkpoint)
        assert foreign == missing and foreign[0] == 404
        get_foreign = await http.get(f"/threads/{thread_id}", headers=bob)
        get_missing = await http.get(f"/threads/{unknown_thread}", headers=bob)
        assert get_foreign.status_code == get_missing.status_code == 404
        assert get_foreign.json()["detail"].replace(thread_id, "<id>") == get_missing.json()[
            "detail"
        ].replace(unknown_thread, "<id>")


async def test_refused_requests_cannot_flood_the_audit_log_or_forge_the_client(
    server, database_url
):
    with psycopg.connect(database_url) as conn:
        before = conn.execute(
            "SELECT count(*) FROM audit_logs WHERE action = 'auth.denied'"
        ).fetchone()[0]
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        for i in range(260):
            response = await http.get(
                "/threads/search",
                headers={
                    "authorization": f"Bearer adlk_bad{i}",
                    "x-forwarded-for": f"203.0.113.{i % 250}",
                },
            )
            assert response.status_code == 401
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT details->>'client' FROM audit_logs WHERE action = 'auth.denied' "
            "ORDER BY id DESC LIMIT %s",
            (max(1, 0),),
        ).fetchall()
        after = conn.execute(
            "SELECT count(*) FROM audit_logs WHERE action = 'auth.denied'"
        ).fetchone()[0]
    assert after - before <= 2  # one per client, reason and minute (a minute may turn)
    assert rows and rows[0][0] == "127.0.0.1"
