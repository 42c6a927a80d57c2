"""Contract tests for ``server/runtime/pg.py``, the patches ``adlaan serve`` applies to
langgraph-runtime-pg: one case per patched function, failing when an upgrade changes its source
(re-check the patch, docs/serving.md), and what each patch promises, checked without a server
(``tests/integration/test_serve.py`` checks them through two real ones)."""

from __future__ import annotations

import asyncio
import inspect
from importlib.metadata import version
from types import SimpleNamespace

import pytest

from server.runtime import pg
from tests.unit.runtime_env import use_dev_env

use_dev_env()  # before anything imports langgraph-api

pytestmark = pytest.mark.skipif(
    not pg.available(),
    reason="langgraph-runtime-pg is not installed (`adlaan serve` needs it: docs/serving.md)",
)


@pytest.mark.parametrize("distribution", sorted(pg.PINNED))
def test_pinned_version_is_installed(distribution):
    assert version(distribution) == pg.PINNED[distribution]


@pytest.mark.parametrize("target", sorted(pg.KNOWN_SOURCES))
def test_patched_function_is_the_one_the_patch_was_written_for(target):
    _, _, found = pg._targets()[target]
    original = getattr(found, "__adlaan_wrapped__", found)
    assert pg._source_hash(original) == pg.KNOWN_SOURCES[target], (
        f"langgraph-runtime-pg changed {target}: re-check its patch in server/runtime/pg.py "
        "(docs/serving.md), then update KNOWN_SOURCES"
    )


def test_every_target_has_a_wrapper_and_a_known_source():
    assert set(pg._WRAPPERS) == set(pg.KNOWN_SOURCES) == set(pg._targets())


def test_install_refuses_another_version(monkeypatch):
    monkeypatch.setattr(pg, "version", lambda name: "0.0.1")
    with pytest.raises(pg.UnsupportedRuntime, match=r"found 0\.0\.1"):
        pg.require_pinned()


def test_install_refuses_a_changed_target(monkeypatch):
    monkeypatch.setattr(pg, "_installed", False)
    monkeypatch.setitem(pg.KNOWN_SOURCES, "ops.Runs.put", "0" * 16)
    with pytest.raises(pg.UnsupportedRuntime, match=r"ops\.Runs\.put"):
        pg.install()


@pytest.fixture(scope="module")
def installed():
    pg.install()
    pg.install()  # once per process, whatever the number of calls
    return pg._targets()


def test_install_wraps_each_target_once(installed):
    for name, (owner, attribute, found) in installed.items():
        if name == "database.start_pool":  # patch 13 replaces what start_pool calls
            assert getattr(owner, attribute).__adlaan_wrapped__ is found
            assert not hasattr(found, "__adlaan_wrapped__")
            continue
        original = found.__adlaan_wrapped__
        assert not hasattr(original, "__adlaan_wrapped__"), name
        assert getattr(owner, attribute) is not original, name


# -- 1. Runs.put: the user object in runs.kwargs ---------------------------------------------
def test_runs_put_still_takes_kwargs_third(installed):
    original = installed["ops.Runs.put"][2].__adlaan_wrapped__
    assert list(inspect.signature(original).parameters)[:3] == ["conn", "assistant_id", "kwargs"]


def test_the_authenticated_user_becomes_json():
    from starlette.authentication import SimpleUser

    kwargs = {"config": {"configurable": {"langgraph_auth_user": SimpleUser("ana"), "x": 1}}}
    converted = pg.jsonable_auth_user(kwargs)
    assert converted["config"]["configurable"] == {
        "langgraph_auth_user": {
            "identity": "ana",
            "is_authenticated": True,
            "display_name": "ana",
        },
        "x": 1,
    }
    assert isinstance(kwargs["config"]["configurable"]["langgraph_auth_user"], SimpleUser)
    assert pg.jsonable_auth_user({"input": {}}) == {"input": {}}


# -- 2. Store before start_pool ----------------------------------------------------------------
def test_store_asked_before_the_pool_is_a_stand_in_resolved_at_use(installed):
    owner, attribute, _ = installed["store.Store"]
    assert owner._STORE is None
    store = getattr(owner, attribute)()  # what EnsureStoreAccessible does at lifespan start
    with pytest.raises(RuntimeError, match="setup_store"):
        asyncio.run(store.abatch([]))


# -- 6. Runs.cancel(reason=) -------------------------------------------------------------------
def test_runs_cancel_still_lacks_reason_and_the_patch_accepts_it(installed):
    original = installed["ops.Runs.cancel"][2].__adlaan_wrapped__
    assert "reason" not in inspect.signature(original).parameters  # else: drop patch 6
    owner, attribute, _ = installed["ops.Runs.cancel"]
    patched = inspect.signature(getattr(owner, attribute), follow_wrapped=False)
    assert "reason" in patched.parameters


