"""The LangGraph API registry, written through to PostgreSQL: threads, assistants, in-flight runs.

`langgraph dev` keeps these in memory and pickles them to `.langgraph_api/` every few seconds;
a crash loses what changed since. Each acknowledged change is also written here, and the server
restores what its pickle lacks from this table at start-up.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, LargeBinary, String, func
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base

REGISTRY_KINDS = ("thread", "assistant", "assistant_version", "run", "store_item", "cron")


class RegistryEntry(Base):
    """One registry object (``kind``, ``key``) as the runtime holds it, pickled."""

    __tablename__ = "api_registry"
    __table_args__ = (CheckConstraint(f"kind IN {REGISTRY_KINDS!r}", name="kind"),)

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
