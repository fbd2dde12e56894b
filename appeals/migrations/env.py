"""Alembic environment of the appeals database.

Used through :func:`appeals.db.migrate`, which builds the Alembic config in
code and hands over an open connection (``config.attributes["connection"]``)
of an engine made by :func:`appeals.db.make_engine`.

The whole upgrade runs in ONE transaction, which also serialises concurrent
migrators (two processes starting at once):

* SQLite: the engine's ``begin`` listener emits ``BEGIN IMMEDIATE``, so the
  second migrator waits for the write lock and then finds the schema at head;
* PostgreSQL: a transaction-scoped advisory lock is taken before Alembic reads
  its version table; DDL is transactional there.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

config = context.config

# arbitrary constant identifying "appeals schema migration" advisory lock
_PG_MIGRATION_LOCK = 0x414B_4D49  # "AKMI"


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=None,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection) -> None:
    with connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        context.configure(
            connection=connection,
            target_metadata=None,
            transactional_ddl=True,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from appeals.db import make_engine  # same engine setup as the app

    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
