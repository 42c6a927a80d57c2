"""Audit log: who did what to which target, for compliance."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Identity, Index, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base


class AuditLog(Base):
    """An append-only entry: ``actor`` did ``action`` on ``target``."""

    __tablename__ = "audit_logs"
    __table_args__ = (
        Index(None, "action", "created_at"),
        Index(None, "target", "created_at"),
        Index(None, "actor", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    actor: Mapped[str | None] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(255))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    dedupe_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    """Set by writers that may replay (the mirror): a second write of the same entry is a no-op."""
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
