"""The crash-safe registry's logic (server/registry.py) without a server, on a database of the
test's own: what ``Registry.restore`` brings back into the runtime's store, and what the
write-through methods keep in ``api_registry``. The store is the runtime's shape: a dict of
``threads``, ``assistants``, ``assistant_versions`` and ``runs`` lists."""

from __future__ import annotations

import copy
import pickle
import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import START, MessagesState, StateGraph
from psycopg.types.json import Jsonb

from server.registry import Registry
from store.checkpointer import PostgresCheckpointer
from store.repositories import conversations, tombstones
from store.repositories import registry as registry_rows
from tests.accounts import make_user

pytestmark = pytest.mark.integration


@pytest.fixture
async def registry(pool):
    return Registry(pool)


def empty_store() -> dict:
    return {"threads": [], "assistants": [], "assistant_versions": [], "runs": []}


def a_thread(status: str = "idle", **metadata) -> dict:
    now = datetime.now(UTC)
    return {
        "thread_id": uuid.uuid4(),
        "created_at": now,
        "updated_at": now,
        "metadata": metadata,
        "status": status,
        "config": {},
        # derived from the checkpoints by the runtime: never written through
        "values": {"messages": ["derived"]},
        "interrupts": {},
        "error": None,
    }


def a_run(thread_id, status: str = "running", **kwargs) -> dict:
    now = datetime.now(UTC)
    return {
        "run_id": uuid.uuid4(),
        "thread_id": thread_id,
        "assistant_id": uuid.uuid4(),
        "status": status,
        "created_at": now,
        "updated_at": now,
        "metadata": {},
        "kwargs": kwargs,
        "multitask_strategy": "reject",
    }


def an_assistant(*versions: int) -> tuple[dict, list[dict]]:
    assistant_id = uuid.uuid4()
    assistant = {"assistant_id": assistant_id, "graph_id": "drafter", "name": "mine", "version": 1}
    return assistant, [{"assistant_id": assistant_id, "version": v} for v in versions]


def rows(database_url: str) -> dict[tuple[str, str], object]:
    """``api_registry`` as {(kind, key): unpickled payload}."""
    with psycopg.connect(database_url) as conn:
        found = conn.execute("SELECT kind, key, payload FROM api_registry").fetchall()
    return {(kind, key): pickle.loads(payload) for kind, key, payload in found}  # noqa: S301


def ids(objects: list[dict], field: str) -> list[str]:
    return [str(o[field]) for o in objects]


async def test_restore_brings_back_what_the_store_lacks_once(registry, database_url):
    thread = a_thread(matter="acme")
    assistant, versions = an_assistant(1, 2)
    before = empty_store()
    before["threads"].append(thread)
    before["assistants"].append(assistant)
    before["assistant_versions"] += versions
    await registry.save_threads(before, [thread["thread_id"]])
    await registry.save_assistant(before, assistant["assistant_id"])

    store = empty_store()  # the pickle was lost with the server
    report = await registry.restore(store)

    assert (report.threads, report.assistants, report.runs_failed, report.skipped) == (1, 1, 0, 0)
    [restored] = store["threads"]
    assert restored["thread_id"] == thread["thread_id"]
    assert restored["metadata"] == {"matter": "acme"} and restored["status"] == "idle"
    assert restored["values"] is None, "values come from the checkpoints, not the registry"
    assert "interrupts" not in restored and "error" not in restored
    assert store["assistants"] == [assistant]
    assert sorted(v["version"] for v in store["assistant_versions"]) == [1, 2]

    again = await registry.restore(store)
    assert (again.threads, again.assistants) == (0, 0)
    assert len(store["threads"]) == 1 and len(store["assistant_versions"]) == 2


async def test_what_the_store_holds_is_kept_as_the_newer(registry, database_url):
    thread = a_thread(matter="old")
    run = a_run(thread["thread_id"], "pending")
    before = empty_store()
    before["threads"].append(thread)
    await registry.save_threads(before, [thread["thread_id"]])
    before["runs"].append(run)
    await registry.save_run(before, run)

    store = empty_store()
    newer = copy.deepcopy(thread) | {"metadata": {"matter": "new"}}
    store["threads"].append(newer)
    held_run = copy.deepcopy(run) | {"status": "success"}
    store["runs"].append(held_run)
    report = await registry.restore(store)

    assert (report.threads, report.runs_failed) == (0, 0)
    assert store["threads"] == [newer] and store["runs"] == [held_run]
    # the runtime's own pickle decides about a run it holds: its registry row goes
    assert set(rows(database_url)) == {("thread", str(thread["thread_id"]))}


