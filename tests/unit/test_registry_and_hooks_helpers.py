"""The pure parts of the registry, the dispatcher and the mirror (no database): which runs are
stateless, how a thread is rebuilt from checkpoint metadata, which threads are unstuck, who an
event's actor is, and what text PostgreSQL accepts. Their database-backed logic is tested in
tests/integration/test_registry_restore.py, test_dispatcher.py and test_mirror_plugin.py."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from hooks import metrics
from hooks.builtin.mirror import clean_text
from hooks.dispatcher import _actor
from server.registry import Registry, is_temporary


def test_a_run_is_temporary_only_when_its_kwargs_say_so():
    assert is_temporary({"kwargs": {"temporary": True}})
    assert not is_temporary({"kwargs": {"temporary": False}})
    assert not is_temporary({"kwargs": None})
    assert not is_temporary({})


def test_a_thread_rebuilt_from_checkpoint_metadata_keeps_only_the_threads_own_metadata():
    thread_id = str(uuid.uuid4())
    created, updated = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)
    thread = Registry.thread_from_checkpoint(
        {
            "thread_id": thread_id,
            "created_at": created,
            "updated_at": updated,
            "metadata": {
                "matter": "acme",
                "owner": "user-1",
                "source": "loop",
                "step": 3,
                "run_id": "r",
                "langgraph_auth_user_id": "user-1",
                "x-request-id": "abc",
            },
        }
    )
    assert thread == {
        "thread_id": uuid.UUID(thread_id),
        "created_at": created,
        "updated_at": updated,
        "state_updated_at": updated,
        "metadata": {"matter": "acme", "owner": "user-1"},
        "status": "idle",
        "config": {},
        "values": None,
    }
    bare = {"thread_id": thread_id, "created_at": None, "updated_at": None, "metadata": None}
    assert Registry.thread_from_checkpoint(bare)["metadata"] == {}


def test_unstick_frees_busy_threads_that_no_pending_or_running_run_holds():
    held, waiting, stuck, idle = (uuid.uuid4() for _ in range(4))
    store = {
        "threads": [
            {"thread_id": t, "status": s}
            for t, s in ((held, "busy"), (waiting, "busy"), (stuck, "busy"), (idle, "idle"))
        ],
        "runs": [
            {"thread_id": held, "status": "running"},
            {"thread_id": waiting, "status": "pending"},
            {"thread_id": stuck, "status": "error"},
        ],
    }
    assert Registry._unstick(store) == 1
    assert [t["status"] for t in store["threads"]] == ["busy", "busy", "idle", "idle"]
    assert Registry._unstick(store) == 0


def test_the_actor_is_a_non_empty_string_under_the_one_key_the_server_writes():
    principal = "langgraph_auth_user_id"
    assert _actor({principal: "u1", "user_id": "mallory"}, principal) == "u1"
    assert _actor({"user_id": "mallory"}, principal) is None
    assert _actor({"owner": ""}, "owner") is None
    assert _actor({"owner": ["u1"]}, "owner") is None


def test_clean_text_replaces_only_what_postgresql_refuses():
    assert clean_text("plain, ünïcode and emoji 🙂") == ("plain, ünïcode and emoji 🙂", False)
    assert clean_text("nul\x00 and lone \udc00") == ("nul\ufffd and lone \ufffd", True)


def test_rounds_wait_longer_as_they_take_longer_up_to_the_cap():
    """``Dispatcher.apart``: ``linger`` after a quick round, ``duty`` times a slow round's
    duration, never more than ``max_linger``."""
    from hooks.dispatcher import Dispatcher

    dispatcher = Dispatcher.__new__(Dispatcher)
    dispatcher.linger, dispatcher.max_linger, dispatcher.duty = 0.05, 0.15, 10.0
    assert dispatcher.apart(0.001) == 0.05
    assert dispatcher.apart(0.008) == 0.08
    assert dispatcher.apart(0.5) == 0.15


def test_a_child_dispatchers_observations_are_recorded_by_the_server_and_nothing_else():
    lag = metrics.MIRROR_LAG.labels(plugin="unit-forwarded")
    failures = metrics.HOOK_FAILURES.labels(plugin="unit-forwarded", kind="transient")
    sent: list[dict] = []
    metrics.forward_to(sent.append)
    try:  # in the child: observations are sent, not recorded
        metrics.delivered("unit-forwarded", datetime.now(UTC))
        metrics.failed("unit-forwarded", "transient")
    finally:
        metrics.forward_to(None)
    assert _count(lag) == 0 and failures._value.get() == 0
    assert [sorted(o) for o in sent] == [["lag", "plugin"], ["failed", "plugin"]]
    # in the server: what the child sent is recorded as its own
    assert all(metrics.record(json.loads(json.dumps(o))) for o in sent)
    assert _count(lag) == 1 and failures._value.get() == 1
    # a line that is not an observation records nothing
    for junk in (
        None,
        "text",
        {"lag": 1.0},
        {"plugin": "p", "lag": -1},
        {"plugin": "p"},
        {"plugin": "p", "lag": True},
        {"plugin": "p", "failed": "made-up"},
    ):
        assert not metrics.record(junk)
    assert _count(lag) == 1 and failures._value.get() == 1


def _count(histogram) -> float:
    return next(
        s.value for m in histogram.collect() for s in m.samples if s.name.endswith("_count")
    )
