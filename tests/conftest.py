"""Shared fixtures: the real action server and Rasa server, on loopback, with a temp database.

The PostgreSQL fixtures live in tests/support/postgres.py and are registered here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devserver.servers import MODEL, action_server, free_port, rasa_server
from tests.support.console import db  # noqa: F401  (fixture: a migrated SQLite, then PostgreSQL database)
from tests.support.postgres import pg_available, pg_session_db  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A fresh SQLite file for the servers started by the tests."""
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'appeals.db'}"


@pytest.fixture(scope="session")
def action_server_url(database_url, tmp_path_factory) -> Iterator[str]:
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` first")
    log = open(tmp_path_factory.mktemp("logs") / "actions.log", "wb")
    with action_server(free_port(), env={"DATABASE_URL": database_url}, log=log) as url:
        yield url
    log.close()


@pytest.fixture(scope="session")
def rasa_url(action_server_url, database_url, tmp_path_factory) -> Iterator[str]:
    """Rasa with the REST channel (and any channel in credentials.yml)."""
    log = open(tmp_path_factory.mktemp("logs") / "rasa.log", "wb")
    with rasa_server(free_port(), action_server_url, env={"DATABASE_URL": database_url}, log=log) as url:
        yield url
    log.close()
