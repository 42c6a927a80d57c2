"""Who owns each LangGraph API resource (threads, assistants, crons), durably.

The development server keeps its objects in memory; ownership lives here, so it survives a wipe,
a crash or another runtime. A row is never deleted with its resource: the id stays reserved for
its owner (``deleted_at`` is set), so an id once owned by one user can never be claimed by
another. Store namespaces need no row: their first element is the owner's user id.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base

OWNED_KINDS = ("thread", "assistant", "cron")


class ResourceOwner(Base):
    """The owner of one API resource (``kind``, ``resource_id``); NULL once the user is erased,
    which keeps the id reserved for nobody."""

    __tablename__ = "resource_owners"
    __table_args__ = (CheckConstraint(f"kind IN {OWNED_KINDS!r}", name="kind"),)

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    deleted_at: Mapped[datetime | None] = mapped_column()
