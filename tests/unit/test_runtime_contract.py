"""Contract tests for ``server/runtime/``, the one place that touches langgraph-api's and its
runtime's internals: one test (or one parametrized case) per private symbol patched or relied on,
each failing when an upgrade renames it or changes the shape the package relies on."""

from __future__ import annotations

import inspect
import tomllib
import typing
from dataclasses import fields
from importlib.metadata import version
from pathlib import Path

import pytest
from langgraph.checkpoint.base import BaseCheckpointSaver

from server import runtime
from server.runtime import adapter, inmem
from tests.unit.runtime_env import use_dev_env

use_dev_env()  # before anything imports langgraph-api

ROOT = Path(__file__).resolve().parents[2]


# -- the one pin ------------------------------------------------------------------------------
@pytest.mark.parametrize("distribution", sorted(runtime.PINNED))
def test_pinned_version_is_installed(distribution):
    assert version(distribution) == runtime.PINNED[distribution]


def test_pyproject_pins_the_same_versions():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pins = dict(d.split("==", 1) for d in pyproject["project"]["dependencies"] if "==" in d)
    for distribution, pinned in runtime.PINNED.items():
        assert pins.get(distribution) == pinned, distribution


def test_patches_refuse_other_versions(monkeypatch):
    monkeypatch.setattr(runtime, "version", lambda name: "0.0.1")
    with pytest.raises(runtime.UnsupportedVersion, match=r"langgraph-api 0\.16\.7, found 0\.0\.1"):
        runtime.require_pinned("langgraph-api")
    before = {(s.cls, s.method): _op_attribute(s) for s in inmem.WRAPPED_OPS}
    with pytest.raises(runtime.UnsupportedVersion, match="langgraph-runtime-inmem"):
        inmem.install(_recording_listeners([]))
    assert {(s.cls, s.method): _op_attribute(s) for s in inmem.WRAPPED_OPS} == before
    assert inmem._listeners is None
    if not adapter._installed:
        with pytest.raises(runtime.UnsupportedVersion, match="langgraph-api"):
            adapter.install()


# -- langgraph_api._checkpointer._adapter._CustomCheckpointerAdapter (patched) ------------------
def test_adapter_still_lacks_sync_methods_and_wraps_an_inner_saver():
    cls = adapter.adapter_class()
    source = inspect.getsource(cls)
    assert "self._inner = inner" in source
    for name in ("aget_tuple", "alist", "aput", "aput_writes", "adelete_thread"):
        assert name in cls.__dict__, f"adapter no longer defines {name}"
    if not adapter._installed:
        for name in adapter.SYNC_METHODS:
            assert name not in cls.__dict__, f"adapter now defines {name}: drop the patch"
            assert getattr(cls, name) is getattr(BaseCheckpointSaver, name)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("aget_tuple", ["self", "config"]),
        ("alist", ["self", "config", "filter", "before", "limit"]),
        ("aput", ["self", "config", "checkpoint", "metadata", "new_versions"]),
        ("aput_writes", ["self", "config", "writes", "task_id", "task_path"]),
        ("adelete_thread", ["self", "thread_id"]),
    ],
)
def test_adapter_async_methods_take_what_the_sync_ones_pass(name, params):
    assert list(inspect.signature(getattr(adapter.adapter_class(), name)).parameters) == params


def test_install_patches_every_sync_method_once():
    adapter.install()
    adapter.install()
    cls = adapter.adapter_class()
    for name in adapter.SYNC_METHODS:
        assert cls.__dict__[name] is adapter._IMPLEMENTATIONS[name]


# -- langgraph_api._checkpointer.get_checkpointer (called) ------------------------------------
def test_get_checkpointer_is_a_coroutine_needing_no_arguments():
    from langgraph_api._checkpointer import get_checkpointer

    assert inspect.iscoroutinefunction(get_checkpointer)
    for param in inspect.signature(get_checkpointer).parameters.values():
        assert param.default is not inspect.Parameter.empty, param


# -- langgraph_api.utils.get_auth_ctx (called) ------------------------------------------------
def test_get_auth_ctx_needs_no_arguments_and_is_empty_outside_a_request():
    from langgraph_api.utils import get_auth_ctx

    assert not inspect.signature(get_auth_ctx).parameters
    assert get_auth_ctx() is None
    assert runtime.current_identity() is None


# -- langgraph_runtime_inmem.database.GLOBAL_STORE (read and written) ---------------------------
def test_global_store_holds_the_collections_the_registry_reads():
    from langgraph_runtime_inmem import database

    store = runtime.runtime_store()
    assert store is database.GLOBAL_STORE
    for key in ("threads", "assistants", "assistant_versions", "runs"):
        assert key in store, key


# -- langgraph_runtime.database.connect (called) ------------------------------------------------
async def test_connect_yields_a_connection_onto_the_global_store():
    from langgraph_runtime.database import connect
    from langgraph_runtime_inmem.database import GLOBAL_STORE

    async with connect() as conn:
        assert inmem._store_of(conn) is GLOBAL_STORE
        assert conn.store is GLOBAL_STORE


# -- langgraph_runtime.ops is the inmem runtime's ops (what delete/prune go through) -------------
def test_runtime_facade_is_the_wrapped_inmem_runtime():
    from langgraph_runtime.ops import Threads
    from langgraph_runtime_inmem import ops

    assert Threads is ops.Threads


