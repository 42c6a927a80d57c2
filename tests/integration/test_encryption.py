"""Encryption at rest (``ADLAAN_ENCRYPTION_KEY``): the real server with a key writes no plaintext
of a conversation to any table, reads it back decrypted through the API, and `adlaan db
rotate-key` re-encrypts everything under a new key."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql

from server.settings import RESOLVED_URL_ENV, Settings
from store import crypto
from tests.integration.test_mirror import wait_for_mirror
from tests.server import LangGraphServer

pytestmark = pytest.mark.integration

WORD = "Zorblaxian"
SENTENCE = f"I need to draft an NDA with {WORD} Holdings about our quasar-pickle recipe"


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


KEY = new_key()

#: Column types a conversation's text could sit in.
TYPES = ("text", "character varying", "bytea", "jsonb", "json", "tsvector", "character")


def plaintext_columns(url: str, needles: tuple[str, ...]) -> list[str]:
    """``table.column`` of every column of every table (outside PostgreSQL's own schemas) that
    holds any of ``needles``, as text or as UTF-8 bytes."""
    found = []
    with psycopg.connect(url, autocommit=True) as conn:
        columns = conn.execute(
            "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND data_type = ANY(%s) "
            "AND table_name IN (SELECT table_name FROM information_schema.tables "
            "                   WHERE table_type = 'BASE TABLE')",
            (list(TYPES),),
        ).fetchall()
        for schema, table, column, kind in columns:
            name = sql.Identifier(schema, table)
            col = sql.Identifier(column)
            for needle in needles:
                if kind == "bytea":  # as written, or lower case
                    test = sql.SQL(
                        "position(convert_to({n}, 'UTF8') in {c}) > 0 "
                        "OR position(convert_to(lower({n}), 'UTF8') in {c}) > 0"
                    ).format(n=sql.Literal(needle), c=col)
                else:
                    test = sql.SQL("{c}::text ILIKE {n}").format(
                        c=col, n=sql.Literal(f"%{needle}%")
                    )
                query = sql.SQL("SELECT EXISTS (SELECT 1 FROM {t} WHERE {test})").format(
                    t=name, test=test
                )
                if conn.execute(query).fetchone()[0]:
                    found.append(f"{table}.{column}")
    return sorted(set(found))


def test_the_scan_finds_plaintext_in_every_kind_of_column(database_url):
    """The scanner itself can fail: text, bytea and jsonb holding the word are all reported."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE scan_probe (t text, b bytea, j jsonb)")
        try:
            conn.execute(
                "INSERT INTO scan_probe VALUES (%s, %s, %s)",
                (SENTENCE, b"\x00\xff" + WORD.encode() + b"\x01", f'{{"k": "{WORD}"}}'),
            )
            assert {
                "scan_probe.t",
                "scan_probe.b",
                "scan_probe.j",
            } <= set(plaintext_columns(database_url, (WORD,)))
        finally:
            conn.execute("DROP TABLE scan_probe")


@pytest.fixture(scope="module")
def encrypted(module_database_url, tmp_path_factory):
    srv = LangGraphServer(
        module_database_url,
        tmp_path_factory.mktemp("encrypted"),
        extra_env={"ADLAAN_ENCRYPTION_KEY": KEY, "LOGIN_MAX_ATTEMPTS_PER_CLIENT": "100000"},
    )
    srv.start()
    yield srv
    srv.stop()


async def conversation(srv: LangGraphServer) -> tuple[str, dict]:
    client = srv.client()
    thread_id = (await client.threads.create())["thread_id"]
    for text in (SENTENCE, "Make it for California jurisdiction"):
        await client.runs.wait(
            thread_id, "drafter", input={"messages": [{"role": "user", "content": text}]}
        )
    return thread_id, (await client.threads.get_state(thread_id))["values"]


