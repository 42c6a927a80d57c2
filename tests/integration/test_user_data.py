"""One user's data (docs/data-lifecycle.md): `GET /api/v1/me/export` and `adlaan users export`
give them a zip of their conversations (messages as JSON, documents as .docx, audit entries) and
nobody else's; `adlaan users erase` asks first, then removes every trace of them: afterwards no
column of any table (the checkpoint tables' blobs read as bytes included) holds their id, their
e-mail or a sentence only they wrote (nor in the tables of `adlaan serve`'s runtime and store,
when the database has them), while another user's data is intact; and the development server,
restarted with an empty runtime directory as the docs say, writes no trace of them to its files
while it serves the other user's history and store items again."""

from __future__ import annotations

import asyncio
import io
import json
import time
import uuid
import zipfile

import httpx
import psycopg
import pytest
from psycopg import sql

from tests.accounts import PASSWORD, make_user
from tests.integration.test_backup import adlaan, user
from tests.integration.test_mirror import wait_for_mirror

pytestmark = pytest.mark.integration
#: Sentences nobody but their author wrote, to look for everywhere.
ALICE_SAYS = "Draft an NDA for the Quokka-Zanzibar-7731 merger"
BOB_SAYS = "Draft an NDA for the Pelican-Orinoco-4410 venture"


async def converse(server, person, text: str) -> str:
    sdk = server.client(person)
    thread = (await sdk.threads.create())["thread_id"]
    await sdk.runs.wait(thread, "drafter", input=user(text))
    await sdk.runs.wait(thread, "drafter", input=user("Make it for California jurisdiction"))
    await sdk.store.put_item([person.id, "notes"], "matter", {"said": text})
    return thread


def serve_rows(url: str, person, thread: str, text: str) -> None:
    """Rows of ``person`` in the tables `adlaan serve`'s runtime keeps (its threads, runs, crons,
    assistants and store), as that runtime writes them, in the same database."""
    owner = json.dumps({"owner": person.id})
    assistant, run, cron = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO threads (thread_id, status, metadata, values) VALUES (%s, 'idle', %s, %s)",
            (thread, owner, json.dumps({"messages": [{"content": text}]})),
        )
        conn.execute(
            "INSERT INTO assistants (assistant_id, version, graph_id, name, metadata) "
            "VALUES (%s, 1, 'drafter', 'mine', %s)",
            (assistant, owner),
        )
        conn.execute(
            "INSERT INTO runs (run_id, thread_id, assistant_id, status, metadata, kwargs) "
            "VALUES (%s, %s, %s, 'success', %s, %s)",
            (run, thread, assistant, owner, json.dumps({"input": text})),
        )
        conn.execute(
            "INSERT INTO crons (cron_id, assistant_id, thread_id, schedule, user_id, metadata, "
            "payload) VALUES (%s, %s, %s, '0 3 * * *', %s, %s, %s)",
            (cron, assistant, thread, person.id, owner, json.dumps({"input": text})),
        )
        for table in ("store", "store_items"):
            conn.execute(
                f"INSERT INTO {table} (prefix, key, value) VALUES (%s, 'matter', %s)",
                (f"{person.id}.notes", json.dumps({"said": text})),
            )


def export_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def check_export(files: dict[str, bytes], person, thread: str) -> None:
    assert json.loads(files["user.json"])["email"] == person.email
    messages = json.loads(files[f"conversations/{thread}/messages.json"])
    assert any(ALICE_SAYS in m["content"] for m in messages)
    docs = [n for n in files if n.startswith(f"conversations/{thread}/documents/")]
    assert docs and all(n.endswith(".docx") for n in docs)
    assert all(files[n][:2] == b"PK" for n in docs), "each document is a Word file"
    audit = json.loads(files["audit.json"])
    assert any(e["actor"] == person.id for e in audit)
    everything = b"".join(files.values())
    assert BOB_SAYS.encode() not in everything, "nobody else's data"


