"""Two real `adlaan serve` processes on one empty database and one Redis are one service.

They start together (the migrations do not race); a run created through one is joined,
streamed, read and cancelled through the other; users stay isolated and the mirror writes
messages and run events as on `langgraph dev`; an administrator assigns threads; the retention
sweep bounds the runtime's finished runs; what Studio calls (assistants, graph, schemas, state,
history, update_state, a stream that stops at a question, its resume), rollback and webhooks
work across the two; a SIGTERMed process finishes its run before it
exits; a SIGKILLed process's run is taken over by the other within 30 s with the default
settings (docs/serving.md).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest

from server.cli_errors import ExitCode
from server.runtime import pg
from store.repositories import runtime_tables
from tests.accounts import make_user
from tests.conftest import _database
from tests.integration.helpers import cut_connections
from tests.integration.test_mirror import wait_for_mirror
from tests.serve import ServeServer, redis_url, skip_reason

REDIS = redis_url(int(os.environ.get("TEST_REDIS_DB", "9")))
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(bool(skip_reason(REDIS)), reason=skip_reason(REDIS) or ""),
]
#: The longest a dead process's run may wait for another (issue 14), with default settings.
TAKEOVER_SECONDS = 30
#: langgraph-api refuses loopback webhook URLs unless langgraph.json allows them; the test's
#: receiver listens on 127.0.0.1
LOOPBACK_WEBHOOKS = {"webhooks": {"url": {"disable_loopback": False, "require_https": False}}}


def user(text):
    return {"messages": [{"role": "user", "content": text}]}


@pytest.fixture(scope="module")
def service(admin_url, tmp_path_factory):
    """Two `adlaan serve` processes started at the same moment on an empty database."""
    with _database(admin_url, "adlaan_serve") as url:
        env = {"LOGIN_MAX_ATTEMPTS_PER_CLIENT": "100000"}
        a = ServeServer(
            url, tmp_path_factory.mktemp("serve_a"), REDIS, env, config=LOOPBACK_WEBHOOKS
        )
        b = ServeServer(
            url, tmp_path_factory.mktemp("serve_b"), REDIS, env, config=LOOPBACK_WEBHOOKS
        )
        try:
            a.launch()
            b.launch()
            a.wait_ready()
            b.wait_ready()
            a.user = b.user = make_user(url)
            yield a, b
        finally:
            a.stop()
            b.stop()


def rows(url, statement, *params):
    with psycopg.connect(url) as conn:
        return conn.execute(statement, params).fetchall()


def run_status(url, run_id) -> str | None:
    found = rows(url, "SELECT status FROM runs WHERE run_id = %s", run_id)
    return found[0][0] if found else None


def wait_status(url, run_id, wanted, timeout) -> float:
    """Seconds until the run has one of the ``wanted`` statuses."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if run_status(url, run_id) in wanted:
            return time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} is {run_status(url, run_id)}, not {wanted}")


