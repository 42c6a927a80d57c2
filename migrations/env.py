"""Alembic environment: the URL comes from the settings object, never from alembic.ini.

The URL is not put into the ini config with ``set_main_option``: configparser would treat a
``%`` in a URL-encoded password as interpolation and fail (sqlalchemy/alembic#1202). Callers
that already hold a connection pass it in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

import store.models  # noqa: F401  (registers every model on Base.metadata)
from store.base import Base
from store.db import sqlalchemy_url
from store.migrate import include_object

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=True,
        include_object=include_object,
        transaction_per_migration=True,
    )


def _url() -> str:
    if url := config.attributes.get("url"):
        return url
    from server.settings import get_settings

    return get_settings().database_url_and_source()[0]


def run_migrations_offline() -> None:
    context.configure(
        url=sqlalchemy_url(_url()),
        target_metadata=target_metadata,
        literal_binds=True,
        include_object=include_object,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    if (connection := config.attributes.get("connection")) is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(sqlalchemy_url(_url()), poolclass=pool.NullPool)
    with engine.connect() as connection:
        if timeout := config.attributes.get("lock_timeout_ms"):  # store.db.LOCK_TIMEOUT_MS
            connection.exec_driver_sql(f"SET lock_timeout = {int(timeout)}")
            connection.commit()
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
