"""Contract test for the one place that patches langgraph-api: fails loudly on an upgrade."""

from __future__ import annotations

import inspect
import os
from importlib.metadata import version

from langgraph.checkpoint.base import BaseCheckpointSaver

from server import compat

# langgraph-api reads its configuration at import time; these are what `langgraph dev` sets.
for _name, _value in {
    "REDIS_URI": "fake",
    "DATABASE_URI": ":memory:",
    "MIGRATIONS_PATH": "__inmem",
}.items():
    os.environ.setdefault(_name, _value)


def test_pinned_version_is_installed():
    assert version("langgraph-api") == compat.SUPPORTED_LANGGRAPH_API


def test_adapter_still_lacks_sync_methods_and_wraps_an_inner_saver():
    cls = compat.adapter_class()
    source = inspect.getsource(cls)
    assert "self._inner = inner" in source
    for name in ("aget_tuple", "alist", "aput", "aput_writes", "adelete_thread"):
        assert name in cls.__dict__, f"adapter no longer defines {name}"
    if not compat._installed:
        for name in compat.SYNC_METHODS:
            assert name not in cls.__dict__, f"adapter now defines {name}: drop the patch"
            assert getattr(cls, name) is getattr(BaseCheckpointSaver, name)


def test_install_patches_every_sync_method_once():
    compat.install()
    compat.install()
    cls = compat.adapter_class()
    for name in compat.SYNC_METHODS:
        assert cls.__dict__[name] is compat._IMPLEMENTATIONS[name]


def test_registry_wraps_ops_that_exist_with_the_shapes_it_relies_on():
    from langgraph_runtime_inmem import database, ops

    from server import registry

    assert version("langgraph-runtime-inmem") == registry.SUPPORTED_RUNTIME
    for class_name, method, _ in registry.WRAPPED_OPS:
        function = inspect.unwrap(getattr(getattr(ops, class_name), method))
        function = getattr(function, "__adlaan_wrapped__", function)
        params = list(inspect.signature(function).parameters)
        assert params[0] == "conn", (class_name, method, params)
        if method == "set_status" and class_name == "Runs":
            assert params[1:3] == ["run_id", "status"]
        if method == "set_joint_status":
            assert params[1:4] == ["thread_id", "run_id", "run_status"]
    store = database.GLOBAL_STORE
    for key in ("threads", "assistants", "assistant_versions", "runs"):
        assert key in store, key
