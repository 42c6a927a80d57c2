"""Conversations: one per LangGraph thread."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, Timestamps, UUIDPrimaryKey


class ConversationStatus(enum.StrEnum):
    """Whether a conversation shows in the default listing."""

    active = "active"
    archived = "archived"


class Conversation(UUIDPrimaryKey, Timestamps, Base):
    """The relational face of a LangGraph thread: who owns it, what it is called, how it is used."""

    __tablename__ = "conversations"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'archived')", name="status"),
        Index(None, "owner_id", "last_activity_at"),
    )

    thread_id: Mapped[str] = mapped_column(String(255), unique=True, index=True)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(
        String(16), server_default=text(f"'{ConversationStatus.active.value}'")
    )
    metadata_: Mapped[dict[str, Any]] = mapped_column(
        "metadata", JSONB, server_default=text("'{}'::jsonb")
    )
    last_activity_at: Mapped[datetime] = mapped_column(server_default=func.now())
