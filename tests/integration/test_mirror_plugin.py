"""The mirror plugin's logic (hooks/builtin/mirror.py) without a server, on a database of the
test's own: replays change nothing, ``is_current``/``position`` follow the head after a fork,
text PostgreSQL refuses is replaced and audited, a tombstoned thread is skipped, and a
conversation's owner comes from ``resource_owners``, never from what the metadata says."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.graph import START, MessagesState, StateGraph

from hooks import PermanentError
from hooks.builtin.mirror import Mirror
from hooks.dispatcher import Dispatcher
from hooks.events import CheckpointEvent, RunEvent
from hooks.manager import get_plugin_manager
from store.checkpointer import PostgresCheckpointer
from store.repositories import owners, tombstones
from tests.accounts import make_user

pytestmark = pytest.mark.integration


@pytest.fixture
def mirror(pool):
    return Mirror(pool)


def event(thread_id: str, messages, **fields) -> CheckpointEvent:
    """A checkpoint event as the dispatcher builds it (``fields`` override the defaults)."""
    defaults = {
        "event_id": 1,
        "thread_id": thread_id,
        "checkpoint_id": str(uuid.uuid4()),
        "parent_checkpoint_id": None,
        "run_id": None,
        "source": "loop",
        "step": 1,
        "created_at": datetime.now(UTC),
        "graph_id": "drafter",
        "assistant_id": None,
        "actor": None,
        "metadata": {"source": "loop", "graph_id": "drafter"},
        "values": {"messages": messages},
        "is_head": True,
    }
    return CheckpointEvent(**(defaults | fields))


def query(database_url: str, sql: str, *params):
    with psycopg.connect(database_url) as conn:
        return conn.execute(sql, params).fetchall()


def mirrored(database_url: str, thread_id: str) -> dict:
    """Everything the mirror holds for a thread."""
    return {
        "conversation": query(
            database_url,
            "SELECT title, owner_id::text, metadata FROM conversations WHERE thread_id = %s",
            thread_id,
        ),
        "messages": query(
            database_url,
            "SELECT m.message_id, m.role, m.content, m.is_current, m.position, m.checkpoint_id "
            "FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.thread_id = %s ORDER BY m.message_id",
            thread_id,
        ),
        "documents": query(
            database_url,
            "SELECT d.document_key, d.version, d.jurisdiction, d.body FROM documents d "
            "JOIN conversations c ON c.id = d.conversation_id WHERE c.thread_id = %s "
            "ORDER BY d.id",
            thread_id,
        ),
        "audit": query(
            database_url,
            "SELECT actor, action, details FROM audit_logs WHERE target = %s ORDER BY id",
            thread_id,
        ),
    }


def current(database_url: str, thread_id: str) -> list[tuple[str, int]]:
    return query(
        database_url,
        "SELECT m.message_id, m.position FROM messages m "
        "JOIN conversations c ON c.id = m.conversation_id "
        "WHERE c.thread_id = %s AND m.is_current ORDER BY m.position",
        thread_id,
    )


async def test_replaying_events_changes_nothing(mirror, database_url):
    thread_id = str(uuid.uuid4())
    document = {"key": "nda", "version": 1, "type": "nda", "title": "NDA", "body": "# NDA"}
    h1, a1 = HumanMessage("I need to draft an NDA", id="h1"), AIMessage("Drafted", id="a1")
    first = event(
        thread_id, [h1], source="input", run_id="run-1", metadata={"source": "input"}, is_head=False
    )
    second = event(thread_id, [h1, a1], values={"messages": [h1, a1], "document": document})
    finished = RunEvent(
        event_id=3,
        thread_id=thread_id,
        run_id="run-1",
        status="success",
        assistant_id=None,
        actor=None,
        created_at=datetime.now(UTC),
    )
    for e in (first, second):
        await mirror.after_checkpoint(event=e)
    await mirror.after_run(event=finished)
    once = mirrored(database_url, thread_id)

    for _ in range(2):
        for e in (first, second):
            await mirror.after_checkpoint(event=e)
        await mirror.after_run(event=finished)

    assert mirrored(database_url, thread_id) == once
    assert [m[:5] for m in once["messages"]] == [
        ("a1", "assistant", "Drafted", True, 1),
        ("h1", "user", "I need to draft an NDA", True, 0),
    ]
    assert once["messages"][1][5] == first.checkpoint_id, "where the message first appeared"
    assert once["conversation"][0][0] == "I need to draft an NDA"
    assert [d[:3] for d in once["documents"]] == [("nda", 1, None)]
    assert [a[1] for a in once["audit"]] == ["run.started", "run.finished"]


async def test_a_fork_moves_is_current_and_position_and_keeps_the_other_branch(pool, database_url):
    """Real checkpoints, delivered by the dispatcher: two turns, then ``update_state`` from the
    end of the first turn (a fork), then a replay of every event."""
    builder = StateGraph(MessagesState)
    builder.add_node(
        "reply", lambda s: {"messages": [AIMessage(f"re: {s['messages'][-1].content}")]}
    )
    builder.add_edge(START, "reply")
    graph = builder.compile(checkpointer=PostgresCheckpointer(pool))
    thread_id = str(uuid.uuid4())
    config = {"configurable": {"thread_id": thread_id}}
    dispatcher = Dispatcher(pool, get_plugin_manager(builtins=[("mirror", Mirror(pool))]))
    await dispatcher.ensure_cursors()

    await graph.ainvoke({"messages": [HumanMessage("one", id="h1")]}, config)
    turn_one = await graph.aget_state(config)
    await graph.ainvoke({"messages": [HumanMessage("two", id="h2")]}, config)
    await dispatcher.drain()
    before_fork = [m.id for m in (await graph.aget_state(config)).values["messages"]]
    assert [m for m, _ in current(database_url, thread_id)] == before_fork
    assert [p for _, p in current(database_url, thread_id)] == [0, 1, 2, 3]

    forked = await graph.aupdate_state(
        turn_one.config, {"messages": [HumanMessage("other", id="h3")]}
    )
    await dispatcher.drain()
    head = [m.id for m in (await graph.aget_state(config)).values["messages"]]
    assert head == [*before_fork[:2], "h3"]
    assert current(database_url, thread_id) == [(m, i) for i, m in enumerate(head)]
    every = {m[0]: m for m in mirrored(database_url, thread_id)["messages"]}
    assert set(before_fork) <= set(every), "the other branch stays queryable"
    assert [every[m][3:5] for m in before_fork[2:]] == [(False, None), (False, None)]
    audit = mirrored(database_url, thread_id)["audit"]
    forks = [a for a in audit if a[1] == "thread.forked"]
    assert len(forks) == 1
    assert forks[0][2]["checkpoint_id"] == forked["configurable"]["checkpoint_id"]
    assert forks[0][2]["parent_checkpoint_id"] == turn_one.config["configurable"]["checkpoint_id"]

    snapshot = mirrored(database_url, thread_id)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE hook_cursors SET last_event_id = 0")
    assert await dispatcher.drain() > 0
    assert mirrored(database_url, thread_id) == snapshot, "a replay of every event"


async def test_text_postgresql_refuses_is_replaced_and_the_replacement_audited(
    mirror, database_url
):
    thread_id = str(uuid.uuid4())
    e = event(
        thread_id,
        [
            HumanMessage("null\x00byte", id="nul"),
            AIMessage("lone \ud800 surrogate", id="surrogate"),
            HumanMessage("fine", id="fine"),
        ],
    )
    await mirror.after_checkpoint(event=e)
    await mirror.after_checkpoint(event=e)

    stored = mirrored(database_url, thread_id)
    assert {m[0]: m[2] for m in stored["messages"]} == {
        "nul": "null\ufffdbyte",
        "surrogate": "lone \ufffd surrogate",
        "fine": "fine",
    }
    [(actor, action, details)] = stored["audit"]
    assert (actor, action) == ("mirror", "message.sanitized")
    assert sorted(details["message_ids"]) == ["nul", "surrogate"]
    assert stored["conversation"][0][0] == "null\ufffdbyte", "the title too"


async def test_a_tombstoned_thread_is_never_written_back(mirror, pool, database_url):
    thread_id = str(uuid.uuid4())
    async with pool.connection() as conn:
        await tombstones.add(conn, [thread_id])
    await mirror.after_checkpoint(event=event(thread_id, [HumanMessage("late", id="h1")]))
    assert mirrored(database_url, thread_id) == {
        "conversation": [],
        "messages": [],
        "documents": [],
        "audit": [],
    }


async def test_an_event_whose_checkpoint_is_gone_writes_nothing(mirror, database_url):
    thread_id = str(uuid.uuid4())
    await mirror.after_checkpoint(event=event(thread_id, [], metadata={}, values={}))
    assert mirrored(database_url, thread_id)["conversation"] == []


async def test_the_owner_comes_from_resource_owners_never_from_the_metadata(
    mirror, pool, database_url
):
    alice, mallory = make_user(database_url), make_user(database_url)
    owned, unowned = str(uuid.uuid4()), str(uuid.uuid4())
    async with pool.connection() as conn:
        assert await owners.claim(conn, "thread", owned, alice.id)
    says_mallory = {"source": "input", "owner": mallory.id, "user_id": mallory.id}
    for thread_id in (owned, unowned):
        await mirror.after_checkpoint(
            event=event(
                thread_id,
                [HumanMessage("hi", id="h1")],
                source="input",
                run_id=f"run-{thread_id}",
                metadata=says_mallory,
            )
        )

    mine = mirrored(database_url, owned)
    assert mine["conversation"][0][1] == alice.id
    assert [(a[0], a[1]) for a in mine["audit"]] == [(alice.id, "run.started")]
    nobodys = mirrored(database_url, unowned)
    assert nobodys["conversation"][0][1] is None
    assert [(a[0], a[1]) for a in nobodys["audit"]] == [(None, "run.started")]

    # the principal the server recorded, when there is one, is the actor
    await mirror.after_checkpoint(
        event=event(
            owned,
            [HumanMessage("hi", id="h1")],
            source="update",
            actor=alice.id,
            metadata={"source": "update"},
        )
    )
    assert [(a[0], a[1]) for a in mirrored(database_url, owned)["audit"]] == [
        (alice.id, "run.started"),
        (alice.id, "state.updated"),
    ]


@pytest.mark.parametrize(
    ("document", "complaint"),
    [
        ({"key": "nda", "version": "2a"}, "document.version must be a positive integer, got '2a'"),
        ({"key": "nda", "version": 2.0}, "document.version must be a positive integer, got 2.0"),
        ({"key": "nda", "version": True}, "document.version must be a positive integer, got True"),
        ({"key": "nda", "version": -1}, "document.version must be 1 to 2147483647, got -1"),
        ({"key": "nda", "version": 2**31}, "document.version must be 1 to 2147483647"),
        ({"key": 7, "version": 1}, "document.key must be a string, got 7 (int)"),
        ({"version": 1, "jurisdiction": "x" * 11}, "jurisdiction is longer than 10 characters"),
        ({"version": 1, "citations": "none"}, "document.citations must be a list"),
        (["not", "a", "document"], "document must be an object, got ['not'"),
    ],
)
async def test_a_document_that_cannot_be_stored_is_refused_before_anything_is_written(
    mirror, database_url, document, complaint
):
    thread_id = str(uuid.uuid4())
    bad = event(thread_id, [HumanMessage("hi", id="h1")], values={"document": document})
    with pytest.raises(PermanentError) as refused:
        await mirror.after_checkpoint(event=bad)
    assert str(refused.value).startswith(f"thread {thread_id} checkpoint {bad.checkpoint_id}: ")
    assert complaint in str(refused.value)
    assert mirrored(database_url, thread_id) == {
        "conversation": [],
        "messages": [],
        "documents": [],
        "audit": [],
    }


def current_rows(held: dict) -> list[tuple]:
    """``mirrored``'s messages in their position order."""
    return sorted(held["messages"], key=lambda m: m[4])


