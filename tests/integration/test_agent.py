"""The seed's Python API over the same PostgreSQL the server uses."""

from __future__ import annotations

import uuid

import pytest

from server.agent import Agent

pytestmark = pytest.mark.integration
SEED = ["I need to draft an NDA", "Make it for California jurisdiction", "Add a 2-year term"]


async def test_run_continues_a_thread_across_agents_and_history_lists_it(database_url):
    thread_id = f"user-123-session-{uuid.uuid4()}"
    first = Agent(use_checkpointing=True, database_url=database_url)
    replies = [first.run(SEED[0], thread_id=thread_id), first.run(SEED[1], thread_id=thread_id)]
    first.close()
    assert replies[0].document["version"] == 1 and replies[1].document["jurisdiction"] == "CA"
    assert "Drafted" in str(replies[0])

    again = Agent(database_url=database_url)  # a new process would do the same
    third = await again.arun(SEED[2], thread_id=thread_id)
    assert third.document["version"] == 3 and third.thread_id == thread_id
    history = await again.aget_history(thread_id, limit=20)
    await again.aclose()
    # per turn: the input, the start, then agent, tools, agent and publish
    assert len(history) == 18
    assert [m.content for m in history[0]["messages"] if m.type == "human"] == SEED
    assert history[0]["document"]["version"] == 3
    assert history[-1]["checkpoint_id"] < history[0]["checkpoint_id"]


def test_without_checkpointing_threads_live_in_memory_only():
    agent = Agent(use_checkpointing=False)
    agent.run(SEED[0], thread_id="t")
    assert agent.run(SEED[1], thread_id="t").document["version"] == 2
