"""The dispatcher's Prometheus metrics: how long an event waits before a plugin has handled it
(the mirror's lag), and the plugins' failures. Registered on prometheus_client's global registry,
which the server's ``/metrics`` serves with the rest (``server/metrics.py``).

A dispatcher in a child process of the server (``server/hooks.py``) sends each observation to
its parent instead (``forward_to``), which records it (``record``): the server's ``/metrics``
and admin stats count every delivery, wherever it ran."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter, Histogram

#: Seconds from an event entering the outbox to a plugin having handled it, retries included.
MIRROR_LAG = Histogram(
    "adlaan_mirror_lag_seconds",
    "Seconds from an event entering the hooks outbox to a plugin having handled it "
    "(the mirror's lag), retries included.",
    ["plugin"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)
HOOK_FAILURES = Counter(
    "adlaan_hook_failures",
    "Failed deliveries of an event to a plugin, by plugin and kind of failure "
    "(permanent: dead-lettered at once; transient: its thread parked; unavailable: the plugin "
    "backs off).",
    ["plugin", "kind"],
)


#: Where observations go instead of this process's metrics (``forward_to``).
_forward: Callable[[dict[str, Any]], None] | None = None


def forward_to(send: Callable[[dict[str, Any]], None] | None) -> None:
    """Send every observation to ``send`` (a dict ``record`` takes) instead of recording it
    here; None records here again."""
    global _forward
    _forward = send


def delivered(plugin: str, created_at: datetime) -> None:
    """``plugin`` has handled an event that entered the outbox at ``created_at``."""
    if created_at.tzinfo is None:  # the column is timestamptz; a naive value is UTC
        created_at = created_at.replace(tzinfo=UTC)
    lag = max((datetime.now(UTC) - created_at).total_seconds(), 0.0)
    if _forward is not None:
        _forward({"lag": lag, "plugin": plugin})
    else:
        MIRROR_LAG.labels(plugin=plugin).observe(lag)


def failed(plugin: str, kind: str) -> None:
    """``plugin`` raised on an event; ``kind`` is the dispatcher's classification."""
    if _forward is not None:
        _forward({"failed": kind, "plugin": plugin})
    else:
        HOOK_FAILURES.labels(plugin=plugin, kind=kind).inc()


def record(observation: Any) -> bool:
    """Record an observation another process forwarded (``forward_to``); False when it is not
    one (nothing is recorded)."""
    if not isinstance(observation, dict) or not isinstance(observation.get("plugin"), str):
        return False
    plugin = observation["plugin"]
    lag, kind = observation.get("lag"), observation.get("failed")
    if isinstance(lag, int | float) and not isinstance(lag, bool) and lag >= 0:
        MIRROR_LAG.labels(plugin=plugin).observe(float(lag))
        return True
    if kind in ("permanent", "transient", "unavailable"):
        HOOK_FAILURES.labels(plugin=plugin, kind=kind).inc()
        return True
    return False