def traces(url: str, markers: list[str]) -> list[str]:
    """Every (table, column) of the database where a value holds one of ``markers``: text as
    text, bytea as raw bytes (checkpoint blobs and writes: msgpack keeps strings as UTF-8),
    anything else as its text; a UUID also in its 16-byte form."""
    needles = [m.encode() for m in markers]
    needles += [uuid.UUID(m).bytes for m in markers if _is_uuid(m)]
    found = []
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' "
            "AND table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
        for schema, table in tables:
            cur = conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(schema, table)))
            columns = [c.name for c in cur.description or ()]
            for row in cur:
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    raw = bytes(value) if isinstance(value, bytes | memoryview) else None
                    raw = raw if raw is not None else json.dumps(value, default=str).encode()
                    if isinstance(value, str):
                        raw += value.encode()
                    if any(n in raw for n in needles):
                        found.append(f"{schema}.{table}.{column}")
    return sorted(set(found))


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def test_export_then_erase_leaves_no_trace_and_spares_the_others(server, database_url, tmp_path):
    alice = server.user
    bob = make_user(database_url)
    alice_thread = asyncio.run(converse(server, alice, ALICE_SAYS))
    bob_thread = asyncio.run(converse(server, bob, BOB_SAYS))
    login = httpx.post(
        f"{server.url}/auth/login", json={"email": alice.email, "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    wait_for_mirror(database_url)
    bob_before = asyncio.run(server.client(bob).threads.get_history(bob_thread, limit=100))

    # the user's own export
    response = httpx.get(f"{server.url}/api/v1/me/export", headers=alice.headers, timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    check_export(export_of(response.content), alice, alice_thread)
    assert httpx.get(f"{server.url}/api/v1/me/export").status_code == 401

    # the administrator's export
    path = tmp_path / "alice.zip"
    done = adlaan(database_url, "users", "export", str(path), "--email", alice.email)
    assert done.returncode == 0, done.stderr
    check_export(export_of(path.read_bytes()), alice, alice_thread)
    unknown = adlaan(database_url, "users", "export", str(path), "--email", "nobody@adlaan.test")
    assert unknown.returncode == 1 and "no user" in unknown.stderr

    # as if the database also served `adlaan serve` (its runtime's tables, and its store)
    from server.runtime import pg

    pg.migrate(database_url)
    serve_rows(database_url, alice, alice_thread, ALICE_SAYS)
    serve_rows(database_url, bob, bob_thread, BOB_SAYS)

    markers = [alice.id, alice.email, ALICE_SAYS]
    assert traces(database_url, markers), "the scan finds the user before the erasure"

    # erasure asks first; "no" changes nothing
    declined = adlaan(database_url, "users", "erase", "--email", alice.email, input="n\n")
    assert declined.returncode != 0
    assert httpx.get(f"{server.url}/api/v1/conversations", headers=alice.headers).status_code == 200

    erased = adlaan(database_url, "users", "erase", "--email", alice.email, "--yes")
    assert erased.returncode == 0, erased.stderr
    assert "erased" in erased.stderr

    assert traces(database_url, markers) == []
    assert httpx.get(f"{server.url}/api/v1/conversations", headers=alice.headers).status_code == 401
    with psycopg.connect(database_url) as conn:
        entry = conn.execute(
            "SELECT target FROM audit_logs WHERE action = 'user.erased' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert entry and entry[0].startswith("erased:")

    # the other user is untouched
    bob_sdk = server.client(bob)
    assert asyncio.run(bob_sdk.threads.get_history(bob_thread, limit=100)) == bob_before
    kept = traces(database_url, [BOB_SAYS])
    for column in ("public.messages.content", "public.threads.values", "public.store.value"):
        assert column in kept, f"bob's {column} is kept"
    # the documented procedure for the development server's memory and files: stop it, start it
    # with an empty runtime directory; it takes everything back from PostgreSQL but the user
    server.stop()
    runtime_dir = server.workdir / ".langgraph_api"
    for entry in runtime_dir.iterdir():
        entry.unlink()
    server.start()
    history = server.client(bob).threads.get_history(bob_thread, limit=100)
    assert asyncio.run(history) == bob_before
    items = asyncio.run(server.client(bob).store.search_items([bob.id], limit=10))["items"]
    assert [i["value"] for i in items] == [{"said": BOB_SAYS}]
    flushed = time.monotonic() + 25
    while not (runtime_dir / ".langgraph_ops.pckl").exists() and time.monotonic() < flushed:
        time.sleep(0.5)
    at_rest = b"".join(f.read_bytes() for f in runtime_dir.iterdir() if f.is_file())
    assert BOB_SAYS.encode() in at_rest or bob.id.encode() in at_rest
    assert not any(m.encode() in at_rest for m in markers), "the runtime's files hold the user"
    bob_export = httpx.get(f"{server.url}/api/v1/me/export", headers=bob.headers, timeout=60)
    assert bob_export.status_code == 200
    files = export_of(bob_export.content)
    messages = json.loads(files[f"conversations/{bob_thread}/messages.json"])
    assert any(BOB_SAYS in m["content"] for m in messages)
