"""Contract tests for ``server/runtime/pg_seal.py`` (encryption at rest of langgraph-runtime-pg's
tables under ``adlaan serve``): one case per patched target, failing when an upgrade changes its
source, and what the seal promises, checked without a server
(``tests/integration/test_encryption_serve.py`` checks it through two real ones)."""

from __future__ import annotations

import asyncio
import json
import os

import pytest

from server.runtime import pg, pg_seal
from store import crypto
from tests.unit.runtime_env import use_dev_env

use_dev_env()  # before anything imports langgraph-api

pytestmark = pytest.mark.skipif(
    not pg.available(),
    reason="langgraph-runtime-pg is not installed (`adlaan serve` needs it: docs/serving.md)",
)


@pytest.fixture
def ring():
    previous = crypto.keyring()
    ring = crypto.Keyring(os.urandom(32))
    crypto.configure(ring)
    yield ring
    crypto.configure(previous)


@pytest.mark.parametrize("target", sorted(pg_seal.KNOWN_SOURCES))
def test_sealed_target_is_the_one_the_seal_was_written_for(target):
    found = pg_seal._targets()[target]
    original = getattr(found, "__adlaan_wrapped__", found)
    assert pg_seal._source_hash(original) == pg_seal.KNOWN_SOURCES[target], (
        f"langgraph-runtime-pg changed {target}: re-check server/runtime/pg_seal.py "
        "(which columns hold conversation text, how the store is opened), then update KNOWN_SOURCES"
    )


def test_every_target_has_a_known_source():
    assert set(pg_seal.KNOWN_SOURCES) == set(pg_seal._targets())


def test_the_sealed_columns_exist_as_jsonb():
    from sqlalchemy.dialects.postgresql import JSONB

    models = pg_seal._runtime("models")
    for model, columns in pg_seal.SEALED_COLUMNS.items():
        table = getattr(models, model).__table__
        for column in columns:
            kind = table.c[column].type
            assert isinstance(kind, (JSONB, pg_seal.SealedJSONB)), (model, column, kind)


def test_store_imports_setup_store_at_each_call():
    """``start_pool`` must look ``setup_store`` up when it runs, or it would miss the wrapper."""
    import inspect

    source = inspect.getsource(pg_seal._runtime("database").start_pool)
    assert "from langgraph_runtime_pg.store import setup_store" in source


def _settings(ring):
    """Settings whose keyring is ``ring`` (what ``install`` asks them)."""
    return type("Settings", (), {"keyring": lambda self: ring})()


def test_install_changes_nothing_without_a_key(monkeypatch):
    from sqlalchemy.dialects.postgresql import JSONB

    monkeypatch.setattr(pg_seal, "_installed", False)
    monkeypatch.setattr("server.settings.get_settings", lambda: _settings(None))
    store = pg_seal._runtime("store")
    before = store.setup_store
    pg_seal.install()
    assert not pg_seal._installed and store.setup_store is before
    assert type(pg_seal._runtime("models").ThreadRow.__table__.c["values"].type) is JSONB


def test_install_refuses_a_changed_target(monkeypatch, ring):
    monkeypatch.setattr(pg_seal, "_installed", False)
    monkeypatch.setitem(pg_seal.KNOWN_SOURCES, "models.RunRow", "0" * 16)
    monkeypatch.setattr("server.settings.get_settings", lambda: _settings(ring))
    with pytest.raises(pg.UnsupportedRuntime, match=r"models\.RunRow"):
        pg_seal.install()


def test_a_sealed_column_round_trips_and_holds_no_plaintext(ring):
    column = pg_seal.SealedJSONB()
    value = {"messages": [{"content": "the Zorblaxian recipe"}]}
    stored = column.process_bind_param(value, None)
    assert isinstance(stored, str) and stored.startswith(crypto.TEXT_PREFIX)
    assert "Zorblaxian" not in json.dumps(stored)
    assert column.process_result_value(stored, None) == value
    assert column.process_bind_param(None, None) is None
    # a row written before the key was set is read as it is
    assert column.process_result_value(value, None) == value


def test_without_a_key_a_sealed_column_passes_values_through():
    previous = crypto.keyring()
    crypto.configure(None)
    try:
        assert pg_seal.SealedJSONB().process_bind_param({"a": 1}, None) == {"a": 1}
    finally:
        crypto.configure(previous)


def test_the_store_seals_puts_and_unseals_items(ring):
    from langgraph.store.base import GetOp, Item, PutOp, SearchItem, SearchOp

    stored: dict = {}

    async def abatch(ops):
        results = []
        for op in ops:
            if isinstance(op, PutOp):
                assert op.index is False, "never indexed: an embedding keeps what it says"
                stored[op.key] = op.value
                results.append(None)
            elif isinstance(op, GetOp):
                results.append(
                    Item(
                        value=stored[op.key],
                        key=op.key,
                        namespace=op.namespace,
                        created_at="2026-01-01T00:00:00+00:00",
                        updated_at="2026-01-01T00:00:00+00:00",
                    )
                )
            else:
                results.append(
                    [
                        SearchItem(
                            namespace=("u",),
                            key=k,
                            value=v,
                            created_at="2026-01-01T00:00:00+00:00",
                            updated_at="2026-01-01T00:00:00+00:00",
                        )
                        for k, v in stored.items()
                    ]
                )
        return results

    sealed = pg_seal.sealing_abatch(abatch)
    value = {"text": "Zorblaxian brine"}
    got = asyncio.run(sealed([PutOp(("u",), "k", value), GetOp(("u",), "k"), SearchOp(("u",))]))
    assert "Zorblaxian" not in json.dumps(stored["k"]) and set(stored["k"]) == {crypto.OBJECT_KEY}
    assert got[1].value == value and got[2][0].value == value
    # an item written before the key was set is read as it is
    assert crypto.unseal_object({"text": "plain"}) == {"text": "plain"}
