"""Helpers of the console and outbox tests: databases (SQLite and PostgreSQL), accounts,
appeals, sign-in; the fake Bot API is tests/support/fake_telegram.py."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from appeals import staff
from appeals.db import make_engine, migrate
from appeals.store import AppealStore
from tests.support import postgres
from tests.support.fake_telegram import FakeTelegram

__all__ = ["FakeTelegram", "add_account", "add_appeal", "csrf_of", "db", "make_app", "pg_database", "rows"]
__all__ += ["sign_in"]

SECRET = "test-secret-key-0123456789"


def make_app(url: str, **config):
    """The console's Flask app on ``url`` (imported here: only tests import the console)."""
    from console.app import create_app

    return create_app(dict({"DATABASE_URL": url, "SECRET_KEY": SECRET, "TESTING": True}, **config))


def pg_database():
    """(url, drop) of a brand-new throwaway PostgreSQL database, or skip (fail in CI)."""
    try:
        name = postgres.create_db()
    except Exception as e:  # noqa: BLE001
        if postgres.in_ci():
            pytest.fail(f"PostgreSQL unreachable in CI: {e}")
        pytest.skip(f"PostgreSQL unreachable: {e}")
    return postgres.url_of(name), lambda: postgres.drop_db(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    if request.param == "sqlite":
        url = "sqlite:///" + str(tmp_path / "console.db")
        migrate(url)
        yield url
        return
    url, drop = pg_database()
    migrate(url)
    yield url
    drop()


def add_appeal(
    url: str, n: int = 1, language: str = "ky", telegram: bool = True, days_ago: int = 0, **fields
) -> str:
    base = dict(
        full_name="Айгерим Садыкова",
        phone="+996555123456",
        region="chui",
        address="Бишкек ш., Манас көч. 1",
        category="labour",
        respondent="Акимиат района",
        incident_date=date.today() - timedelta(days=10),
        description="Айлык акымды үч айдан бери төлөбөй жатышат.",
    )
    base.update(fields)
    conv = str(500000 + n) if telegram else f"rest-{n}"
    with AppealStore(url) as store:
        ref = store.submit(
            conv,
            f"key-{uuid.uuid4().hex}",
            base,
            language,
            now=datetime.now(timezone.utc) - timedelta(days=days_ago),
            channel="telegram" if telegram else None,
        ).reference
    return ref


def add_account(
    url: str, name: str, role: str = "operator", language: str = "ru", password: str = "correct horse battery"
) -> dict:
    engine = make_engine(url)
    try:
        account_id = staff.add_staff(engine, name, password, role, language)
        return staff.get_account(engine, account_id)
    finally:
        engine.dispose()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client, name: str, password: str = "correct horse battery"):
    token = csrf_of(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": name, "password": password, "csrf_token": token})


def rows(url: str, sql: str, **params):
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            return conn.execute(sa.text(sql), params).mappings().all()
    finally:
        engine.dispose()