async def test_runs_in_flight_end_as_errors_and_their_threads_unstick(registry, database_url):
    thread = a_thread("busy")
    run = a_run(thread["thread_id"], "running")
    before = empty_store()
    before["threads"].append(thread)
    before["runs"].append(run)
    await registry.save_run(before, run)  # the run, and its thread with it
    assert set(rows(database_url)) == {
        ("run", str(run["run_id"])),
        ("thread", str(thread["thread_id"])),
    }

    # the pickle was flushed with the thread busy, before the run was created
    store = empty_store()
    store["threads"].append(copy.deepcopy(thread))
    report = await registry.restore(store)

    assert (report.runs_failed, report.threads_unstuck, report.threads) == (1, 1, 0)
    [failed] = store["runs"]
    assert failed["run_id"] == run["run_id"] and failed["status"] == "error"
    assert failed["updated_at"] > run["updated_at"]
    assert store["threads"][0]["status"] == "idle", "a thread no run holds takes runs again"
    assert set(rows(database_url)) == {("thread", str(thread["thread_id"]))}, "the run ended"

    # nothing left to do: the next start changes nothing
    again = await registry.restore(store)
    assert (again.runs_failed, again.threads_unstuck, len(store["runs"])) == (0, 0, 1)


async def test_only_busy_threads_without_an_active_run_are_unstuck(registry):
    stuck, working, waiting, idle = (a_thread(s) for s in ("busy", "busy", "busy", "idle"))
    store = empty_store()
    store["threads"] += [stuck, working, waiting, idle]
    store["runs"] += [
        a_run(working["thread_id"], "running"),
        a_run(waiting["thread_id"], "pending"),
        a_run(stuck["thread_id"], "success"),
    ]
    report = await registry.restore(store)
    assert report.threads_unstuck == 1
    assert [t["status"] for t in store["threads"]] == ["idle", "busy", "busy", "idle"]


async def test_a_lost_stateless_run_is_dropped_with_its_temporary_thread(
    registry, pool, database_url
):
    thread = a_thread()
    run = a_run(thread["thread_id"], "running", temporary=True)
    kept = a_thread()
    before = empty_store()
    before["threads"] += [thread, kept]
    before["runs"].append(run)
    await registry.save_run(before, run)
    assert set(rows(database_url)) == {("run", str(run["run_id"]))}, "only the run is kept"
    # an older version wrote the temporary thread through, and the mirror saw it
    await registry.save_threads(before, [thread["thread_id"], kept["thread_id"]])
    async with pool.connection() as conn:
        for t in (thread, kept):
            await conversations.upsert_seen(
                conn, str(t["thread_id"]), title="t", metadata={}, at=datetime.now(UTC)
            )

    store = empty_store()
    report = await registry.restore(store)

    assert report.temporary_dropped == 1 and report.runs_failed == 0
    assert ids(store["threads"], "thread_id") == [str(kept["thread_id"])]
    assert store["runs"] == []
    assert set(rows(database_url)) == {("thread", str(kept["thread_id"]))}
    async with pool.connection() as conn:
        assert await conversations.by_thread(conn, str(thread["thread_id"])) is None
        assert await conversations.by_thread(conn, str(kept["thread_id"])) is not None


async def write_checkpoints(pool, thread_id: str, metadata: dict) -> None:
    builder = StateGraph(MessagesState)
    builder.add_node("reply", lambda s: {"messages": [AIMessage("ok")]})
    builder.add_edge(START, "reply")
    graph = builder.compile(checkpointer=PostgresCheckpointer(pool))
    config = {"configurable": {"thread_id": thread_id}, "metadata": metadata}
    await graph.ainvoke({"messages": [HumanMessage("hi")]}, config)


