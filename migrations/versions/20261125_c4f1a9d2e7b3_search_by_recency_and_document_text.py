"""search by recency, and document text

A search reads its page's matches newest first from a btree on ``messages (created_at, id)``
(the GIN index on ``search_vector`` filters them, or finds them when the words are rare), so
its cost no longer grows with the number of matches. Documents get the same: a stored
``search_vector`` of their title and body (first 100,000 characters), GIN-indexed, and a
``(created_at, id)`` btree. Adding the generated column rewrites ``documents`` (under an
exclusive lock, a few seconds per 100,000 versions). Downgrading drops the indexes and the
column; nothing else is lost.

Revision ID: c4f1a9d2e7b3
Revises: 68c14512e81a
Create Date: 2026-11-25 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c4f1a9d2e7b3"
down_revision: str | None = "68c14512e81a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DOCUMENT_VECTOR = (
    "to_tsvector('english'::regconfig, left(((title)::text || ' '::text) || body, 100000))"
)


def upgrade() -> None:
    op.create_index(
        op.f("messages_created_at_id_idx"), "messages", ["created_at", "id"], unique=False
    )
    op.add_column(
        "documents",
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(DOCUMENT_VECTOR, persisted=True),
            nullable=True,
        ),
    )
    op.create_index(
        op.f("documents_search_vector_idx"),
        "documents",
        ["search_vector"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        op.f("documents_created_at_id_idx"), "documents", ["created_at", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("documents_created_at_id_idx"), table_name="documents")
    op.drop_index(
        op.f("documents_search_vector_idx"), table_name="documents", postgresql_using="gin"
    )
    op.drop_column("documents", "search_vector")
    op.drop_index(op.f("messages_created_at_id_idx"), table_name="messages")
