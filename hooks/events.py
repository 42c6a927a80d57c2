"""The events hooks receive; built by the dispatcher from the outbox and the checkpoints."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class CheckpointEvent:
    """A committed root checkpoint of a thread, with the state it holds."""

    event_id: int
    thread_id: str
    checkpoint_id: str
    parent_checkpoint_id: str | None
    run_id: str | None
    source: str | None
    """``input``/``loop`` (a run), ``update`` (update_state or a fork), ``fork``."""
    step: int | None
    created_at: datetime | None
    graph_id: str | None
    assistant_id: str | None
    actor: str | None
    """Who caused it, where known (the authenticated user, or the thread's ``owner``)."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """The checkpoint's metadata as LangGraph stored it."""
    values: dict[str, Any] = field(default_factory=dict)
    """The state's channel values at this checkpoint (messages, document...). Read-only: the
    dispatcher's events share the messages a checkpoint did not change with the events
    before and after it."""
    is_head: bool = True
    """Whether this checkpoint is the thread's current state when the event is delivered."""


@dataclass(frozen=True)
class RunEvent:
    """A run that ended."""

    event_id: int
    thread_id: str
    run_id: str
    status: str
    """``success``, ``error``, ``timeout`` or ``interrupted``."""
    assistant_id: str | None
    actor: str | None
    created_at: datetime | None
    metadata: dict[str, Any] = field(default_factory=dict)
