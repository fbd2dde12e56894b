"""The local PostgreSQL (127.0.0.1:5432, trust auth) for tests: a fresh database per use.

Without a reachable PostgreSQL the PostgreSQL half of a test is skipped -- unless ``CI``
is set, then it fails.
"""

from __future__ import annotations

import os
import uuid

import pytest

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _admin():
    import psycopg2

    conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", connect_timeout=3)
    conn.autocommit = True
    return conn


def _execute(sql: str) -> None:
    conn = _admin()
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def create_db() -> str:
    """A new empty database; returns its name."""
    name = f"appeals_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    _execute(f'CREATE DATABASE "{name}"')
    return name


def drop_db(name: str) -> None:
    _execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def url_of(name: str) -> str:
    return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


@pytest.fixture(scope="session")
def pg_available():
    try:
        _admin().close()
    except Exception as e:  # noqa: BLE001
        if in_ci():
            pytest.fail(f"PostgreSQL at {PG_HOST}:{PG_PORT} unreachable in CI: {e}")
        pytest.skip(f"PostgreSQL at {PG_HOST}:{PG_PORT} unreachable: {e}")
    return True


@pytest.fixture(scope="session")
def pg_session_db(pg_available):
    name = create_db()
    yield url_of(name)
    drop_db(name)
