"""The drafter served by the real `langgraph dev`, driven through `langgraph_sdk` as a user would."""

from __future__ import annotations

import httpx
import pytest

from tests.accounts import make_user
from tests.integration.helpers import rejected

pytestmark = pytest.mark.integration

SEED = ["I need to draft an NDA", "Make it for California jurisdiction", "Add a 2-year term"]


def user(text):
    return {"messages": [{"role": "user", "content": text}]}


async def converse(client, thread_id, turns=SEED):
    for text in turns:
        await client.runs.wait(thread_id, "drafter", input=user(text))
    return await client.threads.get_state(thread_id)


async def turn_ends(client, thread_id):
    """Checkpoint ids at the end of each turn (no next node), oldest first, on the current branch."""
    history = await client.threads.get_history(thread_id, limit=100)
    ends = [h for h in history if not h["next"] and h["values"].get("document")]
    return [h["checkpoint"]["checkpoint_id"] for h in reversed(ends)]


@pytest.fixture
async def client(server):
    return server.client()


async def test_three_turn_conversation_continues_on_one_thread(client):
    thread = await client.threads.create(metadata={"client": "alice"})
    state = await converse(client, thread["thread_id"])
    values = state["values"]
    assert [m["type"] for m in values["messages"]] == ["human", "ai", "tool", "ai"] * 3
    assert values["messages"][1]["tool_calls"][0]["name"] == "create_document"
    assert values["document"]["version"] == 3
    assert values["document"]["terms"]["governing_law"] == "CA"
    assert values["document"]["terms"]["term_months"] == 24
    assert "California" in values["document"]["body"]
    authorities = " ".join(c["citation"] for c in values["document"]["citations"])
    assert "3426" in authorities and "1833" in authorities


async def test_history_and_state_at_an_old_checkpoint(client):
    thread_id = (await client.threads.create())["thread_id"]
    await converse(client, thread_id)
    history = await client.threads.get_history(thread_id, limit=100)
    assert len(history) >= 6
    created = [h["created_at"] for h in history]
    assert created == sorted(created, reverse=True), "history is newest first"
    first_turn = (await turn_ends(client, thread_id))[0]
    old = await client.threads.get_state(thread_id, checkpoint_id=first_turn)
    assert old["values"]["document"]["version"] == 1
    assert old["values"]["document"]["terms"].get("governing_law") is None
    assert len(old["values"]["messages"]) == 4  # the message, a tool call, its result, the reply


async def test_branch_from_turn_one_keeps_the_original_branch(client):
    thread_id = (await client.threads.create())["thread_id"]
    await converse(client, thread_id)
    first_turn, _, last_turn = await turn_ends(client, thread_id)

    fork = await client.threads.update_state(thread_id, {"messages": []}, checkpoint_id=first_turn)
    fork_id = fork["checkpoint"]["checkpoint_id"]
    await client.runs.wait(
        thread_id, "drafter", input=user("Make it for New York jurisdiction"), checkpoint_id=fork_id
    )
    branch = (await client.threads.get_state(thread_id))["values"]
    assert branch["document"]["terms"]["governing_law"] == "NY"
    assert branch["document"]["terms"].get("term_months") is None
    assert [m["content"] for m in branch["messages"] if m["type"] == "human"] == [
        SEED[0],
        "Make it for New York jurisdiction",
    ]

    original = (await client.threads.get_state(thread_id, checkpoint_id=last_turn))["values"]
    assert original["document"]["terms"]["governing_law"] == "CA"
    assert original["document"]["version"] == 3
    history = await client.threads.get_history(thread_id, limit=100)
    assert last_turn in {h["checkpoint"]["checkpoint_id"] for h in history}


async def test_replay_from_an_earlier_checkpoint_reruns_the_turn(client):
    thread_id = (await client.threads.create())["thread_id"]
    await converse(client, thread_id)
    history = await client.threads.get_history(thread_id, limit=100)
    before_turn_two = next(
        h for h in history if h["next"] and h["values"]["messages"][-1]["content"] == SEED[1]
    )
    await client.runs.wait(
        thread_id,
        "drafter",
        input=None,
        checkpoint_id=before_turn_two["checkpoint"]["checkpoint_id"],
    )
    replayed = (await client.threads.get_state(thread_id))["values"]
    assert replayed["document"]["terms"]["governing_law"] == "CA"
    assert replayed["document"]["version"] == 2
    assert replayed["document"]["terms"].get("term_months") is None