# -- langgraph_runtime.ops.Threads.prune (called) -----------------------------------------------
def test_threads_prune_takes_ids_and_a_delete_strategy():
    from langgraph_runtime.ops import Threads

    assert isinstance(inspect.getattr_static(Threads, "prune"), staticmethod)
    params = inspect.signature(Threads.prune).parameters
    assert list(params)[:2] == ["thread_ids", "strategy"]
    assert "delete" in str(params["strategy"].annotation)
    assert inspect.iscoroutinefunction(Threads.prune)


# -- langgraph_runtime_inmem.ops.<Class>.<method> (each wrapped) ------------------------------
def _op_attribute(spec: inmem.WrappedOp):
    from langgraph_runtime_inmem import ops

    return getattr(ops, spec.cls).__dict__[spec.method]


def _original(spec: inmem.WrappedOp):
    function = _op_attribute(spec).__func__
    return getattr(function, "__adlaan_wrapped__", function)


@pytest.mark.parametrize("spec", inmem.WRAPPED_OPS, ids=lambda s: f"{s.cls}.{s.method}")
def test_wrapped_op_has_the_shape_its_wrapper_relies_on(spec):
    assert isinstance(_op_attribute(spec), staticmethod), "no longer a staticmethod"
    function = _original(spec)
    assert inspect.iscoroutinefunction(function)
    params = list(inspect.signature(function).parameters)
    assert params[: len(spec.params)] == list(spec.params), params
    returns = str(inspect.signature(function).return_annotation)
    if spec.method in ("set_status", "set_joint_status", "set_next_run_date"):
        assert returns == "None", returns
    else:  # the wrapper awaits the op, then iterates what it returns
        assert returns.startswith("AsyncIterator["), returns


def test_terminal_statuses_are_the_runtimes_own():
    from langgraph_api.schema import RunStatus

    assert set(typing.get_args(RunStatus)) - {"pending", "running"} == set(
        runtime.TERMINAL_RUN_STATUSES
    )
    (joint,) = [
        s for s in inmem.WRAPPED_OPS if (s.cls, s.method) == ("Threads", "set_joint_status")
    ]
    assert "rollback" in str(
        inspect.signature(_original(joint)).parameters["run_status"].annotation
    )


def _recording_listeners(calls: list) -> inmem.Listeners:
    def record(event):
        async def listener(*args):
            calls.append((event, args))

        return listener

    return inmem.Listeners(**{f.name: record(f.name) for f in fields(inmem.Listeners)})


def test_install_wraps_each_op_once_and_keeps_the_original(monkeypatch):
    from langgraph_runtime_inmem import ops

    for spec in inmem.WRAPPED_OPS:  # restored after the test
        monkeypatch.setattr(getattr(ops, spec.cls), spec.method, _op_attribute(spec))
    originals = {(s.cls, s.method): _original(s) for s in inmem.WRAPPED_OPS}
    try:
        inmem.install(_recording_listeners([]))
        wrapped = {(s.cls, s.method): _op_attribute(s).__func__ for s in inmem.WRAPPED_OPS}
        inmem.install(_recording_listeners([]))
        for spec in inmem.WRAPPED_OPS:
            function = _op_attribute(spec).__func__
            assert function is wrapped[spec.cls, spec.method], "wrapped twice"
            assert function.__adlaan_wrapped__ is originals[spec.cls, spec.method]
    finally:
        inmem.uninstall()


# -- langgraph_runtime_inmem.ops.Threads.delete on an id that is no UUID (skipped by us) ---------
async def test_threads_delete_refuses_an_id_that_is_no_uuid():
    (delete,) = [s for s in inmem.WRAPPED_OPS if (s.cls, s.method) == ("Threads", "delete")]

    class Conn:
        store: typing.ClassVar[dict[str, list]] = {"threads": [], "runs": [], "crons": []}

    with pytest.raises(ValueError, match="UUID"):
        await _original(delete)(Conn(), "user-123-session-456")


async def test_delete_threads_skips_ids_that_are_no_uuid(monkeypatch):
    from langgraph_runtime_inmem import ops

    asked = []

    async def delete(conn, thread_id, ctx=None):
        asked.append(thread_id)

        async def deleted():
            yield thread_id

        return deleted()

    monkeypatch.setattr(ops.Threads, "delete", staticmethod(delete))
    thread_id = "1f0c6a52-3c4e-4a8e-9b1d-2a6f5e7c8d90"
    await runtime.delete_threads(["user-123-session-456", thread_id, "old-x"])
    assert asked == [thread_id]


# -- langgraph_runtime_inmem.store.DiskBackedInMemStore (batch, abatch, _data) ------------------
def test_the_store_keeps_its_items_where_the_write_through_reads_them():
    from langgraph.store.base import PutOp
    from langgraph.store.memory import InMemoryStore

    cls = inmem.store_class()
    assert issubclass(cls, InMemoryStore)
    for name in ("batch", "abatch"):
        method = getattr(cls, name)
        original = getattr(method, "__adlaan_wrapped__", method)
        assert list(inspect.signature(original).parameters) == ["self", "ops"]
    store = cls.__new__(cls)
    InMemoryStore.__init__(store)  # its items in memory only (its own __init__ reads the pickle)
    store.batch([PutOp(("user-1", "notes"), "k", {"text": "hello"})])
    item = store._data[("user-1", "notes")]["k"]
    assert item.value == {"text": "hello"} and item.created_at and item.updated_at
    assert inmem._store_changes(store, [PutOp(("user-1", "notes"), "k", None)])[0].item is None