def wait_until(ready, timeout: float, what: str, step: float = 0.05) -> None:
    """Poll ``ready()`` until it is true; fails with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, what
        time.sleep(step)


def running_on(servers, run_id, timeout=10.0):
    """The server whose worker runs ``run_id`` (its worker logs the run when it starts it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [
            s
            for s in servers
            for line in s.log_path.read_text(errors="replace").splitlines()
            if "Starting background run" in line and str(run_id) in line
        ]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no server logged run {run_id}")


def test_serve_without_redis_is_refused_before_anything_starts(tmp_path):
    adlaan = str(Path(sys.executable).parent / "adlaan")
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["ADLAAN_ENV_FILE"] = str(tmp_path / "empty.env")
    (tmp_path / "empty.env").write_text("")
    no_redis = subprocess.run([adlaan, "serve"], env=env, capture_output=True, text=True)
    assert no_redis.returncode == ExitCode.CONFIG, no_redis.stderr
    assert "REDIS_URL is not set" in no_redis.stderr


def test_concurrent_start_on_an_empty_database_migrates_once(service):
    a, _ = service
    # each schema at its head, in its own version table: ours, the runtime's
    assert len(rows(a.database_url, "SELECT version_num FROM alembic_version")) == 1
    assert pg.runtime_revision(a.database_url) == "001_initial"
    assert rows(a.database_url, "SELECT count(*) FROM langgraph_runtime_pg_version") == [(1,)]
    # the run-event trigger: made once, and a start that finds it current leaves runs alone
    trigger = "SELECT count(*) FROM pg_trigger WHERE tgname = 'runs_hook_event'"
    assert rows(a.database_url, trigger) == [(1,)]
    with psycopg.connect(a.database_url, autocommit=True) as conn:
        assert runtime_tables.install_run_events(conn) is False
        conn.execute("COMMENT ON TRIGGER runs_hook_event ON runs IS 'an older definition'")
        assert runtime_tables.install_run_events(conn) is True  # replaced
    assert rows(a.database_url, trigger) == [(1,)]
    for server in service:
        assert "Application startup failed" not in server.log()
        assert httpx.get(f"{server.url}/adlaan/health").json()["status"] == "ok"


async def test_a_run_made_on_one_process_is_joined_read_and_streamed_on_the_other(service):
    a, b = service
    on_a, on_b = a.client(), b.client()
    thread_id = (await on_a.threads.create())["thread_id"]
    run = await on_a.runs.create(thread_id, "drafter", input=user("I need to draft an NDA"))
    joined = await on_b.runs.join(thread_id, run["run_id"])
    assert joined.get("messages", [{}])[-1].get("type") == "ai", joined
    assert (await on_b.runs.get(thread_id, run["run_id"]))["status"] == "success"
    state = await on_b.threads.get_state(thread_id)
    assert state["values"]["messages"][0]["content"] == "I need to draft an NDA"

    slow = await on_a.threads.create()
    run = await on_a.runs.create(slow["thread_id"], "slow", input=user("go"))
    events = [part.event async for part in on_b.runs.join_stream(slow["thread_id"], run["run_id"])]
    assert "values" in events or "updates" in events, events
    assert (await on_b.runs.get(slow["thread_id"], run["run_id"]))["status"] == "success"


async def test_a_run_made_on_one_process_is_cancelled_through_the_other(service):
    a, b = service
    thread_id = (await a.client().threads.create())["thread_id"]
    run = await a.client().runs.create(thread_id, "slow", input=user("go"))
    wait_status(a.database_url, run["run_id"], {"running"}, 10)
    await b.client().runs.cancel(thread_id, run["run_id"], wait=True)
    assert (await a.client().runs.get(thread_id, run["run_id"]))["status"] == "interrupted"
    # one run event however many times the run's status is written after it ended
    assert [e["status"] for e in run_events(a.database_url, run["run_id"])] == ["interrupted"]


def run_events(url, run_id) -> list[dict]:
    """The payloads of the outbox's run events for ``run_id``, in order."""
    found = rows(
        url,
        "SELECT payload FROM hook_events WHERE kind = 'run' AND run_id = %s ORDER BY id",
        run_id,
    )
    return [payload for (payload,) in found]


async def test_a_finished_run_enters_the_outbox_and_the_audit_trail_as_on_dev(service):
    a, b = service
    client = a.client()
    thread_id = (await client.threads.create())["thread_id"]
    run = await client.runs.create(thread_id, "drafter", input=user("I need to draft an NDA"))
    await b.client().runs.join(thread_id, run["run_id"])
    wait_for_mirror(a.database_url)
    # the row the dev server's registry writes (server/registry.py _run_ended), once
    (event,) = run_events(a.database_url, run["run_id"])
    assert set(event) == {"status", "assistant_id", "metadata"}
    assert event["status"] == "success"
    assert event["assistant_id"] == run["assistant_id"]
    assert event["metadata"]["owner"] == a.user.id
    # ... which the mirror turns into the same audit entry, by the same actor
    audited = rows(
        a.database_url,
        "SELECT actor, details FROM audit_logs WHERE action = 'run.finished' AND target = %s",
        thread_id,
    )
    assert audited == [
        (
            a.user.id,
            {"run_id": run["run_id"], "status": "success", "assistant_id": run["assistant_id"]},
        )
    ]


async def test_users_are_isolated_and_crons_belong_to_their_creator(service):
    a, b = service
    alice, bob = a.user, make_user(a.database_url)
    thread_id = (await alice.client(a.url).threads.create())["thread_id"]
    await alice.client(a.url).runs.wait(thread_id, "drafter", input=user("Draft an NDA"))
    with pytest.raises(httpx.HTTPStatusError) as refused:
        await bob.client(b.url).threads.get(thread_id)
    assert refused.value.response.status_code == 404
    assert await bob.client(b.url).threads.search() == []
    with pytest.raises(httpx.HTTPStatusError):
        await bob.client(b.url).runs.create(thread_id, "drafter", input=user("mine now"))

    cron = await alice.client(a.url).crons.create_for_thread(
        thread_id, "drafter", schedule="0 3 * * *", input=user("weekly")
    )
    cron_id = cron["cron_id"]
    # the creator can change it through the other process (end_time null: clear_end_time)
    async with httpx.AsyncClient() as http:
        patched = await http.patch(
            f"{b.url}/runs/crons/{cron_id}", headers=alice.headers, json={"end_time": None}
        )
        denied = await http.patch(
            f"{a.url}/runs/crons/{cron_id}", headers=bob.headers, json={"enabled": False}
        )
    assert patched.status_code == 200, patched.text
    assert [c["cron_id"] for c in await alice.client(b.url).crons.search()] == [cron_id]
    assert await bob.client(a.url).crons.search() == []
    assert denied.status_code == 404
    await alice.client(a.url).crons.delete(cron_id)


def mirrored_messages(url, thread_id) -> list[str]:
    """The mirror's messages of ``thread_id``, in order."""
    found = rows(
        url,
        "SELECT m.content FROM messages m JOIN conversations c ON c.id = m.conversation_id "
        "WHERE c.thread_id = %s ORDER BY m.position",
        thread_id,
    )
    return [content for (content,) in found]


async def test_the_chat_route_s_turn_is_mirrored_and_listed_on_the_other_process(service):
    a, b = service
    async with httpx.AsyncClient(headers=a.headers, timeout=30) as http:
        chat = await http.post(f"{a.url}/api/v1/chat", json={"message": "I need to draft an NDA"})
        assert chat.status_code == 200, chat.text
        thread_id = chat.json()["thread_id"]
        wait_for_mirror(a.database_url)
        listed = await http.get(f"{b.url}/api/v1/conversations")
    contents = mirrored_messages(a.database_url, thread_id)
    assert contents and contents[0] == "I need to draft an NDA"
    assert thread_id in listed.text


async def test_prune_and_conversation_deletion_go_through_the_runtime(service):
    a, b = service
    client = a.client()
    kept, pruned, deleted = [(await client.threads.create())["thread_id"] for _ in range(3)]
    for thread_id in (kept, pruned, deleted):
        await client.runs.wait(thread_id, "drafter", input=user("I need to draft an NDA"))
        await client.runs.wait(thread_id, "drafter", input=user("Make it for California"))
    wait_for_mirror(a.database_url)
    count = "SELECT count(*) FROM checkpoints WHERE thread_id = %s"
    before = rows(a.database_url, count, kept)[0][0]
    async with httpx.AsyncClient(headers=a.headers, timeout=30) as http:
        latest = await http.post(
            f"{b.url}/threads/prune", json={"thread_ids": [kept], "strategy": "keep_latest"}
        )
        gone = await http.post(f"{b.url}/threads/prune", json={"thread_ids": [pruned]})
        removed = await http.delete(f"{b.url}/api/v1/conversations/{deleted}")
    assert latest.json() == {"pruned_count": 1}, latest.text
    assert gone.json() == {"pruned_count": 1}, gone.text
    assert removed.status_code == 204, removed.text
    assert 1 <= rows(a.database_url, count, kept)[0][0] < before
    assert (await a.client().threads.get_state(kept))["values"]["messages"]
    for thread_id in (pruned, deleted):
        with pytest.raises(httpx.HTTPStatusError) as missing:
            await a.client().threads.get(thread_id)
        assert missing.value.response.status_code == 404
    assert rows(a.database_url, "SELECT count(*) FROM runs WHERE thread_id = %s", pruned) == [(0,)]


async def test_an_administrator_assigns_threads_and_sees_stats_on_either_process(service):
    a, b = service
    alice, bob, admin = a.user, make_user(a.database_url), make_user(a.database_url, admin=True)
    thread_id = (await alice.client(a.url).threads.create())["thread_id"]
    await alice.client(a.url).runs.wait(thread_id, "drafter", input=user("Draft an NDA"))
    wait_for_mirror(a.database_url)
    orphan = str(uuid.uuid4())  # a thread from before authentication: no owner
    with psycopg.connect(a.database_url) as conn:
        conn.execute(
            "INSERT INTO threads (thread_id, status, metadata) VALUES (%s, 'idle', '{}')", (orphan,)
        )
    async with httpx.AsyncClient(base_url=b.url, headers=admin.headers) as http:
        unknown = await http.post(
            "/adlaan/threads/assign",
            json={"owner_email": bob.email, "thread_ids": [thread_id, str(uuid.uuid4())]},
        )
        assert unknown.status_code == 404, unknown.text  # and nothing changed:
        assert (await alice.client(a.url).threads.get(thread_id))["thread_id"] == thread_id
        assigned = await http.post(
            "/adlaan/threads/assign",
            json={"owner_email": bob.email, "thread_ids": [thread_id], "unowned": True},
        )
        restored = await http.post("/adlaan/registry/restore")
        stats = (await http.get("/stats")).json()
    assert assigned.json() == {"assigned": 2}, assigned.text
    for got in (thread_id, orphan):
        assert (await bob.client(a.url).threads.get(got))["metadata"]["owner"] == bob.id
    with pytest.raises(httpx.HTTPStatusError) as refused:
        await alice.client(a.url).threads.get(thread_id)
    assert refused.value.response.status_code == 404
    owned = "SELECT resource_id FROM resource_owners WHERE kind = 'thread' AND owner_id = %s"
    assert {r[0] for r in rows(a.database_url, owned, bob.id)} == {thread_id, orphan}
    mirrored = "SELECT owner_id::text FROM conversations WHERE thread_id = %s"
    assert rows(a.database_url, mirrored, thread_id) == [(bob.id,)]
    audited = "SELECT count(*) FROM audit_logs WHERE action = 'thread.assigned' AND actor = %s"
    assert rows(a.database_url, audited, admin.id) == [(2,)]
    # GET /stats counts the runtime's threads and sizes its tables
    assert stats["counts"]["threads"] == rows(a.database_url, "SELECT count(*) FROM threads")[0][0]
    assert {"threads", "runs"} <= set(stats["table_bytes"])
    # the dev server's registry has no counterpart here
    assert restored.status_code == 409, restored.text
    assert "adlaan serve" in restored.json()["detail"]


async def test_the_sweep_bounds_the_runtime_s_finished_runs_and_retry_counters(service):
    from server.retention import sweep_tables
    from server.settings import Settings
    from store.db import make_async_pool

    a, _ = service
    client = a.client()
    thread_id = (await client.threads.create())["thread_id"]
    old, recent = [
        await client.runs.create(
            thread_id, "drafter", input=user(text), multitask_strategy="enqueue"
        )
        for text in ("I need to draft an NDA", "Make it for California")
    ]
    await client.runs.join(thread_id, recent["run_id"])
    orphan = str(uuid.uuid4())  # a retry counter whose run is gone
    with psycopg.connect(a.database_url) as conn:
        conn.execute(
            "UPDATE runs SET updated_at = now() - interval '8 days' WHERE run_id = %s",
            (old["run_id"],),
        )
        conn.execute("INSERT INTO retry_counters (run_id, count) VALUES (%s, 1)", (orphan,))
    counters = "SELECT run_id::text FROM retry_counters WHERE run_id::text = ANY(%s)"
    watched = [old["run_id"], recent["run_id"], orphan]
    before = {r[0] for r in rows(a.database_url, counters, watched)}
    assert {old["run_id"], orphan} <= before  # the worker counts each run it claims

    pool = make_async_pool(a.database_url, max_size=2)
    await pool.open(wait=True)
    try:
        settings = Settings(HOOK_EVENTS_RETENTION="never", RUNS_RETENTION="7d")
        dry = await sweep_tables(pool, settings, dry_run=True)
        assert {r[0] for r in rows(a.database_url, counters, watched)} == before
        swept = await sweep_tables(pool, settings)
    finally:
        await pool.close()
    assert dry.counts["runs"] == swept.counts["runs"] == 1
    assert swept.counts["retry_counters"] >= 1
    assert {r[0] for r in rows(a.database_url, counters, watched)} == before - {
        old["run_id"],
        orphan,
    }
    assert [r["run_id"] for r in await client.runs.list(thread_id)] == [recent["run_id"]]
    assert (await client.threads.get_state(thread_id))["values"]["messages"]


# -- what Studio calls, rollback and webhooks, across the two processes ----------------------
TWO_LAWS = (
    "Draft an NDA between Acme Inc. and Jane Doe (an individual) under California or Delaware law"
)


async def test_studio_s_calls_work_across_the_two_processes(service):
    a, b = service
    on_a, on_b = a.client(), b.client()
    # the graph picker and its drawing: assistants search, graph, schemas
    (assistant,) = [x for x in await on_b.assistants.search() if x["graph_id"] == "drafter"]
    drawing = await on_a.assistants.get_graph(assistant["assistant_id"], xray=True)
    assert {"nodes", "edges"} <= set(drawing) and drawing["nodes"]
    schemas = await on_b.assistants.get_schemas(assistant["assistant_id"])
    assert "messages" in schemas["state_schema"]["properties"]
    assert schemas["context_schema"]["properties"], schemas["context_schema"]

    # a streamed run through B stops at the drafter's question ...
    thread_id = (await on_a.threads.create())["thread_id"]
    parts = [
        part
        async for part in on_b.runs.stream(
            thread_id, "drafter", input=user(TWO_LAWS), stream_mode=["values", "updates"]
        )
    ]
    asked = [
        p.data["__interrupt__"] for p in parts if p.event == "updates" and "__interrupt__" in p.data
    ]
    assert asked and asked[0][0]["value"]["field"] == "governing_law", [p.event for p in parts]
    # ... which A shows as Studio reads it: the thread interrupted, the question in the state
    assert (await on_a.threads.get(thread_id))["status"] == "interrupted"
    state = await on_a.threads.get_state(thread_id)
    assert state["next"] and state["tasks"][0]["interrupts"][0]["value"]["field"] == "governing_law"
    before = await on_b.threads.get_history(thread_id, limit=100)
    assert before[0]["checkpoint"]["checkpoint_id"] == state["checkpoint"]["checkpoint_id"]

    # the answer, streamed through A (Studio's resume: a run with a Command)
    resumed = [
        part
        async for part in on_a.runs.stream(
            thread_id, "drafter", command={"resume": "Delaware"}, stream_mode="values"
        )
    ]
    assert resumed[-1].event == "values"
    assert resumed[-1].data["terms"]["governing_law"] == "DE"
    assert (await on_b.threads.get(thread_id))["status"] == "idle"

    # editing the state (Studio's "edit node output") through B, read back through A
    edited = await on_b.threads.update_state(
        thread_id, {"messages": [{"role": "user", "content": "a note from Studio"}]}
    )
    assert edited["checkpoint"]["checkpoint_id"]
    after = await on_a.threads.get_state(thread_id)
    assert after["values"]["messages"][-1]["content"] == "a note from Studio"
    assert after["checkpoint"]["checkpoint_id"] == edited["checkpoint"]["checkpoint_id"]
    history = await on_a.threads.get_history(thread_id, limit=100)
    assert len(history) > len(before)


async def test_a_run_s_end_is_written_to_its_thread(service):
    """What the worker writes when a run ends (patch 12: two statements instead of the
    runtime's ORM round trips): the run's status, and the thread's status, values, interrupts,
    error and metadata (its graph_id added, the rest kept), read back through the other
    process."""
    a, b = service
    on_a, on_b = a.client(), b.client()
    thread_id = (await on_a.threads.create(metadata={"topic": "kept"}))["thread_id"]
    asked = await on_a.runs.wait(thread_id, "drafter", input=user(TWO_LAWS))
    thread = await on_b.threads.get(thread_id)
    state = await on_b.threads.get_state(thread_id)
    assert thread["status"] == "interrupted"
    assert thread["metadata"]["graph_id"] == "drafter" and thread["metadata"]["topic"] == "kept"
    assert (
        thread["values"]
        == state["values"]
        == {k: v for k, v in asked.items() if k != "__interrupt__"}
    )
    ((task_id, (question,)),) = thread["interrupts"].items()
    assert task_id == state["tasks"][0]["id"] and question["value"]["field"] == "governing_law"
    assert thread["error"] is None

    await on_b.runs.wait(thread_id, "drafter", command={"resume": "Delaware"})
    thread = await on_a.threads.get(thread_id)
    assert thread["status"] == "idle" and thread["interrupts"] == {}
    assert thread["values"]["terms"]["governing_law"] == "DE"
    (last, *_) = await on_a.runs.list(thread_id)
    assert last["status"] == "success"


async def test_the_next_run_succeeds_after_every_database_connection_dies(service):
    """What a PostgreSQL restart does to both processes' pools (patch 13: the runtime's
    connections are not pinged before each session, a closed one is replaced at checkout)."""
    a, b = service
    thread_id = (await a.client().threads.create())["thread_id"]
    await b.client().runs.wait(thread_id, "drafter", input=user("I need to draft an NDA"))
    assert cut_connections(a.database_url) >= 2
    for server in (a, b):
        await server.client().runs.wait(
            thread_id, "drafter", input=user("Make it for California jurisdiction")
        )
    state = await a.client().threads.get_state(thread_id)
    assert state["values"]["document"]["terms"]["governing_law"] == "CA"


async def test_rollback_deletes_the_interrupted_run_across_processes(service):
    a, b = service
    thread_id = (await a.client().threads.create())["thread_id"]
    first = await a.client().runs.create(thread_id, "slow", input=user("go"))
    wait_status(a.database_url, first["run_id"], {"running"}, 10)
    second = await b.client().runs.create(
        thread_id, "slow", input=user("again"), multitask_strategy="rollback"
    )
    await b.client().runs.join(thread_id, second["run_id"])
    finished = await a.client().runs.get(thread_id, second["run_id"])
    assert finished["status"] == "success", finished
    # the rolled-back run and what it wrote are gone, through either process
    deadline = time.monotonic() + 30
    while (left := run_status(a.database_url, first["run_id"])) is not None:
        assert time.monotonic() < deadline, f"the rolled-back run is still {left}"
        time.sleep(0.1)
    runs = [(r["run_id"], r["status"]) for r in await a.client().runs.list(thread_id)]
    assert runs == [(second["run_id"], "success")], (first["run_id"], runs)
    texts = [
        m["content"] for m in (await a.client().threads.get_state(thread_id))["values"]["messages"]
    ]
    assert texts == ["again", "first step done", "second step done"], texts
    # interrupted, then deleted: one event, "interrupted" (langgraph dev writes none)
    events = run_events(a.database_url, first["run_id"])
    assert [e["status"] for e in events] == ["interrupted"], events


async def test_a_rolled_back_run_s_next_run_waits_for_its_checkpoints_to_go(service):
    """The next run must not start from the rolled-back run's head (patch 12): with the
    rolled-back run's checkpoint rows held locked, its deletion waits, and so does the next run,
    on either process; once they are released, the next run starts from the thread's state
    before the rolled-back run. (Deleting the run's row first, as langgraph-api's worker does,
    freed the thread before the checkpoints were gone: a clean-clone CI run found the next run
    storing a change of ``messages`` based on a deleted value.)"""
    a, b = service
    thread_id = (await a.client().threads.create())["thread_id"]
    first = await a.client().runs.create(thread_id, "slow", input=user("go"))
    wait_until(
        lambda: rows(
            a.database_url,
            "SELECT 1 FROM checkpoints WHERE metadata ->> 'run_id' = %s "
            "AND (metadata ->> 'step')::int >= 1",
            first["run_id"],
        ),
        10,
        "the first step's checkpoint was not written",
    )
    with psycopg.connect(a.database_url) as holder:
        locked = holder.execute(
            "SELECT checkpoint_id FROM checkpoints WHERE metadata ->> 'run_id' = %s FOR KEY SHARE",
            (first["run_id"],),
        ).fetchall()
        assert locked
        second = await b.client().runs.create(
            thread_id, "slow", input=user("again"), multitask_strategy="rollback"
        )
        wait_until(
            lambda: run_status(a.database_url, first["run_id"]) != "running",
            10,
            "the first run was not cancelled",
        )
        time.sleep(2)  # both processes poll their queue at least every 0.5 s
        statuses = [run_status(a.database_url, r["run_id"]) for r in (first, second)]
        assert statuses == ["interrupted", "pending"], statuses
        holder.rollback()
    await b.client().runs.join(thread_id, second["run_id"])
    assert (await a.client().runs.get(thread_id, second["run_id"]))["status"] == "success"
    left = rows(
        a.database_url,
        "SELECT count(*) FROM checkpoints WHERE metadata ->> 'run_id' = %s",
        first["run_id"],
    )[0][0]
    assert left == 0
    state = await b.client().threads.get_state(thread_id)
    texts = [m["content"] for m in state["values"]["messages"]]
    assert texts == ["again", "first step done", "second step done"], texts


async def _rolled_back(service) -> tuple[str, list[str]]:
    """A thread whose first (running) run was rolled back by a second; its state's texts."""
    a, b = service
    thread_id = (await a.client().threads.create())["thread_id"]
    first = await a.client().runs.create(thread_id, "slow", input=user("go"))
    wait_status(a.database_url, first["run_id"], {"running"}, 10)
    second = await b.client().runs.create(
        thread_id, "slow", input=user("again"), multitask_strategy="rollback"
    )
    await b.client().runs.join(thread_id, second["run_id"])
    state = await a.client().threads.get_state(thread_id)
    return thread_id, [m["content"] for m in state["values"]["messages"]]


async def test_the_mirror_forgets_a_rolled_back_run(service):
    a, _ = service
    thread_id, texts = await _rolled_back(service)
    assert texts == ["again", "first step done", "second step done"]
    wait_for_mirror(a.database_url)
    assert mirrored_messages(a.database_url, thread_id) == texts


@pytest.fixture
def webhook_receiver():
    """A local HTTP server recording the JSON bodies POSTed to it."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            received.append({"path": self.path, "body": json.loads(body or b"{}")})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


async def test_a_run_s_webhook_is_called_when_it_ends(service, webhook_receiver):
    a, b = service
    url, received = webhook_receiver
    thread_id = (await a.client().threads.create())["thread_id"]
    run = await a.client().runs.create(
        thread_id, "drafter", input=user("I need to draft an NDA"), webhook=f"{url}/done"
    )
    await b.client().runs.join(thread_id, run["run_id"])
    deadline = time.monotonic() + 15
    while not received:
        assert time.monotonic() < deadline, "no webhook call"
        time.sleep(0.1)
    time.sleep(0.5)  # a second call would be a bug: wait for one
    (call,) = received
    assert call["path"] == "/done"
    assert call["body"]["run_id"] == run["run_id"]
    assert call["body"]["thread_id"] == thread_id
    assert call["body"]["status"] == "success"


def _process(server):
    assert server.process is not None
    return server.process


async def test_sigterm_lets_the_running_run_finish_before_exiting(service, tmp_path_factory):
    a, b = service
    thread_id = (await a.client().threads.create())["thread_id"]
    run = await a.client().runs.create(thread_id, "slow", input=user("go"))
    wait_status(a.database_url, run["run_id"], {"running"}, 10)
    runner = running_on(service, run["run_id"])
    os.killpg(_process(runner).pid, signal.SIGTERM)
    _process(runner).wait(30)
    runner.process = None
    # finished where it ran: success, and its first step ran once (no re-run elsewhere)
    assert run_status(a.database_url, run["run_id"]) == "success"
    survivor = b if runner is a else a
    state = await survivor.client().threads.get_state(thread_id)
    texts = [m["content"] for m in state["values"]["messages"]]
    assert texts.count("first step done") == 1, texts
    runner.start()


async def test_a_sigkilled_process_s_run_is_taken_over_within_30s(service):
    a, b = service
    thread_id = (await a.client().threads.create())["thread_id"]
    run = await a.client().runs.create(thread_id, "slow", input=user("go"))
    wait_status(a.database_url, run["run_id"], {"running"}, 10)
    runner = running_on(service, run["run_id"])
    runner.kill()
    killed = time.monotonic()
    # the survivor sweeps the run back to pending (heartbeat expired), then re-runs it
    wait_status(a.database_url, run["run_id"], {"pending", "success", "error"}, TAKEOVER_SECONDS)
    taken_over = time.monotonic() - killed
    wait_status(a.database_url, run["run_id"], {"success"}, 15)
    print(f"run taken over {taken_over:.1f}s after SIGKILL")
    assert taken_over <= TAKEOVER_SECONDS
    survivor = b if runner is a else a
    assert (await survivor.client().runs.get(thread_id, run["run_id"]))["status"] == "success"
