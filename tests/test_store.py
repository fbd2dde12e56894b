"""Tests of the appeals storage (appeals/store.py, migrations, CLI).

Every test that takes ``db_url`` / ``store`` runs twice: on SQLite in a
temporary directory and on PostgreSQL at 127.0.0.1:5432 (a fresh database per
test session, dropped at the end).  Without a reachable PostgreSQL the
PostgreSQL half is skipped -- unless ``CI`` is set, then it fails.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from appeals.db import MIGRATIONS_DIR, StorageError, make_engine, migrate
from appeals.store import AppealNotFound, AppealStore, SubmitResult
from tests.support import postgres

#: the newest schema revision (computed: other migrations may follow)
HEAD = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()

REPO = Path(__file__).resolve().parent.parent

UTC = timezone.utc
BISHKEK = timezone(timedelta(hours=6))
JUNE = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


def fields(**over):
    f = {
        "full_name": "Айгүл Асанова",
        "phone": "+996555123456",
        "region": "bishkek",
        "address": "Бишкек, Чүй проспекти 100",
        "category": "labour",
        "respondent": "Бишкек шаарынын мэриясы",
        "incident_date": "2026-03-12",
        "description": "Үч айдан бери эмгек акы төлөнгөн жок, жетекчилик жооп бербейт.",
    }
    f.update(over)
    return f


def seq_of(reference: str) -> int:
    return int(reference.rsplit("-", 1)[1])


# --------------------------------------------------------------------------
# backends
# --------------------------------------------------------------------------


def _wipe(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            # status changes leave history and notifications (staff console), which refer to appeals
            conn.execute(sa.text("DELETE FROM outbox"))
            conn.execute(sa.text("DELETE FROM appeal_events"))
            conn.execute(sa.text("DELETE FROM appeals"))
            conn.execute(sa.text("DELETE FROM reference_counters"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """URL of an empty, migrated appeals database."""
    if request.param == "sqlite":
        url = "sqlite:///" + str(tmp_path / "appeals.db")
        migrate(url)
        return url
    url = request.getfixturevalue("pg_session_db")
    migrate(url)
    _wipe(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    """URL of a brand-new database without any schema."""
    if request.param == "sqlite":
        yield "sqlite:///" + str(tmp_path / "fresh.db")
        return
    request.getfixturevalue("pg_available")
    name = postgres.create_db()
    yield postgres.url_of(name)
    postgres.drop_db(name)


@pytest.fixture
def store(db_url):
    s = AppealStore(db_url)
    yield s
    s.close()


def _rows(url: str, sql: str):
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            return conn.execute(sa.text(sql)).all()
    finally:
        engine.dispose()


# --------------------------------------------------------------------------
# numbering
# --------------------------------------------------------------------------


def test_sequential_references(store):
    r1 = store.submit("u1", "k1", fields(), "ky", now=JUNE)
    r2 = store.submit("u2", "k2", fields(), "ru", now=JUNE + timedelta(minutes=1))
    assert r1 == SubmitResult("AK-2026-000001", True)
    assert r2 == SubmitResult("AK-2026-000002", True)


def test_default_now_uses_current_year(store):
    ref = store.submit("u1", "k1", fields(), "ky").reference
    year = datetime.now(BISHKEK).year
    assert ref == f"AK-{year}-000001"


def test_year_rollover_restarts_numbering(store):
    assert (
        store.submit("u", "a", fields(), "ky", now=datetime(2026, 6, 1, tzinfo=UTC)).reference
        == "AK-2026-000001"
    )
    assert (
        store.submit("u", "b", fields(), "ky", now=datetime(2026, 12, 1, tzinfo=UTC)).reference
        == "AK-2026-000002"
    )
    assert (
        store.submit("u", "c", fields(), "ky", now=datetime(2027, 1, 2, tzinfo=UTC)).reference
        == "AK-2027-000001"
    )
    assert (
        store.submit("u", "d", fields(), "ky", now=datetime(2027, 1, 3, tzinfo=UTC)).reference
        == "AK-2027-000002"
    )


def test_year_of_filing_is_bishkek_time(store):
    # 31 Dec 20:00 UTC is already 1 Jan 02:00 in Bishkek (UTC+6)
    ref = store.submit("u", "a", fields(), "ky", now=datetime(2026, 12, 31, 20, 0, tzinfo=UTC))
    assert ref.reference == "AK-2027-000001"
    ref = store.submit("u", "b", fields(), "ky", now=datetime(2026, 12, 31, 17, 0, tzinfo=UTC))
    assert ref.reference == "AK-2026-000001"


def test_failed_insert_stores_nothing_and_burns_no_number(store, db_url, monkeypatch):
    def boom(conn, row):
        raise sa.exc.OperationalError("INSERT INTO appeals", {}, Exception("disk I/O error"))

    monkeypatch.setattr(AppealStore, "_insert_appeal", staticmethod(boom))
    with pytest.raises(StorageError):
        store.submit("u1", "k1", fields(), "ky", now=JUNE)
    monkeypatch.undo()
    assert store.list_appeals() == []
    assert _rows(db_url, "SELECT year, last_seq FROM reference_counters") == []
    assert store.submit("u1", "k1", fields(), "ky", now=JUNE).reference == "AK-2026-000001"


def test_incomplete_input_is_rejected_before_storage(store):
    with pytest.raises(ValueError):
        store.submit("u1", "k1", fields(phone=""), "ky", now=JUNE)
    with pytest.raises(ValueError):
        store.submit("u1", "k1", fields(incident_date="12.03.2026"), "ky", now=JUNE)
    with pytest.raises(ValueError):
        store.submit("u1", "k1", fields(), "en", now=JUNE)
    with pytest.raises(ValueError):
        store.submit("u1", "", fields(), "ky", now=JUNE)
    assert store.list_appeals() == []
    assert store.submit("u1", "k1", fields(), "ky", now=JUNE).reference == "AK-2026-000001"


# --------------------------------------------------------------------------
# idempotency
# --------------------------------------------------------------------------


def test_same_submission_key_stores_one_appeal(store):
    first = store.submit("u1", "key-1", fields(), "ky", now=JUNE)
    again = store.submit(
        "u1", "key-1", fields(description="a retried delivery of the same form"), "ky", now=JUNE
    )
    assert first == SubmitResult("AK-2026-000001", True)
    assert again == SubmitResult("AK-2026-000001", False)
    rows = store.list_appeals()
    assert len(rows) == 1
    assert rows[0]["description"] == fields()["description"]
    # the duplicate did not consume a number
    assert store.submit("u1", "key-2", fields(), "ky", now=JUNE).reference == "AK-2026-000002"


def test_submission_key_of_another_conversation_is_not_revealed(store):
    store.submit("u1", "key-1", fields(), "ky", now=JUNE)
    with pytest.raises(StorageError) as info:
        store.submit("u2", "key-1", fields(), "ky", now=JUNE)
    assert "AK-" not in str(info.value)
    assert len(store.list_appeals()) == 1


# --------------------------------------------------------------------------
# concurrency
# --------------------------------------------------------------------------


def _run_threads(n, target):
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def run(i):
        try:
            barrier.wait(timeout=30)
            results[i] = target(i)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def test_concurrent_submissions_from_threads(store, db_url):
    n = 50
    results = _run_threads(n, lambda i: store.submit(f"user-{i}", f"key-{i}", fields(), "ky", now=JUNE))
    refs = [r.reference for r in results]
    assert all(r.created for r in results)
    assert len(set(refs)) == n
    assert sorted(seq_of(r) for r in refs) == list(range(1, n + 1))
    assert all(r.startswith("AK-2026-") for r in refs)
    assert _rows(db_url, "SELECT last_seq FROM reference_counters WHERE year = 2026") == [(n,)]
    assert len(store.list_appeals()) == n


def test_concurrent_duplicate_key_stores_one_appeal(store):
    n = 20
    results = _run_threads(n, lambda i: store.submit("u1", "same-key", fields(), "ru", now=JUNE))
    assert {r.reference for r in results} == {"AK-2026-000001"}
    assert sum(r.created for r in results) == 1
    assert len(store.list_appeals()) == 1
    assert store.submit("u1", "other", fields(), "ru", now=JUNE).reference == "AK-2026-000002"


def _process_worker(url, worker, count, barrier, queue):
    """Runs in a spawned process: ``count`` submissions, references to ``queue``."""
    try:
        s = AppealStore(url)
        s.migrate()  # also exercises concurrent (no-op) migrations
        barrier.wait(timeout=60)
        refs = []
        for j in range(count):
            r = s.submit(f"p{worker}", f"p{worker}-{j}", fields(), "ky", now=JUNE)
            refs.append(r.reference)
        # a redelivery from another process of an already stored submission
        dup = s.submit(f"p{worker}", f"p{worker}-0", fields(), "ky", now=JUNE)
        assert dup == SubmitResult(refs[0], False)
        s.close()
        queue.put(("ok", refs))
    except BaseException as e:  # noqa: BLE001
        queue.put(("error", repr(e)))


def test_concurrent_submissions_from_processes(db_url):
    workers, per_worker = 5, 10
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(workers), ctx.Queue()
    procs = [
        ctx.Process(target=_process_worker, args=(db_url, w, per_worker, barrier, queue))
        for w in range(workers)
    ]
    for p in procs:
        p.start()
    outcomes = [queue.get(timeout=90) for _ in procs]
    for p in procs:
        p.join(30)
    errors = [o[1] for o in outcomes if o[0] != "ok"]
    assert not errors, errors
    refs = [r for _, rs in outcomes for r in rs]
    total = workers * per_worker
    assert len(set(refs)) == total
    assert sorted(seq_of(r) for r in refs) == list(range(1, total + 1))
    assert len(_rows(db_url, "SELECT id FROM appeals")) == total


def _migrate_worker(url, barrier, queue):
    try:
        barrier.wait(timeout=60)
        queue.put(("ok", migrate(url)))
    except BaseException as e:  # noqa: BLE001
        queue.put(("error", repr(e)))


def test_concurrent_migrations_from_processes(fresh_url):
    n = 4
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_migrate_worker, args=(fresh_url, barrier, queue)) for _ in range(n)]
    for p in procs:
        p.start()
    outcomes = [queue.get(timeout=90) for _ in procs]
    for p in procs:
        p.join(30)
    assert outcomes == [("ok", HEAD)] * n
    assert _rows(fresh_url, "SELECT version_num FROM alembic_version") == [(HEAD,)]


# --------------------------------------------------------------------------
# status, erasure, staff listing
# --------------------------------------------------------------------------


def test_status_is_owner_only(store):
    ref = store.submit("owner", "k1", fields(), "ky", now=JUNE).reference
    assert store.status_for("owner", ref) == "received"
    assert store.status_for("owner", ref.lower()) == "received"
    assert store.status_for("stranger", ref) is None
    assert store.status_for("owner", "AK-2026-999999") is None
    assert store.status_for("owner", "") is None
    store.set_status(ref, "in_review")
    assert store.status_for("owner", ref) == "in_review"
    assert store.status_for("stranger", ref) is None


def test_set_status_validation(store):
    ref = store.submit("owner", "k1", fields(), "ky", now=JUNE).reference
    with pytest.raises(ValueError):
        store.set_status(ref, "done")
    with pytest.raises(AppealNotFound):
        store.set_status("AK-2026-000777", "resolved")
    for status in ("in_review", "forwarded", "resolved", "rejected", "received"):
        store.set_status(ref, status)
        assert store.status_for("owner", ref) == status


def test_erasure_keeps_references_and_clears_personal_data(store):
    att = [{"file_id": "F1", "name": "scan.pdf", "mime_type": "application/pdf", "size": 1234}]
    r1 = store.submit("u1", "k1", fields(attachments=att), "ky", now=JUNE).reference
    r2 = store.submit("u1", "k2", fields(incident_date=date(2024, 1, 5)), "ru", now=JUNE).reference
    r3 = store.submit("u2", "k3", fields(), "ky", now=JUNE).reference
    store.set_status(r1, "forwarded")
    before = {a["reference"]: a for a in store.list_appeals()}

    assert store.erase_personal_data("u1", now=JUNE + timedelta(days=1)) == 2
    assert store.erase_personal_data("u1") == 0
    assert store.erase_personal_data("nobody") == 0

    after = {a["reference"]: a for a in store.list_appeals()}
    assert set(after) == {r1, r2, r3}
    for ref in (r1, r2):
        a, b = after[ref], before[ref]
        for key in ("full_name", "phone", "description", "respondent"):
            assert a[key] is None
        assert a["attachments"] == []
        for key in (
            "reference",
            "status",
            "region",
            "category",
            "incident_date",
            "late",
            "created_at",
            "language",
        ):
            assert a[key] == b[key]
        assert a["erased_at"] == "2026-06-16T10:00:00+00:00"
    assert after[r2]["late"] is True
    assert after[r3] == before[r3]  # another user's appeal untouched
    assert store.status_for("u1", r1) == "forwarded"
    assert store.count_for("u1") == 2
    # new appeals after erasure are stored normally and can be erased again
    store.submit("u1", "k4", fields(), "ky", now=JUNE)
    assert store.erase_personal_data("u1") == 1


def test_list_appeals_fields(store):
    att = [{"file_id": "AgAD", "name": "фото.jpg", "mime_type": "image/jpeg", "size": 2048}]
    now = datetime(2026, 11, 29, 1, 40, tzinfo=BISHKEK)  # = 2026-11-28 19:40 UTC
    ref = store.submit("tg-42", "k1", fields(attachments=att, late=False), "ru", now=now).reference
    store.submit("tg-43", "k2", fields(incident_date="2025-01-01"), "ky", now=now)
    rows = store.list_appeals()
    assert [r["reference"] for r in rows] == [ref, "AK-2026-000002"]
    a = rows[0]
    required = {
        "reference",
        "status",
        "language",
        "full_name",
        "phone",
        "region",
        "category",
        "respondent",
        "incident_date",
        "description",
        "late",
        "created_at",
        "attachments",
    }
    assert required <= set(a)
    assert a["status"] == "received"
    assert a["language"] == "ru"
    assert a["full_name"] == "Айгүл Асанова"
    assert a["incident_date"] == "2026-03-12"
    assert a["late"] is False
    assert a["attachments"] == att
    assert a["created_at"] == "2026-11-28T19:40:00+00:00"
    created = datetime.fromisoformat(a["created_at"])
    assert created.tzinfo is not None and created.utcoffset() == timedelta(0)
    assert rows[1]["late"] is True  # computed: older than one year
    assert rows[1]["attachments"] == []
    json.dumps(rows, ensure_ascii=False)  # JSON-ready


# --------------------------------------------------------------------------
# failures
# --------------------------------------------------------------------------


def test_unwritable_sqlite_path_raises_storage_error(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    s = AppealStore("sqlite:///" + str(blocker / "appeals.db"))
    with pytest.raises(StorageError):
        s.submit("u1", "k1", fields(), "ky", now=JUNE)
    with pytest.raises(StorageError):
        s.status_for("u1", "AK-2026-000001")
    with pytest.raises(StorageError):
        s.list_appeals()


def test_corrupt_sqlite_file_raises_storage_error(tmp_path):
    path = tmp_path / "appeals.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError):
        AppealStore("sqlite:///" + str(path)).submit("u1", "k1", fields(), "ky", now=JUNE)


def test_unreachable_postgresql_raises_storage_error():
    s = AppealStore("postgresql://postgres@127.0.0.1:1/x")
    with pytest.raises(StorageError) as info:
        s.submit("u1", "k1", fields(), "ky", now=JUNE)
    assert "Айгүл" not in str(info.value)
    with pytest.raises(StorageError):
        s.erase_personal_data("u1")


def test_database_failure_after_start_raises_storage_error(store, db_url):
    store.submit("u1", "k1", fields(), "ky", now=JUNE)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE reference_counters RENAME TO rc_gone"))
        with pytest.raises(StorageError):
            store.submit("u1", "k2", fields(), "ky", now=JUNE)
        assert len(store.list_appeals()) == 1  # nothing partial
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE rc_gone RENAME TO reference_counters"))
        engine.dispose()


# --------------------------------------------------------------------------
# migrations
# --------------------------------------------------------------------------


def test_migration_creates_schema_and_is_idempotent(fresh_url):
    assert migrate(fresh_url) == HEAD
    engine = make_engine(fresh_url)
    try:
        insp = sa.inspect(engine)
        assert {"appeals", "reference_counters", "alembic_version"} <= set(insp.get_table_names())
        columns = {c["name"] for c in insp.get_columns("appeals")}
        assert {
            "id",
            "reference",
            "year",
            "seq",
            "status",
            "language",
            "conversation_id",
            "submission_key",
            "full_name",
            "phone",
            "region",
            "category",
            "respondent",
            "incident_date",
            "description",
            "late",
            "attachments",
            "created_at",
            "updated_at",
            "erased_at",
        } <= columns
    finally:
        engine.dispose()
    assert migrate(fresh_url) == HEAD
    assert _rows(fresh_url, "SELECT version_num FROM alembic_version") == [(HEAD,)]
    with AppealStore(fresh_url) as s:
        assert s.submit("u", "k", fields(), "ky", now=JUNE).reference == "AK-2026-000001"
    assert migrate(fresh_url) == HEAD


def test_store_migrates_on_first_use(fresh_url):
    with AppealStore(fresh_url) as s:
        assert s.list_appeals() == []
    with AppealStore(fresh_url) as s:
        assert s.list_appeals() == []


def test_schema_only_from_migrations():
    for module in (REPO / "appeals").glob("*.py"):
        assert "create_all" not in module.read_text(encoding="utf-8"), module


# --------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------


def _cli(url, *args):
    env = dict(os.environ, DATABASE_URL=url, PYTHONIOENCODING="ascii")
    return subprocess.run(
        [sys.executable, "-m", "appeals", *args],
        cwd=str(REPO),
        env=env,
        capture_output=True,
        timeout=60,
    )


def test_cli_list_json(store, db_url):
    ref = store.submit("tg-1", "k1", fields(), "ky", now=JUNE).reference
    proc = _cli(db_url, "list", "--json")
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    data = json.loads(proc.stdout.decode("utf-8"))
    assert isinstance(data, list) and len(data) == 1
    a = data[0]
    assert a["reference"] == ref
    assert a["full_name"] == "Айгүл Асанова"
    assert "Айгүл".encode() in proc.stdout  # ensure_ascii=False
    assert a["created_at"] == "2026-06-15T10:00:00+00:00"
    assert a["incident_date"] == "2026-03-12"

    proc = _cli(db_url, "set-status", ref, "resolved")
    assert proc.returncode == 0
    assert store.status_for("tg-1", ref) == "resolved"
    proc = _cli(db_url, "list")
    assert proc.returncode == 0 and ref.encode() in proc.stdout


def test_cli_errors(tmp_path):
    url = "sqlite:///" + str(tmp_path / "cli.db")
    assert _cli(url, "migrate").returncode == 0
    assert json.loads(_cli(url, "list", "--json").stdout) == []
    for args in ((), ("bogus",), ("set-status", "AK-2026-000001", "done"), ("list", "--xml")):
        assert _cli(url, *args).returncode == 2, args
    proc = _cli(url, "set-status", "AK-2026-000001", "resolved")
    assert proc.returncode == 1
    broken = "sqlite:///" + str(tmp_path / "missing-dir" / "x" / "cli.db")
    proc = _cli(broken, "list", "--json")
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert b"Traceback" not in proc.stderr and len(err.strip().splitlines()) == 1
    proc = _cli("postgresql://postgres@127.0.0.1:1/x", "list")
    assert proc.returncode == 1 and b"Traceback" not in proc.stderr


def test_every_attachment_key_is_kept(store):
    att = [
        {
            "file_id": "AgAD",
            "file_unique_id": "AQAD",
            "name": "фото.jpg",
            "mime_type": "image/jpeg",
            "size": 2048,
            "kind": "photo",
            "caption": "not kept",
        }
    ]
    ref = store.submit("tg-1", "k1", fields(attachments=att), "ky", now=JUNE).reference
    kept = store.get(ref)["attachments"]
    assert kept == [{k: v for k, v in att[0].items() if k != "caption"}]
    with pytest.raises(ValueError):
        store.submit("tg-1", "k2", fields(attachments=[{"name": "x.pdf"}]), "ky", now=JUNE)
