"""unbounded checkpoint ids in the outbox and tombstones

The ``hook_events`` trigger copies a checkpoint's thread id, checkpoint ids, run id and source
inside the checkpoint's own INSERT, so a value longer than the outbox column (255 / 64 / 32)
made the checkpoint write itself fail. ``deleted_threads`` must hold any thread id too.

Downgrade on a populated database: a value longer than the old width would have to be cut, and a
cut thread id names another thread (or collides with one), so the downgrade refuses with a
RuntimeError naming the table, the column and the rows instead; values that fit are kept as they
are.

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


def _refuse_values_too_long() -> None:
    """Raise, naming every (table, column) holding values longer than its old width."""
    if op.get_context().as_sql:  # offline (--sql): no rows to read
        return
    conn = op.get_bind()
    checks = [("deleted_threads", "thread_id", 255)] + [
        ("hook_events", column, old.length) for column, old, _ in _OUTBOX
    ]
    too_long = []
    for table, column, width in checks:
        count = conn.execute(
            sa.text(f"SELECT count(*) FROM {table} WHERE length({column}) > {width}")
        ).scalar_one()
        if count:
            too_long.append((table, column, width, count))
    if too_long:
        found = "; ".join(
            f"{count} row(s) of {table}.{column} longer than {width} characters"
            for table, column, width, count in too_long
        )
        fixes = " ".join(
            f"DELETE FROM {table} WHERE length({column}) > {width};"
            for table, column, width, _ in too_long
        )
        raise RuntimeError(
            f"cannot downgrade below 5c1d7e0a9b42: {found}, and the old columns cannot hold "
            "them without cutting ids (a cut id names another thread or checkpoint). "
            "Stay at this revision, or delete those rows first and downgrade again "
            f"(this loses those tombstones/outbox events): {fixes}"
        )


def downgrade() -> None:
    _refuse_values_too_long()
    op.alter_column(
        "deleted_threads",
        "thread_id",
        existing_type=sa.Text(),
        type_=sa.String(length=255),
        existing_nullable=False,
    )
    for column, old, nullable in _OUTBOX:
        op.alter_column(
            "hook_events",
            column,
            existing_type=sa.Text(),
            type_=old,
            existing_nullable=nullable,
        )
