"""A stateless run (no thread) leaves nothing behind: not in the registry, not in the mirror, and
no ghost thread after a restart; with ``on_completion="keep"`` its thread is a normal thread."""

from __future__ import annotations

import shutil
import time

import httpx
import psycopg
import pytest

from tests.integration.test_mirror import wait_for_mirror
from tests.server import LangGraphServer

pytestmark = pytest.mark.integration
NDA = {"messages": [{"role": "user", "content": "I need to draft an NDA"}]}


@pytest.fixture
def own_server(database_url, tmp_path):
    """A server of the test's own, so restarting it disturbs no other test."""
    server = LangGraphServer(database_url, tmp_path)
    server.start()
    yield server
    server.stop()


def leftovers(database_url: str, thread_id: str, run_id: str) -> dict[str, int]:
    """Rows the thread or its run left anywhere but the audit log."""
    with psycopg.connect(database_url) as conn:
        return {
            name: conn.execute(sql, {"thread": thread_id, "run": run_id}).fetchone()[0]
            for name, sql in {
                "api_registry": "SELECT count(*) FROM api_registry "
                "WHERE key IN (%(thread)s, %(run)s)",
                "conversations": "SELECT count(*) FROM conversations WHERE thread_id = %(thread)s",
                "messages": "SELECT count(*) FROM messages m JOIN conversations c "
                "ON c.id = m.conversation_id WHERE c.thread_id = %(thread)s",
                "documents": "SELECT count(*) FROM documents d JOIN conversations c "
                "ON c.id = d.conversation_id WHERE c.thread_id = %(thread)s",
                "checkpoints": "SELECT count(*) FROM checkpoints WHERE thread_id = %(thread)s",
            }.items()
        }


NOTHING = {"api_registry": 0, "conversations": 0, "messages": 0, "documents": 0, "checkpoints": 0}


async def no_such_thread(client, thread_id: str) -> None:
    assert thread_id not in {t["thread_id"] for t in await client.threads.search(limit=1000)}
    with pytest.raises(httpx.HTTPStatusError) as error:
        await client.threads.get(thread_id)
    assert error.value.response.status_code == 404


async def test_a_stateless_run_leaves_nothing_and_no_ghost_after_a_restart(own_server):
    client = own_server.client()
    created = []
    output = await client.runs.wait(None, "drafter", input=NDA, on_run_created=created.append)
    assert output["document"]["version"] == 1
    thread_id, run_id = created[0]["thread_id"], created[0]["run_id"]

    wait_for_mirror(own_server.database_url)
    time.sleep(0.5)  # a second pass: any event the deletion raced has been delivered too
    wait_for_mirror(own_server.database_url)
    assert leftovers(own_server.database_url, thread_id, run_id) == NOTHING
    await no_such_thread(client, thread_id)

    own_server.restart()
    client = own_server.client()
    await no_such_thread(client, thread_id)
    assert leftovers(own_server.database_url, thread_id, run_id) == NOTHING


async def test_on_completion_keep_makes_a_normal_thread(own_server):
    client = own_server.client()
    created = []
    await client.runs.wait(
        None, "drafter", input=NDA, on_completion="keep", on_run_created=created.append
    )
    thread_id, run_id = created[0]["thread_id"], created[0]["run_id"]
    state = await client.threads.get_state(thread_id)
    assert state["values"]["document"]["version"] == 1

    wait_for_mirror(own_server.database_url)
    rows = leftovers(own_server.database_url, thread_id, run_id)
    assert rows["api_registry"] == 1, "the thread is registered; the finished run is not"
    assert rows["conversations"] == 1 and rows["messages"] >= 2 and rows["documents"] == 1
    with psycopg.connect(own_server.database_url) as conn:
        owner = conn.execute(
            "SELECT owner_id::text FROM conversations WHERE thread_id = %s", (thread_id,)
        ).fetchone()[0]
    assert owner == own_server.user.id

    own_server.restart()
    client = own_server.client()
    assert thread_id in {t["thread_id"] for t in await client.threads.search(limit=1000)}
    assert (await client.threads.get_state(thread_id))["values"] == state["values"]
    await client.runs.wait(
        thread_id,
        "drafter",
        input={"messages": [{"role": "user", "content": "Make it for California jurisdiction"}]},
    )
    assert (await client.threads.get_state(thread_id))["values"]["document"]["version"] == 2


async def test_a_stateless_run_lost_in_a_crash_leaves_no_ghost(own_server):
    """The server dies mid-run and its own registry files are gone: neither the temporary
    thread nor the run comes back from PostgreSQL at the next start."""
    client = own_server.client()
    run = await client.runs.create(
        None, "slow", input={"messages": [{"role": "user", "content": "go"}]}
    )
    thread_id, run_id = run["thread_id"], run["run_id"]
    rows = leftovers(own_server.database_url, thread_id, run_id)
    assert rows["api_registry"] == 1, "the run in flight is registered, its thread is not"

    own_server.kill()
    shutil.rmtree(own_server.workdir / ".langgraph_api", ignore_errors=True)
    own_server.start()
    client = own_server.client()

    await no_such_thread(client, thread_id)
    with pytest.raises(httpx.HTTPStatusError) as error:
        await client.runs.get(thread_id, run_id)
    assert error.value.response.status_code == 404
    wait_for_mirror(own_server.database_url)
    assert leftovers(own_server.database_url, thread_id, run_id) == NOTHING
