"""The staff console (Flask test client, real database: SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import yaml

from appeals import history, staff
from appeals.db import make_engine
from console import i18n
from core import labels
from core.appeal import CATEGORIES, REGIONS, STATUSES
from core.language import LANGUAGES
from tests.support.console import add_account, add_appeal, csrf_of, make_app, rows, sign_in

ROOT = Path(__file__).resolve().parent.parent


def _url_for_rule(rule, reference):
    values = {"reference": reference, "index": 0, "account_id": 1}
    path = rule.rule
    for arg in rule.arguments:
        path = path.replace(f"<{arg}>", str(values[arg])).replace(f"<int:{arg}>", str(values[arg]))
    return path


def test_every_route_refuses_anonymous_and_operator_on_admin_routes(db):
    ref = add_appeal(db)
    add_account(db, "oper", "operator")
    app = make_app(db, WTF_CSRF_ENABLED=False)
    public = {"auth.login"}
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in public]
    assert not any(r.endpoint == "static" for r in app.url_map.iter_rules())
    anon = app.test_client()
    for rule in rules:
        path = _url_for_rule(rule, ref)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            resp = anon.open(path, method=method)
            assert resp.status_code in (302, 401), (method, path, resp.status_code)
            if resp.status_code == 302:
                assert "/login" in resp.location
    op = app.test_client()
    assert sign_in(op, "oper").status_code == 302
    admin_rules = [r for r in rules if r.endpoint.startswith("admin.")]
    assert {r.endpoint for r in admin_rules} >= {"admin.export", "admin.audit_page", "admin.staff_page"}
    for rule in admin_rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            resp = op.open(_url_for_rule(rule, ref), method=method)
            assert resp.status_code == 403, (method, rule.rule, resp.status_code)


def test_form_without_csrf_token_is_refused(db):
    ref = add_appeal(db)
    add_account(db, "oper", "operator")
    app = make_app(db)
    c = app.test_client()
    sign_in(c, "oper")
    resp = c.post(f"/appeals/{ref}/status", data={"status": "resolved", "note": "x"})
    assert resp.status_code == 400
    assert rows(db, "SELECT status FROM appeals")[0]["status"] == "received"
    assert c.post("/login", data={"username": "oper", "password": "x"}).status_code == 400


def test_html_and_sql_in_search_and_notes_come_back_as_text(db):
    evil = "<script>alert(1)</script>' OR '1'='1"
    ref = add_appeal(db, description="Описание " + evil + " конец текста описания")
    add_account(db, "oper", "operator")
    app = make_app(db)
    c = app.test_client()
    sign_in(c, "oper")
    html = c.get("/appeals", query_string={"q": evil}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Найдено: 1" in html  # the SQL text is a search term: it matches that one appeal
    html = c.get("/appeals", query_string={"q": "' OR 1=1 --"}).get_data(as_text=True)
    assert "Найдено: 0" in html
    page = c.get("/appeals/" + ref).get_data(as_text=True)
    token = csrf_of(page)
    note = '<img src=x onerror="alert(2)"> 1); DROP TABLE appeals; --'
    assert (
        c.post(
            f"/appeals/{ref}/status", data={"status": "in_review", "note": note, "csrf_token": token}
        ).status_code
        == 302
    )
    page = c.get("/appeals/" + ref).get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in page
    assert rows(db, "SELECT count(*) AS n FROM appeals")[0]["n"] == 1


def test_two_staff_changing_one_appeal_at_once_lose_nothing(db):
    ref = add_appeal(db)
    a = add_account(db, "anna", "operator")
    b = add_account(db, "bakyt", "operator")
    engine = make_engine(db)
    errors = []

    def work(who, status):
        try:
            for i in range(10):
                history.change_status(engine, ref, status, f"{who['username']} note {i}", who)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [
        threading.Thread(target=work, args=(a, "in_review")),
        threading.Thread(target=work, args=(b, "forwarded")),
    ]
    [t.start() for t in threads]
    [t.join() for t in threads]
    engine.dispose()
    assert not errors
    events = rows(db, "SELECT old_status, new_status, note FROM appeal_events ORDER BY id")
    assert len(events) == 20
    assert len(rows(db, "SELECT id FROM outbox WHERE state = 'pending'")) == 20
    # the history is a chain: each change starts from the status the previous one left
    for prev, cur in zip(events, events[1:], strict=False):
        assert cur["old_status"] == prev["new_status"]
    final = rows(db, "SELECT status FROM appeals")[0]["status"]
    assert final == events[-1]["new_status"]
    assert len(rows(db, "SELECT id FROM audit_log WHERE action IN ('status_change', 'note')")) == 20


def test_status_change_queues_the_citizens_message_in_the_appeals_language(db):
    ky = add_appeal(db, 1, language="ky")
    ru = add_appeal(db, 2, language="ru")
    rest = add_appeal(db, 3, language="ru", telegram=False)
    add_account(db, "oper", "operator", language="ru")
    c = make_app(db).test_client()
    sign_in(c, "oper")
    for ref in (ky, ru, rest):
        token = csrf_of(c.get("/appeals/" + ref).get_data(as_text=True))
        c.post(
            f"/appeals/{ref}/status", data={"status": "in_review", "note": "Проверяем", "csrf_token": token}
        )
    out = {r["chat_id"]: r for r in rows(db, "SELECT chat_id, text, state FROM outbox")}
    assert out["500001"]["text"].startswith(f"Кайрылуу {ky}: каралууда.")
    assert "Проверяем" in out["500001"]["text"]
    assert out["500002"]["text"].startswith(f"Обращение {ru}: на рассмотрении.")
    assert out[None]["state"] == "no_channel"
    page = c.get("/appeals/" + rest).get_data(as_text=True)
    assert "нет канала" in page
    audit = rows(db, "SELECT action, reference FROM audit_log WHERE action = 'open_appeal'")
    assert {r["reference"] for r in audit} == {ky, ru, rest}


def test_filters_search_sort_counts_and_overdue(db):
    old = add_appeal(db, 1, days_ago=40, region="osh_city", category="courts")
    new = add_appeal(db, 2, region="bishkek", full_name="Тимур Маматов", phone="+996700111222")
    add_account(db, "oper", "operator")
    c = make_app(db, CONSOLE_ANSWER_DAYS=30).test_client()
    sign_in(c, "oper")

    def refs(**q):
        html = c.get("/appeals", query_string=q).get_data(as_text=True)
        return {r for r in (old, new) if r in html}

    assert refs() == {old, new}
    assert refs(overdue="1") == {old}
    assert refs(region="bishkek") == {new}
    assert refs(category="courts") == {old}
    assert refs(q="Маматов") == {new}
    assert refs(q="0700 111 222") == {new}
    assert refs(q=new) == {new}
    assert refs(q=str(int(new[-6:])) and new.replace("AK-", "ak")) == {new}
    html = c.get("/appeals", query_string={"sort": "oldest"}).get_data(as_text=True)
    assert html.index(old) < html.index(new)


def test_sign_in_locks_after_repeated_failures(db):
    add_account(db, "oper", "operator")
    c = make_app(db).test_client()
    for _ in range(staff.MAX_FAILED):
        assert sign_in(c, "oper", "wrong password!").status_code == 401
    resp = sign_in(c, "oper")
    assert resp.status_code == 401
    assert "Слишком много" in resp.get_data(as_text=True) or "өтө көп" in resp.get_data(as_text=True)
    assert rows(db, "SELECT count(*) AS n FROM audit_log WHERE action = 'sign_in_failed'")[0]["n"] == 6


def test_cookies_httponly_samesite_and_secure_when_configured(db):
    add_account(db, "oper", "operator")
    c = make_app(db, SESSION_COOKIE_SECURE=True).test_client()
    resp = sign_in(c, "oper")
    cookie = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith("akc_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_audit_log_is_append_only(db):
    add_account(db, "oper", "operator")
    c = make_app(db).test_client()
    sign_in(c, "oper")
    engine = make_engine(db)
    import sqlalchemy as sa

    with pytest.raises(sa.exc.DatabaseError):
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM audit_log"))
    with pytest.raises(sa.exc.DatabaseError):
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE audit_log SET action = 'x'"))
    engine.dispose()


def test_admin_export_and_figures(db):
    add_appeal(db, 1)
    add_appeal(db, 2, language="ru")
    add_account(db, "boss", "admin")
    c = make_app(db).test_client()
    sign_in(c, "boss")
    csv_text = c.get("/export.csv").get_data(as_text=True)
    assert csv_text.count("\n") == 3 and "+996555123456" in csv_text
    html = c.get("/figures").get_data(as_text=True)
    assert "<svg" in html and "Всего обращений: 2" in html


def test_translations_have_the_same_keys_and_the_assistants_labels():
    ky, ru = i18n.catalog("ky"), i18n.catalog("ru")
    assert set(ky) == set(ru)
    responses = {}
    for path in sorted((ROOT / "domain").glob("*.yml")):  # the assistant's domain, as Rasa merges it
        responses.update((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {})
    for group, codes in (("status", STATUSES), ("region", REGIONS), ("category", CATEGORIES)):
        for code in codes:
            variants = responses[f"utter_{group}_{code}"]
            texts = {
                c["value"]: v["text"] for v in variants for c in v["condition"] if c["name"] == "language"
            }
            assert {lang: i18n.label(lang, group, code) for lang in LANGUAGES} == texts
    for texts in labels.NEWS.values():  # what the citizen is told promises no number of days
        for text in texts.values():
            assert not any(ch.isdigit() for ch in text.replace("115", ""))