def tool_turn(thread_id: str) -> list[CheckpointEvent | RunEvent]:
    """A tool-calling turn as the drafter makes it: the input, an AI message with tool calls
    and no text, the tool's answer, the reply with the document, the run's end."""
    h1 = HumanMessage("Draft an NDA", id="h1")
    call = AIMessage(
        "",
        id="a1",
        tool_calls=[{"name": "set_terms", "args": {"term_months": 24}, "id": "call-1"}],
    )
    answer = ToolMessage("terms set", tool_call_id="call-1", id="t1")
    reply = AIMessage("Here is your draft", id="a2")
    document = {"key": "nda", "version": 1, "type": "nda", "title": "NDA", "body": "# NDA"}
    fields = {"thread_id": thread_id, "is_head": False}
    return [
        event(
            messages=[h1],
            source="input",
            run_id=f"run-{thread_id}",
            metadata={"source": "input"},
            checkpoint_id="c1",
            event_id=1,
            **fields,
        ),
        event(messages=[h1, call], checkpoint_id="c2", event_id=2, **fields),
        event(messages=[h1, call, answer], checkpoint_id="c3", event_id=3, **fields),
        event(
            messages=None,
            values={"messages": [h1, call, answer, reply], "document": document},
            checkpoint_id="c4",
            event_id=4,
            **(fields | {"is_head": True}),
        ),
        RunEvent(
            event_id=5,
            thread_id=thread_id,
            run_id=f"run-{thread_id}",
            status="success",
            assistant_id=None,
            actor=None,
            created_at=datetime.now(UTC),
        ),
    ]


