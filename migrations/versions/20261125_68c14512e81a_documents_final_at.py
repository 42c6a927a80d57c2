"""documents.final_at: a version marked final

A lawyer marks the version to send as final (``POST /api/v1/documents/{id}/final``); its exports
then carry no DRAFT header or watermark. Until then ``final_at`` is NULL, so every existing row
stays a draft. Downgrading drops the column: the marks are lost from the table (the audit log
keeps a ``document.finalized`` entry for each), and every version exports as a draft again.

Revision ID: 68c14512e81a
Revises: 3e8a61c2d4f7
Create Date: 2026-11-25 19:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "68c14512e81a"
down_revision: str | None = "3e8a61c2d4f7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "documents",
        sa.Column("final_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("documents", "final_at")