# -- 7. Crons.update(clear_end_time=) ----------------------------------------------------------
def test_crons_update_still_lacks_clear_end_time(installed):
    original = installed["ops.Crons.update"][2].__adlaan_wrapped__
    assert "clear_end_time" not in inspect.signature(original).parameters  # else: drop patch 7
    params = list(inspect.signature(original).parameters)
    assert set(pg._CRON_FIELDS) <= set(params)


def test_clearing_the_end_time_sets_it_to_null(installed):
    owner, attribute, _ = installed["ops._apply_cron_updates"]
    apply = getattr(owner, attribute)
    row = SimpleNamespace(end_time="2030-01-01", metadata_={"owner": "ana"})
    args = (None, None, None, None, None, {}, None, "cron", None, None)  # metadata={} only
    apply(row, *args)
    assert row.end_time == "2030-01-01" and row.metadata_ == {"owner": "ana"}
    token = pg._clearing_end_time.set(True)
    try:
        apply(row, *args)
    finally:
        pg._clearing_end_time.reset(token)
    assert row.end_time is None and row.metadata_ == {"owner": "ana"}


# -- 8. Crons.put: the metadata the auth handler stamps ----------------------------------------
def test_cron_metadata_survives_the_op_s_empty_default():
    metadata = pg._CronMetadata()
    assert (metadata or {}) is metadata


def test_handle_event_gives_a_cron_being_created_its_metadata(installed, monkeypatch):
    owner, attribute, found = installed["ops.Crons.handle_event"]
    seen = {}

    async def handler(cls, ctx, action, value):  # an owner-stamping handler, as server/auth.py
        value["metadata"]["owner"] = "ana"
        seen.update(value)

    wrapper = pg._wrap_handle_event(handler)
    metadata = pg._CronMetadata()
    token = pg._cron_metadata.set(metadata)
    try:
        asyncio.run(wrapper(owner, None, "create", {"schedule": "* * * * *"}))
    finally:
        pg._cron_metadata.reset(token)
    assert metadata == {"owner": "ana"} and seen["metadata"] is metadata
    # the runtime's handler is the one the patch wraps
    assert getattr(owner, attribute).__func__.__adlaan_wrapped__ is found.__adlaan_wrapped__


# -- 9. drain on shutdown ----------------------------------------------------------------------
def test_shutdown_grace_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(pg.SHUTDOWN_GRACE_ENV, "12")
    assert pg.shutdown_grace_seconds() == 12
    monkeypatch.delenv(pg.SHUTDOWN_GRACE_ENV)
    assert pg.shutdown_grace_seconds() == 0


def test_shutdown_workers_still_cancels_the_workers_it_is_given(installed):
    original = installed["queue._shutdown_workers"][2].__adlaan_wrapped__
    assert list(inspect.signature(original).parameters) == ["webhooks"]
    source = inspect.getsource(original)
    assert "_workers_snapshot()" in source and "task.cancel()" in source


def test_the_runtime_s_runs_have_the_columns_our_trigger_and_retention_name():
    # store/repositories/runtime_tables.py: the run-event trigger and the retention of runs
    models = pg._runtime("models")
    runs = models.RunRow.__table__.c
    for column in ("run_id", "thread_id", "assistant_id", "status", "metadata", "updated_at"):
        assert column in runs, column
    assert list(models.RetryCounterRow.__table__.c.keys()) == ["run_id", "count"]


def test_the_worker_still_ends_a_run_by_updating_its_status():
    # the trigger fires on that UPDATE; a rollback deletes the run (no event, as on dev)
    source = inspect.getsource(pg._runtime("ops").Threads.set_joint_status)
    assert "run.status = run_status" in source
    assert "session.delete(run)" in source


# -- 10. no idle saver pool under a custom checkpointer ---------------------------------------
def test_the_runtime_s_ops_ask_langgraph_api_for_a_custom_checkpointer():
    # what makes the runtime's own saver unused when langgraph.json names ours (patch 10)
    source = inspect.getsource(pg._runtime("ops")._get_checkpointer)
    assert "USE_CUSTOM_CHECKPOINTER" in source and "get_checkpointer()" in source
    # ... and start_pool finds setup_checkpointer on its module at each call (so the patch holds)
    start_pool = inspect.getsource(pg._runtime("database").start_pool)
    assert "from langgraph_runtime_pg.checkpoint import setup_checkpointer" in start_pool


