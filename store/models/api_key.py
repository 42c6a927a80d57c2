"""Credentials: API keys and login sessions, stored as SHA-256 digests only.

Both are long random tokens (``adlk_`` API keys, ``adls_`` session tokens from ``POST
/auth/login``); a digest of a 256-bit random token cannot be brute-forced, so a fast hash is the
right one here (passwords, which are guessable, get argon2 in ``users.password_hash``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, UUIDPrimaryKey

CREDENTIAL_KINDS = ("api_key", "session")


class ApiKey(UUIDPrimaryKey, Base):
    """One credential of a user; ``revoked_at`` or a past ``expires_at`` makes it unusable."""

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint(f"kind IN {CREDENTIAL_KINDS!r}", name="kind"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    """The token's first characters, shown in listings so a user can tell keys apart."""
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
