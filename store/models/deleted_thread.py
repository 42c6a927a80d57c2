"""Tombstones of deleted threads: a late write from a run still in flight cannot bring one back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text, func
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base

#: A trigger on the checkpointer's tables refuses writes for a tombstoned thread.
GUARD_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION adlaan_refuse_deleted_thread() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM deleted_threads WHERE thread_id = NEW.thread_id) THEN
        RAISE EXCEPTION 'thread % was deleted; it cannot be written to', NEW.thread_id
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""
GUARDED_TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")


class DeletedThread(Base):
    """A thread that was deleted, and when (swept after a week: no run lives that long)."""

    __tablename__ = "deleted_threads"

    # Any thread id the checkpointer accepts (TEXT) must be deletable.
    thread_id: Mapped[str] = mapped_column(Text, primary_key=True)
    deleted_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
