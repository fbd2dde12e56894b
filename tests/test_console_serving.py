"""The console as served: gunicorn (`make console`), attachments streamed from the Bot API,
the CLI's status change written like the console's, the search index, search limits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa

from appeals import console_queries as cq
from appeals.console_filters import where_clauses
from appeals.console_schema import appeals
from appeals.db import make_engine
from devserver.servers import free_port
from tests.support.console import FakeTelegram, add_account, add_appeal, make_app, rows, sign_in

ROOT = Path(__file__).resolve().parent.parent
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 800  # ~200 KiB: several chunks
PHOTO = b"\xff\xd8\xff\xe0" + b"\x00" * 5000


@pytest.fixture
def fake():
    with FakeTelegram() as f:
        yield f


def test_make_console_serves_the_sign_in_page_under_gunicorn(tmp_path):
    port = free_port()
    env = dict(
        os.environ,
        CONSOLE_SECRET_KEY="gunicorn-test-secret-0123456789",
        DATABASE_URL="sqlite:///" + str(tmp_path / "gunicorn.db"),
    )
    # -o: never reinstall the venv from a test; the target's own command line runs
    cmd = [
        "make",
        "--no-print-directory",
        "-o",
        ".venv/.installed",
        "console",
        f"CONSOLE_BIND=127.0.0.1:{port}",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                login = httpx.get(base + "/login", timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None, "gunicorn exited"
                assert time.monotonic() < deadline, "gunicorn did not answer in 60 s"
                time.sleep(0.3)
        assert login.status_code == 200
        assert 'name="csrf_token"' in login.text and 'id="password"' in login.text
        assert "HttpOnly" in login.headers["set-cookie"]  # the session holding the CSRF token
        home = httpx.get(base + "/", timeout=5)
        assert home.status_code == 302 and "/login" in home.headers["location"]
        listing = httpx.get(base + "/appeals", timeout=5)
        assert listing.status_code == 302 and "/login" in listing.headers["location"]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def _appeal_with_files(db, fake):
    fake.add_file("DOC-1", PDF, "documents/file_7.pdf")
    fake.add_file("PHOTO-1", PHOTO, "photos/file_8.jpg")
    fake.add_file("HTML-1", b"<script>alert(1)</script>", "documents/file_9.html")
    files = [
        {"file_id": "DOC-1", "name": "акт проверки.pdf", "mime_type": "application/pdf", "size": len(PDF)},
        {"file_id": "PHOTO-1", "kind": "photo", "size": len(PHOTO)},
        {"file_id": "HTML-1", "name": "page.html", "mime_type": "text/html"},
        {"file_id": "GONE-1", "name": "gone.pdf", "mime_type": "application/pdf"},
    ]
    return add_appeal(db, attachments=files)


def test_attachments_are_fetched_with_getfile_and_streamed(db, fake):
    ref = _appeal_with_files(db, fake)
    add_account(db, "oper", "operator")
    app = make_app(db, TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_BASE_URL=fake.base_url)
    c = app.test_client()
    sign_in(c, "oper")
    page = c.get(f"/appeals/{ref}").get_data(as_text=True)
    assert "акт проверки.pdf" in page and f"/appeals/{ref}/attachments/0" in page

    view = c.get(f"/appeals/{ref}/attachments/0")
    assert view.status_code == 200 and view.is_streamed
    assert view.get_data() == PDF
    assert view.mimetype == "application/pdf"
    assert view.headers["Content-Disposition"].startswith("inline;")
    assert "sandbox" in view.headers["Content-Security-Policy"]
    assert [call.params["file_id"] for call in fake.calls_since(0, "getFile")] == ["DOC-1"]
    assert [call.params["file_path"] for call in fake.calls_since(0, "file")] == ["documents/file_7.pdf"]

    download = c.get(f"/appeals/{ref}/attachments/0?download=1")
    assert download.get_data() == PDF
    name = quote("акт проверки.pdf")
    assert download.headers["Content-Disposition"] == f"attachment; filename*=UTF-8''{name}"
    photo = c.get(f"/appeals/{ref}/attachments/1")
    assert photo.get_data() == PHOTO and photo.mimetype == "image/jpeg"
    html = c.get(f"/appeals/{ref}/attachments/2")  # never rendered by the browser
    assert html.mimetype == "application/octet-stream"
    assert html.headers["Content-Disposition"].startswith("attachment;")

    gone = c.get(f"/appeals/{ref}/attachments/3")  # Telegram: "invalid file_id"
    assert gone.status_code == 502 and fake.token not in gone.get_data(as_text=True)
    assert c.get(f"/appeals/{ref}/attachments/9").status_code == 404
    for resp in (view, download, gone):
        assert fake.token not in str(resp.headers)
    actions = [r["action"] for r in rows(db, "SELECT action FROM audit_log WHERE reference = :r", r=ref)]
    assert actions.count("attachment_view") == 4 and actions.count("attachment_download") == 1


def test_attachments_without_a_bot_token_are_refused_politely(db):
    ref = add_appeal(db, attachments=[{"file_id": "DOC-1", "name": "a.pdf"}])
    add_account(db, "oper", "operator")
    c = make_app(db, TELEGRAM_BOT_TOKEN="").test_client()
    sign_in(c, "oper")
    assert c.get(f"/appeals/{ref}/attachments/0").status_code == 502


def test_cli_set_status_writes_history_outbox_and_audit_like_the_console(db):
    ref = add_appeal(db, 1, language="ky")
    env = dict(os.environ, DATABASE_URL=db)
    cmd = [sys.executable, "-m", "appeals", "set-status", ref.lower(), "forwarded", "--note", "Прокуратурага"]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    event = rows(db, "SELECT old_status, new_status, note, staff_id, actor FROM appeal_events")
    assert [dict(e) for e in event] == [
        {
            "old_status": "received",
            "new_status": "forwarded",
            "note": "Прокуратурага",
            "staff_id": None,
            "actor": event[0]["actor"],
        }
    ]
    assert event[0]["actor"].startswith("cli")
    news = rows(db, "SELECT chat_id, state, text FROM outbox")
    assert len(news) == 1 and news[0]["chat_id"] == "500001" and news[0]["state"] == "pending"
    assert news[0]["text"].splitlines()[:2] == [
        f"Кайрылуу {ref}: тиешелүү органга жөнөтүлдү.",
        "Кызматкердин билдирүүсү: Прокуратурага",
    ]
    audit = rows(db, "SELECT action, username, reference FROM audit_log")
    assert [(a["action"], a["reference"]) for a in audit] == [("status_change", ref)]
    assert audit[0]["username"] == event[0]["actor"]
    add_account(db, "oper", "operator")
    c = make_app(db).test_client()
    sign_in(c, "oper")
    assert event[0]["actor"] in c.get(f"/appeals/{ref}").get_data(as_text=True)  # who, in the history


def test_search_runs_on_the_trigram_index_in_postgresql(db):
    if not db.startswith("postgresql"):
        pytest.skip("the index is PostgreSQL's")
    add_appeal(db)
    engine = make_engine(db)
    try:
        for q in ("Садыкова", "0555 123 456"):
            query = sa.select(appeals.c.id).where(*where_clauses(cq.Filters(q=q)))
            with engine.begin() as conn:
                conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a tiny table: force the choice
                compiled = query.compile(dialect=conn.dialect)
                plan = "\n".join(
                    r[0] for r in conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)
                )
            assert "ix_appeals_search_trgm" in plan, plan
    finally:
        engine.dispose()


def test_short_searches_are_refused_and_large_counts_capped(db, monkeypatch):
    for n in range(1, 5):
        add_appeal(db, n, full_name=f"Бакыт Турдубаев {n}")
    add_account(db, "oper", "operator")
    c = make_app(db).test_client()
    sign_in(c, "oper")
    html = c.get("/appeals", query_string={"q": "ов"}).get_data(as_text=True)
    assert 'id="short"' in html and "Найдено: 4" in html
    monkeypatch.setattr(cq, "COUNT_CAP", 2)
    html = c.get("/appeals", query_string={"q": "Турдубаев"}).get_data(as_text=True)
    assert "Найдено: более 2" in html
    engine = make_engine(db)
    try:
        page = cq.list_appeals(engine, cq.Filters(q="Турдубаев"))
    finally:
        engine.dispose()
    assert page.capped and len(page.rows) == 4  # the rows are all there; only the count stops
