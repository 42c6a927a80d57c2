"""Login attempts counted per account and per client address, atomically (one row per key)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, func
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base


class LoginThrottle(Base):
    """Attempts for ``key`` (``email:<address>`` or ``client:<ip>``) since ``window_start``."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    attempts: Mapped[int] = mapped_column(server_default="0")
