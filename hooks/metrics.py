"""The dispatcher's Prometheus metrics: how long an event waits before a plugin has handled it
(the mirror's lag), and the plugins' failures. Registered on prometheus_client's global registry,
which the server's ``/metrics`` serves with the rest (``server/metrics.py``)."""

from __future__ import annotations

from datetime import UTC, datetime

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


def delivered(plugin: str, created_at: datetime) -> None:
    """``plugin`` has handled an event that entered the outbox at ``created_at``."""
    if created_at.tzinfo is None:  # the column is timestamptz; a naive value is UTC
        created_at = created_at.replace(tzinfo=UTC)
    lag = (datetime.now(UTC) - created_at).total_seconds()
    MIRROR_LAG.labels(plugin=plugin).observe(max(lag, 0.0))


def failed(plugin: str, kind: str) -> None:
    """``plugin`` raised on an event; ``kind`` is the dispatcher's classification."""
    HOOK_FAILURES.labels(plugin=plugin, kind=kind).inc()
