"""The tool-calling drafter served by the real `langgraph dev`, through `langgraph_sdk`: the
issue's "Done when" conversation with its redline, a fork through a tool call and a question,
and a hanging chat model (timeout, cancellation) on the server's single worker."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path
from typing import Any

import pytest
from docx import Document as open_docx
from docx.oxml.ns import qn
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage

from documents.redline import to_redline_docx
from tests.server import LangGraphServer

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
HANGING = "tests.integration.test_drafter_agent_server:hanging"


class Hanging(FakeMessagesListChatModel):
    """A chat model that never answers (a provider that hung)."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> Hanging:  # type: ignore[override]
        return self

    async def _agenerate(self, *args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(3600)


def hanging(*, timeout: float, max_retries: int) -> Hanging:
    """The model spec ``tests.integration.test_drafter_agent_server:hanging`` (the server
    imports it: PYTHONPATH has the repository)."""
    return Hanging(responses=[AIMessage("never")])


@pytest.fixture(scope="module")
def server(module_database_url, tmp_path_factory):
    """`langgraph dev` with one worker (its default), able to import the test's model."""
    srv = LangGraphServer(
        module_database_url,
        tmp_path_factory.mktemp("server"),
        extra_env={"LOGIN_MAX_ATTEMPTS_PER_CLIENT": "100000", "PYTHONPATH": str(ROOT)},
    )
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
async def client(server):
    return server.client()


def user(text):
    return {"messages": [{"role": "user", "content": text}]}


async def document(client, thread_id):
    return (await client.threads.get_state(thread_id))["values"]["document"]


def by_id(doc):
    return {c["id"]: c for c in doc["clauses"]}


def tracked(docx: bytes) -> tuple[str, str]:
    """The text of a Word file's tracked insertions and of its tracked deletions."""
    body = open_docx(io.BytesIO(docx)).element.body
    inserted = "".join(t.text or "" for ins in body.iter(qn("w:ins")) for t in ins.iter(qn("w:t")))
    deleted = "".join(t.text or "" for d in body.iter(qn("w:del")) for t in d.iter(qn("w:delText")))
    return inserted, deleted


async def test_the_issue_s_conversation_makes_exactly_those_changes(client):
    thread_id = (await client.threads.create())["thread_id"]
    said = "draft a mutual NDA between Acme Inc. and Jane Doe (an individual)"
    await client.runs.wait(thread_id, "drafter", input=user(said))
    v1 = await document(client, thread_id)
    assert v1["version"] == 1 and v1["parties"] == [
        {"name": "Acme Inc.", "kind": "company"},
        {"name": "Jane Doe", "kind": "individual"},
    ]
    assert "residuals" in by_id(v1) and v1["jurisdiction"] is None

    await client.runs.wait(thread_id, "drafter", input=user("California law"))
    v2 = await document(client, thread_id)
    assert v2["version"] == 2 and v2["terms"] == {**v1["terms"], "governing_law": "CA"}
    added = set(by_id(v2)) - set(by_id(v1))
    assert added <= {"state_law"} and set(by_id(v1)) <= set(by_id(v2))

    asked = await client.runs.wait(
        thread_id, "drafter", input=user("add non-solicitation for 12 months")
    )
    question = asked["__interrupt__"][0]["value"]
    assert question["field"] == "non_solicitation_scope" and "16600" in question["question"]
    await client.runs.wait(thread_id, "drafter", command={"resume": "employees"})
    v3 = await document(client, thread_id)
    assert v3["version"] == 3 and v3["terms"] == v2["terms"]
    assert [c["id"] for c in v3["clauses"]] == [c["id"] for c in v2["clauses"]] + [
        "non_solicitation"
    ]
    assert by_id(v3)["non_solicitation"]["params"] == {"months": 12, "scope": "employees"}

    await client.runs.wait(thread_id, "drafter", input=user("remove the residuals clause"))
    v4 = await document(client, thread_id)
    assert v4["version"] == 4 and v4["terms"] == v3["terms"]
    assert [c["id"] for c in v4["clauses"]] == [
        c["id"] for c in v3["clauses"] if c["id"] != "residuals"
    ]

    await client.runs.wait(thread_id, "drafter", input=user("make confidentiality survive 5 years"))
    v5 = await document(client, thread_id)
    assert v5["version"] == 5 and v5["terms"] == {**v4["terms"], "survival_months": 60}
    assert "term_months" not in v5["terms"]
    changed = [i for i, c in by_id(v5).items() if c["text"] != by_id(v4)[i]["text"]]
    assert changed and all("surviv" in by_id(v5)[i]["text"].lower() for i in changed)

    inserted, deleted = tracked(to_redline_docx(v1, v5))
    assert "California" in inserted, "the governing law"
    assert "Non-Solicitation" in inserted and "Residuals" in deleted
    assert "five (5) years" in inserted or "5 years" in inserted, "the survival period"


async def test_fork_through_a_tool_call_and_a_question(client):
    thread_id = (await client.threads.create())["thread_id"]
    await client.runs.wait(
        thread_id,
        "drafter",
        input=user("Draft an NDA between Acme Inc. and Beta LLC under Delaware law"),
    )
    await client.runs.wait(thread_id, "drafter", input=user("add non-solicitation for 12 months"))
    await client.runs.wait(thread_id, "drafter", command={"resume": "employees"})
    assert by_id(await document(client, thread_id))["non_solicitation"]["params"]["scope"] == (
        "employees"
    )

    history = await client.threads.get_history(thread_id, limit=100)
    before_question = next(
        h
        for h in history
        if h["next"] == ["tools"]
        and any(c["name"] == "ask_user" for c in h["values"]["messages"][-1]["tool_calls"])
    )
    replayed = await client.runs.wait(
        thread_id,
        "drafter",
        input=None,
        checkpoint_id=before_question["checkpoint"]["checkpoint_id"],
    )
    assert replayed["__interrupt__"][0]["value"]["field"] == "non_solicitation_scope"
    await client.runs.wait(thread_id, "drafter", command={"resume": "both"})
    branch = await document(client, thread_id)
    assert by_id(branch)["non_solicitation"]["params"]["scope"] == "both"
    assert branch["version"] == 2

    original = next(h for h in history if not h["next"])  # the newest checkpoint, before the fork
    assert by_id(original["values"]["document"])["non_solicitation"]["params"]["scope"] == (
        "employees"
    )


async def test_a_hanging_model_times_out_and_the_offline_model_answers(client):
    thread_id = (await client.threads.create())["thread_id"]
    started = time.monotonic()
    values = await client.runs.wait(
        thread_id,
        "drafter",
        input=user("Draft an NDA under Texas law"),
        context={"llm_model": HANGING, "llm_timeout": 1, "llm_max_retries": 0},
    )
    assert time.monotonic() - started < 15
    assert "could not be used (TimeoutError)" in values["messages"][-1]["content"]
    assert values["document"]["jurisdiction"] == "TX"


async def test_cancelling_a_run_on_a_hanging_model_frees_the_worker(client):
    thread_id = (await client.threads.create())["thread_id"]
    run = await client.runs.create(
        thread_id,
        "drafter",
        input=user("Draft an NDA under Texas law"),
        context={"llm_model": HANGING, "llm_timeout": 600},
    )
    for _ in range(100):
        if (await client.runs.get(thread_id, run["run_id"]))["status"] == "running":
            break
        await asyncio.sleep(0.1)
    await client.runs.cancel(thread_id, run["run_id"], wait=True)
    assert (await client.runs.get(thread_id, run["run_id"]))["status"] in ("interrupted", "error")

    other = (await client.threads.create())["thread_id"]
    started = time.monotonic()
    values = await asyncio.wait_for(
        client.runs.wait(other, "drafter", input=user("Draft an NDA under Ohio law")), 60
    )
    assert values["document"]["jurisdiction"] == "OH"
    assert time.monotonic() - started < 30
