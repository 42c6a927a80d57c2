"""Encryption at rest for langgraph-runtime-pg's own tables under ``adlaan serve`` (helper module of
``server/runtime/pg.py``: ``install()`` is called from ``pg.install()`` once the runtime is patched).

With ``ADLAAN_ENCRYPTION_KEY`` set, the columns of the runtime's tables that hold what a
conversation says are stored sealed (``store/crypto.py``, AES-SIV, the mirror's cipher):

- ``threads.values`` (the state after each run), ``threads.interrupts``, ``threads.error``,
  ``runs.kwargs`` (a run's input, config and context) and ``crons.payload`` (the run a cron
  starts): the runtime reads and writes them through its SQLAlchemy models (``ops.py``), so their
  column type becomes ``SealedJSONB``, a ``TypeDecorator`` that seals on bind (the JSON value
  becomes a JSON string ``enc1:...``) and unseals on result; a value without the prefix (written
  before the key was set) is read as it is;
- the LangGraph store's ``store.value`` (langgraph's ``AsyncPostgresStore``, which the runtime
  opens in ``setup_store``): the store's ``abatch`` puts ``{"adlaan-enc1": "enc1:..."}`` and
  reads the item back; a put is never indexed for semantic search (its embedding would keep
  what the value says).

What no longer works with a key, because PostgreSQL sees only ciphertext there: ``threads.search``
by ``values`` (finds nothing), store search ``filter`` on a value's fields (finds nothing) and
semantic store search (nothing is indexed). Metadata (threads', runs', crons', assistants') stays
plaintext: the auth filters, ownership and the hooks outbox match on it.

Without a key nothing is changed. Each patched target is checked against the source it was
written for (``KNOWN_SOURCES``; ``tests/unit/test_runtime_pg_seal_contract.py``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

from server.runtime.pg import UnsupportedRuntime, _runtime, _source_hash
from store import crypto

logger = logging.getLogger("adlaan.runtime.pg_seal")

#: ``table.column`` of the runtime's models whose values are sealed with a key.
SEALED_COLUMNS: dict[str, tuple[str, ...]] = {
    "ThreadRow": ("values", "interrupts", "error"),
    "RunRow": ("kwargs",),
    "CronRow": ("payload",),
}


class SealedJSONB(TypeDecorator):
    """JSONB whose value is stored as a JSON string holding its encrypted JSON text."""

    impl = JSONB
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return crypto.seal_json_text(value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return crypto.unseal_json(value)


def sealing_abatch(abatch: Callable) -> Callable:
    """``abatch`` of a store whose puts are sealed (and never indexed) and whose items are read
    back unsealed."""
    from langgraph.store.base import Item, PutOp

    @functools.wraps(abatch)
    async def sealed(ops: Iterable[Any]) -> list[Any]:
        ops = [
            op._replace(value=crypto.seal_object(dict(op.value)), index=False)
            if isinstance(op, PutOp) and op.value is not None
            else op
            for op in ops
        ]
        results = await abatch(ops)
        for result in results:
            for item in result if isinstance(result, list) else (result,):
                if isinstance(item, Item):
                    item.value = crypto.unseal_object(item.value)
        return results

    sealed.__adlaan_wrapped__ = abatch  # type: ignore[attr-defined]
    return sealed


def seal_store(store: Any) -> Any:
    """Make ``store`` (the runtime's ``AsyncPostgresStore``) seal what it puts (once)."""
    if getattr(store.abatch, "__adlaan_wrapped__", None) is None:
        store.abatch = sealing_abatch(store.abatch)
    return store


def _wrap_setup_store(op: Callable) -> Callable:
    @functools.wraps(op)
    async def setup_store() -> Any:
        return seal_store(await op())

    return setup_store


# -- targets and their sources ----------------------------------------------------------------
def _targets() -> dict[str, Any]:
    """``name -> the object as found`` for every patched target."""
    from langgraph.store.postgres.aio import AsyncPostgresStore

    models, store = _runtime("models"), _runtime("store")
    found: dict[str, Any] = {f"models.{name}": getattr(models, name) for name in SEALED_COLUMNS}
    found["store.setup_store"] = store.setup_store
    # imports setup_store at each call, so it calls the wrapper
    found["database.start_pool"] = _runtime("database").start_pool
    found["AsyncPostgresStore.abatch"] = AsyncPostgresStore.abatch
    return found


#: sha256 (first 16 hex digits) of each target's source (langgraph-runtime-pg 0.11.1.post1,
#: langgraph-checkpoint-postgres 3.2.0).
KNOWN_SOURCES: dict[str, str] = {
    "models.ThreadRow": "b0a70af860b36d58",
    "models.RunRow": "d67407266e7d2990",
    "models.CronRow": "5ff4c5eef91f6891",
    "store.setup_store": "41b9703a92d43180",
    "database.start_pool": "94f2b65b1cacf1c8",
    "AsyncPostgresStore.abatch": "db3da92e2355c456",
}


def changed_targets() -> list[str]:
    """The targets whose source is not the one this module was written for."""
    return [
        name
        for name, found in _targets().items()
        if _source_hash(getattr(found, "__adlaan_wrapped__", found)) != KNOWN_SOURCES[name]
    ]


_installed = False


def install() -> None:
    """Seal the runtime's conversation columns and its store's values when a key is configured
    (the keyring the settings configured); without one, change nothing."""
    global _installed
    from server.settings import get_settings

    if _installed or get_settings().keyring() is None:  # (get_settings configures crypto)
        return
    if changed := changed_targets():
        raise UnsupportedRuntime(
            "langgraph-runtime-pg changed where server/runtime/pg_seal.py seals its tables: "
            f"{', '.join(changed)}; re-check them (docs/security.md, 'Encryption at rest')"
        )
    models, store = _runtime("models"), _runtime("store")
    for model, columns in SEALED_COLUMNS.items():
        table = getattr(models, model).__table__
        for column in columns:
            table.c[column].type = SealedJSONB()
    if getattr(store.setup_store, "__adlaan_wrapped__", None) is None:
        wrapper: Any = _wrap_setup_store(store.setup_store)
        wrapper.__adlaan_wrapped__ = store.setup_store
        store.setup_store = wrapper
    if store._STORE is not None:  # opened already (not at start-up)
        seal_store(store._STORE)
    _installed = True
    logger.info("encryption at rest: the runtime's conversation columns and store are sealed")
