"""Encryption at rest under `adlaan serve` (``ADLAAN_ENCRYPTION_KEY``): two real processes on one
database write no plaintext of a conversation, a store item, a run's input or a cron's payload to
any table (langgraph-runtime-pg's ``threads``, ``runs``, ``crons``, the LangGraph store's
``store``: ``server/runtime/pg_seal.py``; checkpoints and the mirror as on `langgraph dev`), and
each reads back, through the SDK, what the other wrote."""

from __future__ import annotations

import os

import psycopg
import pytest
from psycopg import sql

from store import crypto
from tests.accounts import make_user
from tests.conftest import _database
from tests.integration.test_encryption import new_key, plaintext_columns, rotate
from tests.integration.test_mirror import wait_for_mirror
from tests.serve import ServeServer, redis_url, skip_reason

REDIS = redis_url(int(os.environ.get("TEST_REDIS_DB", "9")))
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(bool(skip_reason(REDIS)), reason=skip_reason(REDIS) or ""),
]

WORD = "Vexmoorian"
SENTENCE = f"Please draft an NDA with {WORD} Orchards about our moonlit-cider method"
OTHER = "Quillfarthing"
KEY = new_key()


@pytest.fixture(scope="module")
def service(admin_url, tmp_path_factory):
    """Two `adlaan serve` processes with a key, on a database of their own."""
    with _database(admin_url, "adlaan_enc_serve") as url:
        env = {"ADLAAN_ENCRYPTION_KEY": KEY, "LOGIN_MAX_ATTEMPTS_PER_CLIENT": "100000"}
        a = ServeServer(url, tmp_path_factory.mktemp("enc_serve_a"), REDIS, env)
        b = ServeServer(url, tmp_path_factory.mktemp("enc_serve_b"), REDIS, env)
        try:
            a.launch()
            b.launch()
            a.wait_ready()
            b.wait_ready()
            a.user = b.user = make_user(url)
            yield url, a, b
        finally:
            a.stop()
            b.stop()


def sealed_values(url: str) -> dict[str, list]:
    """The runtime's sealed columns as stored (their JSON), by ``table.column``."""
    found = {}
    with psycopg.connect(url) as conn:
        for table, column in (
            ("threads", "values"),
            ("runs", "kwargs"),
            ("crons", "payload"),
            ("store", "value"),
        ):
            found[f"{table}.{column}"] = [
                row[0]
                for row in conn.execute(
                    sql.SQL("SELECT {c} FROM {t} WHERE {c} IS NOT NULL").format(
                        c=sql.Identifier(column), t=sql.Identifier(table)
                    )
                ).fetchall()
            ]
    return found


async def test_no_plaintext_in_the_runtime_tables_and_the_other_process_reads_it(service):
    url, a, b = service
    writer, reader = a.client(), b.client()
    thread_id = (await writer.threads.create())["thread_id"]
    run = await writer.runs.create(
        thread_id, "drafter", input={"messages": [{"role": "user", "content": SENTENCE}]}
    )
    await writer.runs.join(thread_id, run["run_id"])
    me = a.user.id
    await writer.store.put_item([me, "notes"], "recipe", {"text": f"{WORD} cider, cold"})
    cron = await writer.crons.create_for_thread(
        thread_id,
        "drafter",
        schedule="0 0 1 1 *",
        input={"messages": [{"role": "user", "content": f"Remind {WORD} of the renewal"}]},
    )
    wait_for_mirror(url)

    assert plaintext_columns(url, (SENTENCE, WORD, "moonlit-cider")) == []
    stored = sealed_values(url)
    for column in ("threads.values", "runs.kwargs", "crons.payload", "store.value"):
        assert stored[column], f"{column}: nothing stored, nothing tested"
    assert all(
        isinstance(v, str) and v.startswith(crypto.TEXT_PREFIX)
        for column in ("threads.values", "runs.kwargs", "crons.payload")
        for v in stored[column]
    ), stored
    assert all(set(v) == {"adlaan-enc1"} for v in stored["store.value"])

    # the other process reads it all back in the clear
    state = await reader.threads.get_state(thread_id)
    assert state["values"]["messages"][0]["content"] == SENTENCE
    thread = await reader.threads.get(thread_id)
    assert thread["values"]["messages"][0]["content"] == SENTENCE
    got = await reader.runs.get(thread_id, run["run_id"])
    assert got["status"] == "success"
    assert got["kwargs"]["input"]["messages"][0]["content"] == SENTENCE
    item = await reader.store.get_item([me, "notes"], "recipe")
    assert item["value"] == {"text": f"{WORD} cider, cold"}
    found = await reader.store.search_items([me, "notes"])
    assert [i["value"] for i in found["items"]] == [{"text": f"{WORD} cider, cold"}]
    crons = await reader.crons.search(thread_id=thread_id)
    assert [c["payload"]["input"]["messages"][0]["content"] for c in crons] == [
        f"Remind {WORD} of the renewal"
    ]
    # a second turn through the reader: the thread's sealed state is read and written again
    second = f"Make it for California jurisdiction, {OTHER} witnessing"
    await reader.runs.wait(
        thread_id, "drafter", input={"messages": [{"role": "user", "content": second}]}
    )
    history = await writer.threads.get_history(thread_id, limit=50)
    assert any(m["content"] == SENTENCE for s in history for m in s["values"].get("messages", []))
    copied = await writer.threads.copy(thread_id)
    assert (await reader.threads.get(copied["thread_id"]))["values"]["messages"][0][
        "content"
    ] == SENTENCE
    await writer.crons.delete(cron["cron_id"])
    assert plaintext_columns(url, (SENTENCE, WORD, "moonlit-cider", OTHER)) == []

    # rotation: ``adlaan db rotate-key`` re-encrypts the runtime's sealed columns too (with
    # the checkpoints, the mirror and the registry) under a new key, which alone then reads
    # everything back
    a.stop()
    b.stop()
    new = new_key()
    stored = sealed_values(url)
    done = rotate(url, {"ADLAAN_ENCRYPTION_KEY": new, "ADLAAN_ENCRYPTION_OLD_KEYS": KEY})
    assert done.returncode == 0, done.stderr
    after = sealed_values(url)
    assert stored["threads.values"] and stored["runs.kwargs"] and stored["store.value"]
    for column, values in stored.items():
        assert not set(map(str, values)) & set(map(str, after[column])), column
    for server in (a, b):
        server.extra_env["ADLAAN_ENCRYPTION_KEY"] = new
    a.start()
    b.start()
    reader = b.client()
    assert (await reader.threads.get(thread_id))["values"]["messages"][0]["content"] == SENTENCE
    got = await reader.runs.get(thread_id, run["run_id"])
    assert got["kwargs"]["input"]["messages"][0]["content"] == SENTENCE
    item = await reader.store.get_item([me, "notes"], "recipe")
    assert item["value"] == {"text": f"{WORD} cider, cold"}
    state = await a.client().threads.get_state(thread_id)
    assert state["values"]["messages"][0]["content"] == SENTENCE
    assert plaintext_columns(url, (SENTENCE, WORD, "moonlit-cider", OTHER)) == []