def test_setup_checkpointer_opens_nothing_under_a_custom_checkpointer(installed, monkeypatch):
    owner, attribute, found = installed["checkpoint.setup_checkpointer"]
    calls = []

    async def original():
        calls.append(1)
        return "saver"

    wrapper = pg._wrap_setup_checkpointer(original)
    monkeypatch.setattr(pg, "custom_checkpointer", lambda: True)
    assert asyncio.run(wrapper()) is None and calls == []
    monkeypatch.setattr(pg, "custom_checkpointer", lambda: False)
    assert asyncio.run(wrapper()) == "saver" and calls == [1]
    assert getattr(owner, attribute).__adlaan_wrapped__ is found.__adlaan_wrapped__


# -- 11. poll again at once only after a full claim ------------------------------------------
def test_claim_and_dispatch_takes_a_runner_a_run_it_claims(installed):
    # what the patch counts: runners taken with get_nowait, as many as Runs.next may claim
    source = inspect.getsource(installed["queue._claim_and_dispatch"][2].__adlaan_wrapped__)
    assert "ops.Runs.next(wait=False, limit=runners.qsize())" in source
    assert source.count("runners.get_nowait()") == 1
    assert "claimed = run" in source
    # ... and the queue loop polls at once only when it returns a run
    tick = inspect.getsource(pg._runtime("queue")._queue_tick)
    assert "if run is None and last_stats_secs is not None:" in tick
    assert "await wait_for_queue_wake(timeout=0.5)" in tick


@pytest.mark.parametrize(("free", "pending", "again"), [(3, 1, False), (3, 0, False), (2, 5, True)])
def test_the_queue_polls_again_at_once_only_when_every_free_runner_got_a_run(free, pending, again):
    runners: asyncio.Queue = asyncio.Queue()
    for n in range(free):
        runners.put_nowait(n)

    async def claim_and_dispatch(runners, loop, cleanup, last_run):  # the runtime's, in short
        claimed = last_run
        for run in [f"run-{n}" for n in range(pending)][: runners.qsize()]:
            claimed = run
            runners.get_nowait()
        return claimed

    claimed = asyncio.run(
        pg._wrap_claim_and_dispatch(claim_and_dispatch)(runners, None, None, None)
    )
    assert (claimed is not None) is again
    assert runners.qsize() == free - min(free, pending)


# -- 12. a run's end in two statements -------------------------------------------------------
def test_set_joint_status_still_writes_what_the_patch_writes(installed):
    # the patch writes these, in the runtime's words; a change to any of them: re-check it
    source = inspect.getsource(installed["ops.Threads.set_joint_status"][2].__adlaan_wrapped__)
    for line in (
        "_thread_status_from_checkpoint(\n            checkpoint, exception, ignore_user_control=True",
        'RunRow.status.in_(("pending", "running"))',
        'meta["graph_id"] = graph_id',
        'thread.status = "busy" if pending else base_thread_status',
        "thread.updated_at = now",
        "thread.state_updated_at = now",
        "thread.interrupts = interrupts",
        "thread.error = error",
        "if checkpoint is not None:\n                thread.values_ = values",
        "run.status = run_status",
        "run.updated_at = now",
        'if run_status == "rollback":',
        "run is None or run.thread_id != thread_id",
    ):
        assert line in source, line
    assert tuple(pg.LIVE_RUN_STATUSES) == ("pending", "running")
    # the columns it names
    models = pg._runtime("models")
    threads = models.ThreadRow.__table__.c
    for column in ("metadata", "status", "updated_at", "state_updated_at", "interrupts", "error"):
        assert column in threads, column
    assert "values" in threads and "updated_at" in models.RunRow.__table__.c


# -- 13. no ping before each session -----------------------------------------------------------
def test_start_pool_still_builds_its_engine_with_a_pre_ping(installed):
    source = inspect.getsource(pg._runtime("database").start_pool)
    assert "engine = create_async_engine(" in source and "pool_pre_ping=True" in source


def test_the_engine_is_built_without_pings_and_refuses_closed_connections(installed):
    from sqlalchemy import exc

    database = pg._runtime("database")
    engine = database.create_async_engine(
        "postgresql+asyncpg://nobody@127.0.0.1:1/none", pool_pre_ping=True
    )
    try:
        assert engine.sync_engine.pool._pre_ping is False
    finally:
        asyncio.run(engine.dispose())

    class Driver:
        def __init__(self, closed: bool) -> None:
            self.closed = closed

        def is_closed(self) -> bool:
            return self.closed

    pg.refuse_closed(SimpleNamespace(driver_connection=Driver(False)), None, None)
    with pytest.raises(exc.DisconnectionError):
        pg.refuse_closed(SimpleNamespace(driver_connection=Driver(True)), None, None)
