"""parked threads for hooks

A thread whose event keeps failing for one plugin is parked in ``hook_parked_threads`` so that
plugin's cursor moves on for every other thread (one user's bad state no longer stalls the
mirror for all). Downgrading drops the table: a thread parked at that moment has its held-back
events delivered again only by ``adlaan mirror sync``, so the downgrade refuses while any is.

Revision ID: 3e8a61c2d4f7
Revises: 5c1d7e0a9b42
Create Date: 2026-11-25 18:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "3e8a61c2d4f7"
down_revision: str | None = "5c1d7e0a9b42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hook_parked_threads",
        sa.Column("plugin", sa.String(length=200), nullable=False),
        sa.Column("thread_id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "next_attempt_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("plugin", "thread_id", name=op.f("hook_parked_threads_pkey")),
    )


def downgrade() -> None:
    parked = op.get_bind().execute(sa.text("SELECT count(*) FROM hook_parked_threads")).scalar()
    if parked:
        raise RuntimeError(
            f"{parked} thread(s) are parked in hook_parked_threads and their held-back events "
            "would never be delivered: let the dispatcher catch up (`adlaan hooks status` shows "
            "none parked), or run `adlaan mirror sync` after the downgrade, then "
            "empty the table and downgrade again."
        )
    op.drop_table("hook_parked_threads")