async def test_threads_with_checkpoints_but_no_row_are_rebuilt_from_their_metadata(
    registry, pool, database_url
):
    api_thread = str(uuid.uuid4())
    await write_checkpoints(pool, api_thread, {"matter": "acme", "run_id": "r1"})
    await write_checkpoints(pool, "user-123-session-456", {"matter": "python api"})

    store = empty_store()
    report = await registry.restore(store)

    assert (report.threads, report.rebuilt_from_checkpoints) == (1, 1)
    [rebuilt] = store["threads"]
    assert rebuilt["thread_id"] == uuid.UUID(api_thread) and rebuilt["status"] == "idle"
    assert rebuilt["metadata"]["matter"] == "acme"
    assert not {"source", "step", "parents", "run_id"} & set(rebuilt["metadata"])
    assert rebuilt["created_at"] <= rebuilt["updated_at"]
    assert set(rows(database_url)) == {("thread", api_thread)}, "and written through"

    again = empty_store()
    report = await registry.restore(again)
    assert (report.threads, report.rebuilt_from_checkpoints) == (1, 0)
    assert await registry.rebuild_from_checkpoints() == 0


async def test_an_unreadable_row_is_skipped_and_the_rest_restored(registry):
    thread = a_thread()
    before = empty_store()
    before["threads"].append(thread)
    await registry.save_threads(before, [thread["thread_id"]])
    await registry.execute([(registry_rows.UPSERT_SQL, ("thread", "garbled", b"not a pickle"))])

    store = empty_store()
    report = await registry.restore(store)
    assert (report.skipped, report.threads) == (1, 1)
    assert ids(store["threads"], "thread_id") == [str(thread["thread_id"])]


async def test_save_threads_keeps_stable_fields_owns_the_conversation_and_revives(
    registry, pool, database_url
):
    owner = make_user(database_url)
    mine, unowned = a_thread(owner=owner.id), a_thread(owner="not-a-user")
    store = empty_store()
    store["threads"] += [mine, unowned]
    async with pool.connection() as conn:
        await tombstones.add(conn, [str(mine["thread_id"])])

    await registry.save_threads(store, [mine["thread_id"], unowned["thread_id"]], revive=True)

    saved = rows(database_url)
    stable = {k: v for k, v in mine.items() if k not in ("values", "interrupts", "error")}
    assert saved["thread", str(mine["thread_id"])] == stable
    async with pool.connection() as conn:
        conversation = await conversations.by_thread(conn, str(mine["thread_id"]))
        assert str(conversation["owner_id"]) == owner.id
        assert await conversations.by_thread(conn, str(unowned["thread_id"])) is None
        assert await tombstones.deleted_among(conn, [str(mine["thread_id"])]) == set()


async def test_forget_removes_exactly_the_object_and_an_assistants_versions(registry, database_url):
    store = empty_store()
    gone, gone_versions = an_assistant(1, 2)
    kept, kept_versions = an_assistant(1)
    store["assistants"] += [gone, kept]
    store["assistant_versions"] += gone_versions + kept_versions
    for assistant in (gone, kept):
        await registry.save_assistant(store, assistant["assistant_id"])
    run = a_run(uuid.uuid4(), "pending")
    await registry.save_run(store, run)

    await registry.forget("assistant", gone["assistant_id"])
    await registry.forget("run", run["run_id"])

    key = str(kept["assistant_id"])
    assert set(rows(database_url)) == {("assistant", key), ("assistant_version", f"{key}:1")}


async def test_forget_thread_takes_its_runs_and_mirror_rows_and_audits_once(
    registry, pool, database_url
):
    thread, other = a_thread(), a_thread()
    runs = [a_run(thread["thread_id"], "success"), a_run(other["thread_id"], "pending")]
    store = empty_store()
    store["threads"] += [thread, other]
    for run in runs:
        await registry.save_run(store, run)
    async with pool.connection() as conn:
        await conversations.upsert_seen(
            conn, str(thread["thread_id"]), title="t", metadata={}, at=datetime.now(UTC)
        )
    key = str(thread["thread_id"])

    await registry.forget_thread(
        key,
        [str(runs[0]["run_id"])],
        audit=("someone", "thread.deleted", key, Jsonb({}), f"thread.deleted:{key}"),
    )

    assert set(rows(database_url)) == {
        ("thread", str(other["thread_id"])),
        ("run", str(runs[1]["run_id"])),
    }
    async with pool.connection() as conn:
        assert await conversations.by_thread(conn, key) is None
    with psycopg.connect(database_url) as conn:
        audit = conn.execute(
            "SELECT actor, action FROM audit_logs WHERE target = %s", (key,)
        ).fetchall()
    assert audit == [("someone", "thread.deleted")]