def api(srv: LangGraphServer, path: str):
    response = httpx.get(f"{srv.url}{path}", headers=srv.headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def refused(srv: LangGraphServer, path: str, status: int) -> str:
    response = httpx.get(f"{srv.url}{path}", headers=srv.headers, timeout=30)
    assert response.status_code == status, response.text
    return response.json()["detail"]


def rotate(url: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    bin_dir = Path(sys.executable).parent
    return subprocess.run(
        [str(bin_dir / "adlaan"), "db", "rotate-key"],
        env={RESOLVED_URL_ENV: url, "PATH": str(bin_dir), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_no_plaintext_at_rest_and_the_api_reads_it_decrypted(encrypted, database_url):
    thread_id, values = await conversation(encrypted)
    assert values["messages"][0]["content"] == SENTENCE, "the graph reads its state back"
    # a store item (the development server writes it through to its registry, pickled)
    client = encrypted.client()
    await client.store.put_item(
        [encrypted.user.id, "notes"], "recipe", {"text": f"{WORD} brine for the pickles"}
    )
    wait_for_mirror(database_url)

    assert plaintext_columns(database_url, (SENTENCE, WORD, "quasar-pickle")) == []

    messages = api(encrypted, f"/api/v1/conversations/{thread_id}/messages")
    assert messages[0]["content"] == SENTENCE
    versions = api(encrypted, f"/api/v1/conversations/{thread_id}/documents")
    latest = api(encrypted, f"/api/v1/documents/{versions[-1]['id']}")
    assert latest["body"] == values["document"]["body"]
    assert latest["title"] == values["document"]["title"]
    # full-text search is off with a key (its index would hold ciphertext): a 409 that says so
    for path in (f"/api/v1/search?q={WORD}", "/api/v1/search/documents?q=California"):
        assert "ADLAAN_ENCRYPTION_KEY" in refused(encrypted, path, 409)
    with psycopg.connect(database_url) as conn:
        stored = conn.execute(
            "SELECT type FROM checkpoint_blobs WHERE thread_id = %s AND blob IS NOT NULL "
            "AND blob <> ''::bytea",
            (thread_id,),
        ).fetchall()
    assert stored and all("+aes" in kind for (kind,) in stored), stored
    with psycopg.connect(database_url) as conn:
        payloads = conn.execute(
            "SELECT kind, payload FROM api_registry WHERE payload <> ''::bytea"
        ).fetchall()
    assert {"thread", "store_item"} <= {kind for kind, _ in payloads}, payloads
    assert all(bytes(p).startswith(crypto.BYTES_PREFIX) for _, p in payloads)

    # the development server's own files (its pickles, written at SIGTERM) hold no plaintext
    # either, and are read back: its finished runs are only there (the registry drops them)
    runs = [r["run_id"] for r in await client.runs.list(thread_id)]
    encrypted.stop()
    files = runtime_files(encrypted.workdir)
    assert {f.name for f in files} >= {".langgraph_ops.pckl", "store.pckl"}, files
    assert plaintext_files(files, (SENTENCE, WORD, "quasar-pickle")) == []
    assert all(f.read_bytes().find(crypto.BYTES_PREFIX) > 0 for f in files if f.suffix == ".pckl")
    encrypted.start()
    client = encrypted.client()
    assert [r["run_id"] for r in await client.runs.list(thread_id)] == runs
    item = await client.store.get_item([encrypted.user.id, "notes"], "recipe")
    assert item["value"]["text"] == f"{WORD} brine for the pickles"

    # rotation: a new key, the old one only read; afterwards the new key alone reads everything
    encrypted.stop()
    new = new_key()
    missing = rotate(database_url, {"ADLAAN_ENCRYPTION_KEY": new})
    assert missing.returncode != 0 and "ADLAAN_ENCRYPTION_OLD_KEYS" in missing.stderr
    done = rotate(database_url, {"ADLAAN_ENCRYPTION_KEY": new, "ADLAAN_ENCRYPTION_OLD_KEYS": KEY})
    assert done.returncode == 0, done.stderr
    encrypted.extra_env["ADLAAN_ENCRYPTION_KEY"] = new
    encrypted.start()
    state = await encrypted.client().threads.get_state(thread_id)
    assert state["values"]["messages"][0]["content"] == SENTENCE
    assert state["values"]["document"] == values["document"]
    messages = api(encrypted, f"/api/v1/conversations/{thread_id}/messages")
    assert messages[0]["content"] == SENTENCE
    assert api(encrypted, f"/api/v1/documents/{versions[-1]['id']}")["body"] == latest["body"]
    item = await encrypted.client().store.get_item([encrypted.user.id, "notes"], "recipe")
    assert item["value"]["text"] == f"{WORD} brine for the pickles"
    assert plaintext_columns(database_url, (SENTENCE, WORD)) == []
    # the pickles were sealed with the old key, which this start does not have: they are left
    # as they are (never overwritten), it says so, and the registry restored the rest (above)
    assert "encrypted with a key that is not configured" in encrypted.log()
    encrypted.stop()
    assert plaintext_files(runtime_files(encrypted.workdir), (SENTENCE, WORD)) == []


def runtime_files(workdir: Path) -> list[Path]:
    """Every file the development server keeps in its runtime directory."""
    return sorted(p for p in (workdir / ".langgraph_api").resolve().rglob("*") if p.is_file())


def plaintext_files(files: list[Path], needles: tuple[str, ...]) -> list[str]:
    """The files that hold any of ``needles`` as UTF-8 bytes (as written or lower case)."""
    return [
        f.name
        for f in files
        if any(
            n.encode() in f.read_bytes() or n.lower().encode() in f.read_bytes() for n in needles
        )
    ]


def test_the_file_scan_finds_plaintext(tmp_path):
    """The file scanner itself can fail: a pickle holding the word is reported."""
    import pickle

    (tmp_path / ".langgraph_api").mkdir()
    (tmp_path / ".langgraph_api" / "store.pckl").write_bytes(pickle.dumps({"k": SENTENCE}))
    assert plaintext_files(runtime_files(tmp_path), (WORD,)) == ["store.pckl"]


def test_a_bad_key_is_a_clear_configuration_error():
    for bad, says in (("not base64!", "not valid base64"), ("c2hvcnQ=", "32 bytes, got 5")):
        with pytest.raises(ValueError, match=says) as raised:
            Settings(ADLAAN_ENCRYPTION_KEY=bad)
        messages = [error["msg"] for error in raised.value.errors()]  # type: ignore[attr-defined]
        assert bad not in str(messages), "what `adlaan` shows never repeats the key"
    assert Settings().keyring() is None and crypto.saver_kwargs(None) == {}


def test_runtime_files_are_sealed_read_back_and_never_overwritten_unread(tmp_path):
    """A ``PersistentDict`` (the dev runtime's files) with a key: a whole pickle of ciphertext
    that the stock loader opens with the key; another key leaves it pending (loaded empty, never
    overwritten) until a key that opens it is configured."""
    import pickle

    from langgraph.checkpoint.memory import PersistentDict

    previous = crypto.keyring()
    path = str(tmp_path / "probe.pckl")
    ring = crypto.Keyring(os.urandom(32))
    try:
        crypto.configure(ring)
        crypto.seal_pickles()
        written = PersistentDict(dict, filename=path)
        written["thread"] = {"text": SENTENCE}
        written.sync()
        stored = Path(path).read_bytes()
        assert WORD.encode() not in stored and crypto.BYTES_PREFIX in stored
        assert pickle.loads(stored) == {"thread": {"text": SENTENCE}}  # noqa: S301

        crypto.configure(crypto.Keyring(os.urandom(32)))  # another key: cannot open it
        other = PersistentDict(dict, filename=path)
        other.load()
        assert dict(other) == {}
        other["new"] = 1
        other.sync()
        assert Path(path).read_bytes() == stored, "a file it could not open is left as it was"

        crypto.configure(crypto.Keyring(os.urandom(32), [ring.current]))  # the old key, read
        opened, failed = crypto.open_pending()
        assert opened == {"probe.pckl": {"thread": {"text": SENTENCE}}} and failed == []
        other.update(opened["probe.pckl"])
        other.sync()
        assert Path(path).read_bytes() != stored and WORD.encode() not in Path(path).read_bytes()
    finally:
        crypto._pending.pop("probe.pckl", None)
        crypto.configure(previous)


#: sha256 (first 16 hex digits) of the ``PersistentDict`` methods ``store.crypto.seal_pickles``
#: relies on (langgraph-checkpoint): ``dump`` is wrapped; ``load`` must unpickle with the stock
#: ``pickle.load`` and ``update`` the dict; ``sync`` must write through ``dump``.
PERSISTENT_DICT_SOURCES = {
    "load": "4c9d5d189536ae2c",
    "dump": "fc21cc1654bc6032",
    "sync": "bada6248aeffd440",
}


@pytest.mark.parametrize("method", sorted(PERSISTENT_DICT_SOURCES))
def test_the_runtime_files_are_written_as_seal_pickles_expects(method):
    import hashlib
    import inspect

    from langgraph.checkpoint.memory import PersistentDict

    found = getattr(PersistentDict, method)
    found = getattr(found, "__adlaan_wrapped__", found)
    assert (
        hashlib.sha256(inspect.getsource(found).encode()).hexdigest()[:16]
        == PERSISTENT_DICT_SOURCES[method]
    ), f"langgraph-checkpoint changed PersistentDict.{method}: re-check store.crypto.seal_pickles"