async def test_a_batch_writes_what_delivering_its_events_one_by_one_writes(mirror, database_url):
    """Tool calls and tool messages included: several threads' turns interleaved in one
    ``after_events`` call leave exactly the rows the same events delivered one at a time do."""
    alone, batched = str(uuid.uuid4()), [str(uuid.uuid4()) for _ in range(3)]
    for e in tool_turn(alone):
        if isinstance(e, RunEvent):
            await mirror.after_run(event=e)
        else:
            await mirror.after_checkpoint(event=e)
    turns = [tool_turn(thread_id) for thread_id in batched]
    await mirror.after_events([e for step in zip(*turns, strict=True) for e in step])

    expected = mirrored(database_url, alone)
    assert [m[:5] for m in expected["messages"]] == [
        ("a1", "assistant", "", True, 1),
        ("a2", "assistant", "Here is your draft", True, 3),
        ("h1", "user", "Draft an NDA", True, 0),
        ("t1", "tool", "terms set", True, 2),
    ]
    assert [m[5] for m in expected["messages"]] == ["c2", "c4", "c1", "c3"], "first seen"
    assert [a[1] for a in expected["audit"]] == ["run.started", "run.finished"]
    assert len(expected["documents"]) == 1
    calls = query(
        database_url,
        "SELECT m.tool_calls FROM messages m JOIN conversations c ON c.id = m.conversation_id "
        "WHERE c.thread_id = %s AND m.message_id = 'a1'",
        alone,
    )
    assert calls[0][0][0]["name"] == "set_terms"
    for thread_id in batched:
        got = mirrored(database_url, thread_id)
        for audit in got["audit"]:
            audit[2]["run_id"] = audit[2]["run_id"].replace(thread_id, alone)
        assert got == expected


