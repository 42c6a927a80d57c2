"""registry: store items and crons

The development server's LangGraph store items and crons are written through to ``api_registry``
like its threads and assistants, so a SIGKILL loses none of them (server/registry.py).

Revision ID: d5e8a3c1b7f4
Revises: c4f1a9d2e7b3
Create Date: 2026-11-25 20:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d5e8a3c1b7f4"
down_revision: str | None = "c4f1a9d2e7b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = "kind IN ('thread', 'assistant', 'assistant_version', 'run')"
NEW_KINDS = "kind IN ('thread', 'assistant', 'assistant_version', 'run', 'store_item', 'cron')"


def upgrade() -> None:
    op.drop_constraint(op.f("api_registry_kind_check"), "api_registry", type_="check")
    op.create_check_constraint(op.f("api_registry_kind_check"), "api_registry", NEW_KINDS)


def downgrade() -> None:
    """Refuses while store items or crons are in the registry (the only durable copy of what
    the development server acknowledged): export or delete them first, e.g.
    ``DELETE FROM api_registry WHERE kind IN ('store_item', 'cron')``, knowing what goes."""
    bind = op.get_bind()
    count = bind.exec_driver_sql(
        "SELECT count(*) FROM api_registry WHERE kind IN ('store_item', 'cron') AND key <> ''"
    ).scalar()
    if count:
        raise RuntimeError(
            f"api_registry holds {count} store item(s) or cron(s), which the older schema "
            "cannot keep; delete them first (see this migration's downgrade) to downgrade"
        )
    op.execute("DELETE FROM api_registry WHERE kind IN ('store_item', 'cron')")
    op.drop_constraint(op.f("api_registry_kind_check"), "api_registry", type_="check")
    op.create_check_constraint(op.f("api_registry_kind_check"), "api_registry", OLD_KINDS)