async def test_state_survives_a_server_restart(client, server):
    thread_id = (await client.threads.create())["thread_id"]
    before = await converse(client, thread_id)
    server.restart()
    client = server.client()
    after = await client.threads.get_state(thread_id)
    assert after["values"] == before["values"]
    assert after["checkpoint"] == before["checkpoint"]
    await client.runs.wait(thread_id, "drafter", input=user("Make it one-way"))
    again = (await client.threads.get_state(thread_id))["values"]
    assert again["document"]["version"] == 4
    assert again["document"]["terms"]["nda_kind"] == "one_way"


async def test_streaming_values_updates_and_message_tuples(client):
    thread_id = (await client.threads.create())["thread_id"]
    seen: dict[str, list] = {}
    async for part in client.runs.stream(
        thread_id,
        "drafter",
        input=user(SEED[0]),
        stream_mode=["values", "updates", "messages-tuple"],
    ):
        seen.setdefault(part.event.split("|")[0], []).append(part.data)
    assert {"values", "updates", "messages"} <= set(seen), seen.keys()
    assert seen["values"][-1]["document"]["version"] == 1
    assert [next(iter(u)) for u in seen["updates"]] == ["agent", "tools", "agent", "publish"]
    chunks = [data[0] for data in seen["messages"] if isinstance(data, list)]
    tokens = [c["content"] for c in chunks if c.get("type") == "AIMessageChunk" and c["content"]]
    assert len(tokens) > 10, "the reply streams token by token"
    assert "".join(tokens).startswith("Drafted a mutual NDA (version 1).")


async def test_bad_input_gets_a_4xx_and_writes_nothing(client, server):
    thread_id = (await client.threads.create())["thread_id"]
    await converse(client, thread_id, SEED[:1])
    history_before = await client.threads.get_history(thread_id, limit=100)
    threads_before = len(await client.threads.search(limit=1000))

    with rejected(422, "empty"):
        await client.runs.wait(thread_id, "drafter", input=user("   "))
    with rejected(422, "text"):
        await client.runs.wait(
            thread_id,
            "drafter",
            input={
                "messages": [
                    {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}
                ]
            },
        )
    with rejected(422, "role"):
        await client.runs.wait(
            thread_id, "drafter", input={"messages": [{"role": "wizard", "content": "hi"}]}
        )
    with rejected(404, "does not exist"):
        await client.runs.wait(thread_id, "drafter", input=user("x"), checkpoint_id="1f0-missing")
    with rejected(404, "does not exist"):
        await client.threads.get_state(thread_id, checkpoint_id="1f0-missing")
    with rejected(404, "does not exist"):
        await client.threads.update_state(thread_id, {"messages": []}, checkpoint_id="1f0-missing")
    with rejected(404):
        await client.runs.wait("00000000-0000-0000-0000-000000000000", "drafter", input=user("hi"))
    with rejected(404):
        await client.threads.get_state("00000000-0000-0000-0000-000000000000")

    async with httpx.AsyncClient(base_url=server.url, headers=server.headers) as http:
        malformed = await http.post(
            f"/threads/{thread_id}/runs/wait",
            content=b'{"assistant_id": "drafter", "input": {',
            headers={"content-type": "application/json"},
        )
        assert malformed.status_code == 400
        assert "not valid JSON" in malformed.json()["detail"]

    assert await client.threads.get_history(thread_id, limit=100) == history_before
    assert len(await client.threads.search(limit=1000)) == threads_before


# --- questions (interrupt and resume) and human edits, issue 17 -----------------------------

TWO_LAWS = (
    "Draft an NDA between Acme Inc. and Jane Doe (an individual) under California or Delaware law"
)


