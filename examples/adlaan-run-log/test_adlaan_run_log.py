"""The example plugin, registered through a real plugin manager as Adlaan registers it."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import adlaan_run_log

from hooks.events import RunEvent
from hooks.manager import get_plugin_manager


def test_a_finished_run_is_logged(tmp_path, monkeypatch):
    log = tmp_path / "runs.jsonl"
    monkeypatch.setenv("ADLAAN_RUN_LOG", str(log))
    pm = get_plugin_manager(builtins=[("run_log", adlaan_run_log)])
    event = RunEvent(
        event_id=1,
        thread_id="t1",
        run_id="r1",
        status="success",
        assistant_id=None,
        actor=None,
        created_at=datetime.now(UTC),
    )
    pm.hook.after_run(event=event)
    assert [json.loads(line) for line in log.read_text().splitlines()] == [
        {"thread_id": "t1", "run_id": "r1", "status": "success"}
    ]
