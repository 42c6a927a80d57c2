"""unbounded checkpoint ids in the outbox and tombstones

The ``hook_events`` trigger copies a checkpoint's thread id, checkpoint ids, run id and source
inside the checkpoint's own INSERT, so a value longer than the outbox column (255 / 64 / 32)
made the checkpoint write itself fail. ``deleted_threads`` must hold any thread id too.

Revision ID: 5c1d7e0a9b42
Revises: e053b089af13
Create Date: 2026-11-25 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1d7e0a9b42"
down_revision: str | None = "e053b089af13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OUTBOX = (
    ("thread_id", sa.String(length=255), False),
    ("checkpoint_id", sa.String(length=64), True),
    ("parent_checkpoint_id", sa.String(length=64), True),
    ("run_id", sa.String(length=64), True),
    ("source", sa.String(length=32), True),
)


def upgrade() -> None:
    for column, old, nullable in _OUTBOX:
        op.alter_column(
            "hook_events", column, existing_type=old, type_=sa.Text(), existing_nullable=nullable
        )
    op.alter_column(
        "deleted_threads",
        "thread_id",
        existing_type=sa.String(length=255),
        type_=sa.Text(),
        existing_nullable=False,
    )


def downgrade() -> None:
    # Values longer than the old widths would not fit back: they are cut.
    op.alter_column(
        "deleted_threads",
        "thread_id",
        existing_type=sa.Text(),
        type_=sa.String(length=255),
        existing_nullable=False,
        postgresql_using="left(thread_id, 255)",
    )
    for column, old, nullable in _OUTBOX:
        op.alter_column(
            "hook_events",
            column,
            existing_type=sa.Text(),
            type_=old,
            existing_nullable=nullable,
            postgresql_using=f"left({column}, {old.length})",
        )