async def test_a_refused_event_in_a_batch_is_dead_lettered_alone(pool, database_url):
    """The dispatcher hands the mirror several threads' events a call (four here); one
    thread's document cannot be stored: from that call on the events are delivered one by one,
    that thread's events with the document are dead-lettered, every other event is mirrored."""

    class State(MessagesState):
        document: dict

    builder = StateGraph(State)
    builder.add_node(
        "reply",
        lambda s: {
            "messages": [AIMessage("drafted")],
            "document": {"key": "nda", "version": s["document"]["version"], "body": "# NDA"},
        },
    )
    builder.add_edge(START, "reply")
    graph = builder.compile(checkpointer=PostgresCheckpointer(pool))
    batches: list[int] = []

    class Counting(Mirror):
        async def after_events(self, events):
            batches.append(len(events))
            await super().after_events(events)

    pm = get_plugin_manager(builtins=[("mirror", Counting(pool))])
    dispatcher = Dispatcher(pool, pm, together=4)
    await dispatcher.ensure_cursors()
    good, bad = [str(uuid.uuid4()) for _ in range(3)], str(uuid.uuid4())
    for thread_id in [*good[:2], bad, good[2]]:
        version = "x" if thread_id == bad else 1
        await graph.ainvoke(
            {"messages": [HumanMessage("hi", id="h1")], "document": {"version": version}},
            {"configurable": {"thread_id": thread_id}},
        )
    await dispatcher.drain()

    assert max(batches) == 4, "several threads' events in one call, at most together=4"
    for thread_id in good:
        got = mirrored(database_url, thread_id)
        assert [(m[1], m[3]) for m in current_rows(got)] == [("user", True), ("assistant", True)]
        assert ("nda", 1) in [d[:2] for d in got["documents"]]
    letters = query(
        database_url,
        "SELECT e.thread_id, l.error FROM hook_dead_letters l "
        "JOIN hook_events e ON e.id = l.event_id ORDER BY l.id",
    )
    assert letters, "the bad document is dead-lettered"
    assert {thread_id for thread_id, _ in letters} == {bad}
    assert all("document.version must be a positive integer" in error for _, error in letters)


