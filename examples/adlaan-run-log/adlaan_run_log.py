"""An example third-party plugin: one JSON line per finished run in ``$ADLAAN_RUN_LOG``.

Install it (``pip install -e examples/adlaan-run-log``) and allow it (``HOOKS_ALLOW=run_log``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from hooks import hookimpl


@hookimpl
def after_run(event):
    """Append the run's outcome; the dispatcher retries this if the disk is full, for instance."""
    path = Path(os.environ.get("ADLAAN_RUN_LOG", "adlaan-runs.jsonl"))
    line = {"thread_id": event.thread_id, "run_id": event.run_id, "status": event.status}
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")
