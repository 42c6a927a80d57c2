"""Messages: the conversation's LangChain messages, mirrored from the checkpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Computed,
    ForeignKey,
    Identity,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base
from store.repositories.fulltext import vector_sql


class Message(Base):
    """One LangChain message of a conversation, keyed by its message id, on any branch.

    ``checkpoint_id`` is where it first appeared; ``is_current``/``position`` say whether (and
    where) it is in the thread's current state, so earlier branches stay queryable."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "message_id"),
        Index(None, "search_vector", postgresql_using="gin"),
        # a search's page: the newest matches first (store/repositories/fulltext.py)
        Index(None, "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    message_id: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(32))
    content: Mapped[str] = mapped_column(Text)
    tool_calls: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    checkpoint_id: Mapped[str | None] = mapped_column(String(64), index=True)
    position: Mapped[int | None]
    is_current: Mapped[bool] = mapped_column(server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    search_vector: Mapped[str | None] = mapped_column(
        TSVECTOR, Computed(vector_sql("content"), persisted=True), deferred=True
    )
    """Full-text index of ``content`` (English stemming), kept by PostgreSQL itself."""