async def test_a_message_another_mirror_rewrote_is_written_again(pool, database_url):
    """A mirror does not send a message whose stored row it knows would not change, but only
    while nothing else wrote the conversation: two dispatchers (two processes) taking turns on a
    thread each write the state they were given."""
    first, second = Mirror(pool), Mirror(pool)
    thread = str(uuid.uuid4())

    def contents() -> list[tuple[str, str]]:
        return [(m[0], m[2]) for m in mirrored(database_url, thread)["messages"]]

    hello = HumanMessage("hello", id="h")
    await first.after_events([event(thread, [hello, AIMessage("draft one", id="a")])])
    # the other mirror rewrites the answer (an update_state with the same message id)
    await second.after_events([event(thread, [hello, AIMessage("draft two", id="a")])])
    assert contents() == [("a", "draft two"), ("h", "hello")]
    # the first mirror's next event holds its own earlier content again: written, not skipped
    await first.after_events([event(thread, [hello, AIMessage("draft one", id="a")])])
    assert contents() == [("a", "draft one"), ("h", "hello")]
    # and unchanged messages are not sent again by the mirror that stored them: a row it
    # knows is left as it is (its content changed behind the mirror's back, and no other
    # transaction wrote the conversation, so the mirror still believes its own write)
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE messages SET content = 'tampered' WHERE message_id = 'h'")
    await first.after_events([event(thread, [hello, AIMessage("draft one", id="a")])])
    assert contents() == [("a", "draft one"), ("h", "tampered")]


async def test_messages_a_rollback_deleted_are_written_again_when_they_come_back(
    pool, database_url, mirror
):
    """The rows ``forget_orphans`` deletes are forgotten by the mirror that remembered them."""
    thread = str(uuid.uuid4())
    hello, answer = HumanMessage("hello", id="h"), AIMessage("draft", id="a")
    first = event(thread, [hello, answer], checkpoint_id="00000001-gone")
    await mirror.after_events([first])
    # the checkpoint that held them is gone (a rolled-back run), and the head no longer has
    # the answer: its row is an orphan, deleted
    await mirror.after_events([event(thread, [hello], checkpoint_id="00000002-head")])
    assert [m[0] for m in mirrored(database_url, thread)["messages"]] == ["h"]
    # the same message comes back: it is stored again, not taken for still stored
    await mirror.after_events([event(thread, [hello, answer], checkpoint_id="00000003-head")])
    assert [m[0] for m in mirrored(database_url, thread)["messages"]] == ["a", "h"]