async def test_a_question_is_answered_with_a_command_resume(client):
    thread_id = (await client.threads.create())["thread_id"]
    asked = await client.runs.wait(thread_id, "drafter", input=user(TWO_LAWS))
    (pending,) = asked["__interrupt__"]
    assert pending["value"]["field"] == "governing_law"
    assert pending["value"]["options"] == ["California", "Delaware"]
    assert (await client.threads.get(thread_id))["status"] == "interrupted"

    await client.runs.wait(thread_id, "drafter", command={"resume": "Delaware"})
    values = (await client.threads.get_state(thread_id))["values"]
    assert values["terms"]["governing_law"] == "DE"
    assert values["document"]["parties"][1] == {"name": "Jane Doe", "kind": "individual"}
    ask = values["messages"][1]["tool_calls"][0]
    assert ask["name"] == "ask_user" and ask["args"]["question"] == pending["value"]["question"]
    answer = next(m for m in values["messages"] if m.get("name") == "ask_user")
    assert answer["type"] == "tool" and answer["content"] == "Delaware"
    assert (await client.threads.get(thread_id))["status"] == "idle"


async def test_fork_before_a_question_and_answer_it_differently(client):
    thread_id = (await client.threads.create())["thread_id"]
    await client.runs.wait(thread_id, "drafter", input=user(SEED[0]))
    (before_question,) = await turn_ends(client, thread_id)
    await client.runs.wait(thread_id, "drafter", input=user("Use California or Delaware law"))
    await client.runs.wait(thread_id, "drafter", command={"resume": "Delaware"})
    (_, delaware) = await turn_ends(client, thread_id)

    forked = await client.runs.wait(
        thread_id,
        "drafter",
        input=user("Use California or Delaware law"),
        checkpoint_id=before_question,
    )
    assert forked["__interrupt__"][0]["value"]["field"] == "governing_law"
    await client.runs.wait(thread_id, "drafter", command={"resume": "California"})
    branch = (await client.threads.get_state(thread_id))["values"]
    assert branch["terms"]["governing_law"] == "CA" and branch["document"]["version"] == 2
    original = await client.threads.get_state(thread_id, checkpoint_id=delaware)
    assert original["values"]["terms"]["governing_law"] == "DE"


async def test_the_chat_endpoint_carries_the_question_and_its_answer(server, database_url):
    account = make_user(database_url)
    async with httpx.AsyncClient(base_url=server.url, headers=account.headers, timeout=60) as http:
        asked = (await http.post("/api/v1/chat", json={"message": TWO_LAWS})).json()
        assert asked["question"] == {
            "field": "governing_law",
            "question": "Which law should govern the agreement: California or Delaware?",
            "options": ["California", "Delaware"],
        }
        assert asked["reply"] == asked["question"]["question"] and asked["document"] is None
        answered = await http.post(
            "/api/v1/chat", json={"message": "California", "thread_id": asked["thread_id"]}
        )
        assert answered.status_code == 200, answered.text
        body = answered.json()
        assert body["question"] is None
        assert body["document"]["jurisdiction"] == "CA" and body["document"]["version"] == 1
        assert body["reply"].startswith("Drafted a mutual NDA (version 1).")
        follow_up = await http.post(
            "/api/v1/chat", json={"message": "Add a 2-year term", "thread_id": asked["thread_id"]}
        )
        assert follow_up.json()["document"]["version"] == 2


async def test_an_edit_through_update_state_is_the_base_of_the_next_turn(client):
    thread_id = (await client.threads.create())["thread_id"]
    turn = [f"{SEED[0]} under California law with a 2-year term"]
    document = (await converse(client, thread_id, turn))["values"]["document"]
    edited = document["body"].replace(
        "Neither Party may assign it", "Neither Party may assign or transfer it"
    )
    await client.threads.update_state(thread_id, {"document": {"body": edited}})
    await client.runs.wait(thread_id, "drafter", input=user("Make it 3 years"))
    values = (await client.threads.get_state(thread_id))["values"]
    assert "Neither Party may assign or transfer it" in values["document"]["body"]
    assert "three (3) years (36 months)" in values["document"]["body"]
    assert values["document"]["version"] == 2 and values["terms"]["term_months"] == 36
    assert values["terms"]["governing_law"] == "CA"
