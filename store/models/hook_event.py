"""The hooks outbox: events written by the database itself, delivered to plugins at least once.

A trigger on ``checkpoints`` inserts one event per committed root checkpoint in the same
transaction and wakes dispatchers with ``NOTIFY``; nothing is added to the run's own code path.
Each plugin has a cursor; several dispatchers share plugins with ``FOR UPDATE SKIP LOCKED``. A
thread whose event fails for a while is parked (``hook_parked_threads``) so the cursor moves on
for every other thread.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Identity, Index, PrimaryKeyConstraint, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base

NOTIFY_CHANNEL = "adlaan_hooks"

OUTBOX_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION adlaan_checkpoint_event() RETURNS trigger AS $$
BEGIN
    INSERT INTO hook_events (kind, thread_id, checkpoint_id, parent_checkpoint_id, run_id, source)
    VALUES ('checkpoint', NEW.thread_id, NEW.checkpoint_id, NEW.parent_checkpoint_id,
            NEW.metadata ->> 'run_id', NEW.metadata ->> 'source');
    PERFORM pg_notify('{NOTIFY_CHANNEL}', NEW.thread_id);
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""
OUTBOX_TRIGGER_SQL = (
    "CREATE TRIGGER checkpoints_hook_event AFTER INSERT ON checkpoints "
    "FOR EACH ROW WHEN (NEW.checkpoint_ns = '') EXECUTE FUNCTION adlaan_checkpoint_event()"
)


#: What the server writes when a run ends (the checkpoints alone cannot tell).
RUN_EVENT_SQL = f"""
WITH e AS (
    INSERT INTO hook_events (kind, thread_id, run_id, payload) VALUES ('run', %s, %s, %s)
    RETURNING thread_id
) SELECT pg_notify('{NOTIFY_CHANNEL}', thread_id) FROM e
"""


#: A run's statuses once it has ended (the dev server's registry emits its event on these).
FINISHED_RUN_STATUSES = ("success", "error", "timeout", "interrupted")

#: A run that ends enters the hooks outbox in the transaction that ends it, whichever process or
#: path ends it (the worker, a cancel, the sweeper of dead workers): the same row the dev
#: server's registry writes (store/models/hook_event.py ``RUN_EVENT_SQL``). Only its first
#: finished status counts (a cancelled run is ``interrupted`` before its worker stops).
RUN_EVENT_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION adlaan_run_event() RETURNS trigger AS $$
BEGIN
    INSERT INTO hook_events (kind, thread_id, run_id, payload)
    VALUES ('run', coalesce(NEW.thread_id::text, ''), NEW.run_id::text,
            jsonb_build_object('status', NEW.status, 'assistant_id', NEW.assistant_id::text,
                               'metadata', coalesce(NEW.metadata, '{{}}'::jsonb)));
    PERFORM pg_notify('{NOTIFY_CHANNEL}', coalesce(NEW.thread_id::text, ''));
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""


class HookEvent(Base):
    """One event: a committed checkpoint, a finished run, a deleted thread..."""

    __tablename__ = "hook_events"
    __table_args__ = (Index(None, "thread_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    # Unbounded like the checkpoint columns they copy: the trigger runs inside the checkpoint's
    # own write, which a value too long for the outbox must never break.
    thread_id: Mapped[str] = mapped_column(Text)
    checkpoint_id: Mapped[str | None] = mapped_column(Text)
    parent_checkpoint_id: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class HookCursor(Base):
    """How far one plugin has got, and its retry state for the event it is stuck on."""

    __tablename__ = "hook_cursors"

    plugin: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class HookDeadLetter(Base):
    """An event a plugin failed on every retry; ``adlaan hooks retry`` delivers it again."""

    __tablename__ = "hook_dead_letters"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    plugin: Mapped[str] = mapped_column(String(200), index=True)
    event_id: Mapped[int] = mapped_column(BigInteger)
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    retried_at: Mapped[datetime | None]


class HookParkedThread(Base):
    """A thread one plugin is held back on: its event ``event_id`` failed ``attempts`` times with
    an error that may pass. The plugin's cursor moves on for other threads; this thread's events
    from ``event_id`` up to the cursor are delivered in order once ``next_attempt_at`` comes."""

    __tablename__ = "hook_parked_threads"
    __table_args__ = (PrimaryKeyConstraint("plugin", "thread_id"),)

    plugin: Mapped[str] = mapped_column(String(200))
    thread_id: Mapped[str] = mapped_column(Text)
    event_id: Mapped[int] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
