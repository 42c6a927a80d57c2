"""Documents: every version of every draft a conversation produced, with its citations."""

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


class Document(Base):
    """One version of a generated document (``document_key`` names the draft across versions)."""

    __tablename__ = "documents"
    # A version number can recur on another branch (fork from v1, edit: a different v2), so a
    # version is identified by its content too.
    __table_args__ = (
        UniqueConstraint("conversation_id", "document_key", "version", "content_hash"),
        Index(None, "search_vector", postgresql_using="gin"),
        Index(None, "created_at", "id"),  # a search's page: the newest matches first
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    document_key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    type: Mapped[str] = mapped_column(String(50))
    jurisdiction: Mapped[str | None] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, server_default=text("'[]'::jsonb")
    )
    content_hash: Mapped[str] = mapped_column(String(64))
    checkpoint_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    #: When the owner marked this version final (its exports then carry no DRAFT marking).
    final_at: Mapped[datetime | None]
    search_vector: Mapped[str | None] = mapped_column(
        TSVECTOR, Computed(vector_sql("title || ' ' || body"), persisted=True), deferred=True
    )
    """Full-text index of the title and ``body`` (English stemming), kept by PostgreSQL itself."""
