"""Security of the action server and the staff CLI: fails if a door opens.

Real servers on free loopback ports (``devserver``), called over HTTP as Rasa -- or an
attacker -- would call them:

* the action server answers ``/webhook`` and ``/actions`` only with the shared secret
  (no header, a wrong one, another scheme: 401); ``/health`` stays open; it binds loopback
  and refuses to start without a proper secret, also when started as plain
  ``rasa run actions``;
* a forged call to the erasure action, without the user's "yes" to the erasure question,
  erases nothing;
* a forged submission with values no validator produced (phone "not a phone", region
  "nowhere", date 0001-01-01, terminal escape codes in the description) stores nothing and
  answers with the form's error message, not a stack trace;
* the staff CLI prints stored control characters escaped (table and JSON; JSON stays valid);
* a locked PostgreSQL row makes a submission answer "try again" within seconds while other
  users' requests answer at once; after the lock is gone a retry stores exactly once.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Optional

import pytest

from appeals.store import AppealStore
from core.appeal import FIELDS, filing_date
from devserver.servers import BIN, ROOT, action_server, base_env, free_port, stop, wait_http
from tests.support import postgres

TOKEN = secrets.token_hex(32)
VALID = {
    "full_name": "Асанов Бакыт",
    "phone": "+996700123456",
    "region": "osh_city",
    "address": "Ош шаары, Ленин көчөсү 12",
    "category": "labour",
    "respondent": "мектептин директору",
    "incident_date": "2026-11-01",
    "description": "Үч айдан бери айлык акы төлөнбөй жатат.",
}
VALID = {name: VALID[name] for name in FIELDS}  # the appeal's fields, whatever they are now
ESC = "\x1b"


# -- calling the action server ----------------------------------------------------------


def http(url: str, body: Optional[dict] = None, token: Optional[str] = TOKEN, auth: Optional[str] = None):
    """(status, decoded JSON body or None)."""
    headers = {"Content-Type": "application/json"}
    if auth is not None:
        headers["Authorization"] = auth
    elif token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw) if raw else None
        except ValueError:
            return error.code, raw.decode("utf-8", "replace")


def action_call(
    action: str,
    sender: str,
    slots: dict[str, Any],
    events: Optional[list[dict]] = None,
    intent: str = "inform",
    text: str = "",
    active_loop: Optional[str] = None,
) -> dict:
    message = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    return {
        "next_action": action,
        "sender_id": sender,
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": sender,
            "slots": slots,
            "latest_message": message,
            "events": events or [],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        },
    }


def submission(sender: str, fields: dict[str, Any], key: str) -> dict:
    """What Rasa sends when the user says "yes" to the appeal's summary."""
    slots = {
        **fields,
        "consent": True,
        "submission_key": key,
        "language": "ru",
        "requested_slot": "confirm",
        "confirm": "да",
    }
    events = [
        {"event": "user", "text": "да", "parse_data": {"intent": {"name": "affirm"}}},
        {"event": "slot", "name": "confirm", "value": "да"},
    ]
    return action_call("validate_appeal_form", sender, slots, events, "affirm", "да", "appeal_form")


def responses(body: dict) -> list[str]:
    return [r.get("response") for r in body.get("responses") or []]


def slot_value(body: dict, name: str):
    values = [
        e.get("value") for e in body.get("events") or [] if e.get("event") == "slot" and e.get("name") == name
    ]
    return values[-1] if values else None


def erasure(sender: str, events: list[dict], intent: str = "affirm") -> dict:
    return action_call("action_delete_my_data", sender, {"language": "ky"}, events, intent, "ооба")


ASKED_AND_YES = [
    {"event": "action", "name": "utter_ask_delete_confirm"},
    {"event": "bot", "text": "?", "metadata": {"utter_action": "utter_ask_delete_confirm"}},
    {"event": "action", "name": "action_listen"},
    {"event": "user", "text": "ооба", "parse_data": {"intent": {"name": "affirm"}}},
]


def rows_of(url: str, sender: str) -> list[dict]:
    with AppealStore(url) as store:
        return [r for r in store.list_appeals() if r["conversation_id"] == sender]


def new_sender() -> str:
    return "sec-" + uuid.uuid4().hex[:10]


# -- servers ------------------------------------------------------------------------------


@contextmanager
def actions_on(database_url: str, log_path: Path, **env: str) -> Iterator[str]:
    """The project's action server; yields its base URL."""
    with open(log_path, "ab") as log:
        settings = {"DATABASE_URL": database_url, "ACTION_SERVER_TOKEN": TOKEN, **env}
        with action_server(free_port(), env=settings, log=log) as webhook:
            yield webhook[: -len("/webhook")]


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('secdb') / 'appeals.db'}"
    with AppealStore(url) as store:
        store.migrate()
    return url


@pytest.fixture(scope="module")
def server(sqlite_url, tmp_path_factory) -> Iterator[str]:
    with actions_on(sqlite_url, tmp_path_factory.mktemp("seclogs") / "actions.log") as base:
        yield base


# -- authentication -----------------------------------------------------------------------


def test_the_action_server_answers_only_with_the_secret(server):
    call = action_call("action_check_status", new_sender(), {"appeal_reference": "AK-2026-000001"})
    assert http(server + "/health", token=None)[0] == 200
    for auth in (None, f"Bearer {TOKEN[:-1]}x", f"Basic {TOKEN}", TOKEN, f"Bearer {TOKEN} extra", "Bearer "):
        status, body = http(server + "/webhook", call, token=None, auth=auth)
        assert status == 401, auth
        assert "responses" not in (body or {})
    assert http(server + "/actions", token=None)[0] == 401
    status, body = http(server + "/webhook", call)
    assert status == 200 and responses(body) == ["utter_appeal_not_found"]
    assert http(server + "/actions")[0] == 200


def _other_address() -> Optional[str]:
    """A non-loopback address of this machine, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("10.255.255.255", 1))
            address = sock.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def _reachable(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex((host, port)) == 0


def test_the_action_server_listens_on_loopback_only(server):
    port = int(server.rsplit(":", 1)[1])
    other = _other_address()
    if other is None:
        pytest.skip("this machine has no non-loopback address to try")
    assert _reachable("127.0.0.1", port)
    assert not _reachable(other, port)


@pytest.mark.parametrize("token", ["", "short-token", "change-me-0123456789abcdef0123456789"])
def test_the_action_server_refuses_to_start_without_a_proper_secret(token):
    env = base_env({"ACTION_SERVER_TOKEN": token})
    result = subprocess.run(
        [sys.executable, "-m", "actions", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "ACTION_SERVER_TOKEN" in result.stderr
    if token:
        assert token not in result.stderr


def test_plain_rasa_run_actions_is_closed_too(sqlite_url, tmp_path):
    """Not the supported entry point, but no open door: loopback, secret required."""
    port = free_port()
    env = base_env({"DATABASE_URL": sqlite_url, "ACTION_SERVER_TOKEN": TOKEN})
    env.pop("SANIC_HOST", None)  # rasa-sdk's own default would be 0.0.0.0
    env.pop("ACTION_HOST", None)
    with open(tmp_path / "plain.log", "wb") as log:
        process = subprocess.Popen(
            [str(BIN / "rasa"), "run", "actions", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_http(f"http://127.0.0.1:{port}/health", 120, process)
            base = f"http://127.0.0.1:{port}"
            call = action_call("action_check_status", new_sender(), {"appeal_reference": "AK-2026-000001"})
            assert http(base + "/webhook", call, token=None)[0] == 401
            assert http(base + "/webhook", call)[0] == 200
            other = _other_address()
            if other is not None:
                assert not _reachable(other, port)
        finally:
            stop(process)
    env.pop("ACTION_SERVER_TOKEN")
    result = subprocess.run(
        [str(BIN / "rasa"), "run", "actions", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode != 0 and "ACTION_SERVER_TOKEN" in result.stdout + result.stderr


# -- forged action calls -------------------------------------------------------------------


def _file_appeal(server: str, sender: str) -> str:
    status, body = http(server + "/webhook", submission(sender, VALID, f"key-{sender}"))
    assert status == 200, body
    reference = slot_value(body, "reference")
    assert reference and reference.startswith("AK-"), body
    return reference


@pytest.mark.parametrize(
    "events, intent",
    [
        ([], "affirm"),  # no question asked at all
        (ASKED_AND_YES[:3] + [{**ASKED_AND_YES[3], "parse_data": {"intent": {"name": "deny"}}}], "deny"),
        (
            [{"event": "action", "name": "utter_greet"}, *ASKED_AND_YES[2:]],
            "affirm",
        ),  # yes to another question
        # yes to the erasure question, but something else ran after it
        (ASKED_AND_YES + [{"event": "action", "name": "utter_help"}], "affirm"),
    ],
    ids=["no-question", "said-no", "other-question", "not-right-after"],
)
def test_forged_erasure_erases_nothing(server, sqlite_url, events, intent):
    sender = new_sender()
    _file_appeal(server, sender)
    status, body = http(server + "/webhook", erasure(sender, events, intent))
    assert status == 200
    assert "utter_data_deleted" not in responses(body)
    [row] = rows_of(sqlite_url, sender)
    assert row["full_name"] == VALID["full_name"] and row["phone"] == VALID["phone"]
    assert row["erased_at"] is None


def test_erasure_right_after_yes_erases(server, sqlite_url):
    sender = new_sender()
    _file_appeal(server, sender)
    status, body = http(server + "/webhook", erasure(sender, ASKED_AND_YES))
    assert status == 200 and responses(body) == ["utter_data_deleted"]
    [row] = rows_of(sqlite_url, sender)
    assert row["full_name"] is None and row["phone"] is None and row["erased_at"]


FORGED = {
    "phone": "not a phone",
    "region": "nowhere",
    "incident_date": "0001-01-01",
    "description": f"{ESC}[2J{ESC}[31mМеня уволили без причины и не платят зарплату{ESC}[0m",
    "full_name": "Robert'); DROP TABLE appeals;--",
    "category": "everything",
    "respondent": f"ИИМ{ESC}]0;owned\a",
}


@pytest.mark.parametrize("field", list(FORGED))
def test_forged_submission_stores_nothing(server, sqlite_url, field):
    sender = new_sender()
    status, body = http(
        server + "/webhook", submission(sender, {**VALID, field: FORGED[field]}, f"k-{sender}")
    )
    assert status == 200, body  # the form's error path, not a 500 with a stack trace
    assert rows_of(sqlite_url, sender) == []
    assert slot_value(body, "reference") is None
    said = responses(body)
    assert said and "utter_storage_failed" not in said and "utter_action_failed" not in said
    assert any(r.startswith(("utter_invalid", "utter_description")) for r in said), said
    assert "Traceback" not in json.dumps(body)


def test_forged_submission_with_every_bad_value_at_once(server, sqlite_url):
    sender = new_sender()
    status, body = http(server + "/webhook", submission(sender, {**VALID, **FORGED}, f"k-{sender}"))
    assert status == 200 and rows_of(sqlite_url, sender) == []


def test_the_same_submission_with_valid_values_is_stored_once(server, sqlite_url):
    sender = new_sender()
    first = _file_appeal(server, sender)
    assert _file_appeal(server, sender) == first
    [row] = rows_of(sqlite_url, sender)
    assert row["reference"] == first and row["phone"] == VALID["phone"]


# -- the staff CLI -------------------------------------------------------------------------

NASTY = f"Ali{ESC}[2J{ESC}[31m\x9b1;1H\r\b\u202eevil\u200b\x07\x01end"


def _cli(url: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "appeals", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        timeout=60,
        check=True,
    )
    return result.stdout.decode("utf-8")


def test_cli_output_escapes_stored_control_characters(sqlite_url):
    sender = new_sender()
    # data that never went through the validators (an old row, a bug, a direct insert)
    nasty = {**VALID, "full_name": NASTY, "phone": f"+996{ESC}[8m700", "description": NASTY + " " * 20}
    with AppealStore(sqlite_url) as store:
        reference = store.submit(sender, f"k-{sender}", nasty, "ru").reference
    unsafe = [chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)] if chr(c) != "\n"] + [
        "\u202e",
        "\u200b",
    ]

    table = _cli(sqlite_url, "list")
    assert reference in table
    assert not [c for c in unsafe if c in table], "raw control characters in the table"
    assert "\\x1b[2J" in table  # shown, visibly

    text = _cli(sqlite_url, "list", "--json")
    assert not [c for c in unsafe if c in text], "raw control characters in the JSON"
    [row] = [r for r in json.loads(text) if r["reference"] == reference]
    assert row["full_name"] == NASTY and row["phone"] == nasty["phone"]  # same data, safely written


# -- a locked database: "try again" within seconds, others unaffected, then stored once -------


@pytest.fixture
def pg_url(pg_available) -> Iterator[str]:
    name = postgres.create_db()
    url = postgres.url_of(name)
    with AppealStore(url) as store:
        store.migrate()
    yield url
    postgres.drop_db(name)


@contextmanager
def counter_locked(url: str) -> Iterator[None]:
    """Another connection holds the row lock every submission of this year needs."""
    import psycopg2

    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT last_seq FROM reference_counters WHERE year = %s FOR UPDATE", (filing_date().year,)
            )
            assert cur.fetchone() is not None
        yield
    finally:
        conn.rollback()
        conn.close()


@pytest.mark.parametrize(
    "settings",
    [
        {},  # the defaults: PostgreSQL's lock_timeout gives up first
        {  # a database that never gives up: the action server's own time limit answers
            "AKY_DB_LOCK_TIMEOUT_MS": "60000",
            "AKY_DB_STATEMENT_TIMEOUT_MS": "60000",
            "AKY_STORAGE_TIMEOUT_S": "2",
        },
    ],
    ids=["lock-timeout", "call-timeout"],
)
def test_a_locked_database_answers_try_again_and_others_go_on(pg_url, tmp_path, settings):
    with actions_on(pg_url, tmp_path / "actions.log", **settings) as base:
        owner = new_sender()
        reference = _file_appeal(base, owner)  # creates this year's counter row
        sender, key = new_sender(), f"locked-{uuid.uuid4().hex[:8]}"
        answers: dict[str, Any] = {}

        def submit():
            started = time.monotonic()
            answers["submit"] = http(base + "/webhook", submission(sender, VALID, key))
            answers["submit_s"] = time.monotonic() - started

        with counter_locked(pg_url):
            worker = threading.Thread(target=submit)
            worker.start()
            time.sleep(0.5)  # the submission is now waiting for the lock
            for _ in range(3):
                started = time.monotonic()
                assert http(base + "/health", token=None)[0] == 200
                status, body = http(
                    base + "/webhook",
                    action_call("action_check_status", owner, {"appeal_reference": reference}),
                )
                assert status == 200 and responses(body) == ["utter_appeal_status"]
                assert time.monotonic() - started < 1.5, "another user waited for the locked row"
            worker.join(timeout=30)
            status, body = answers["submit"]
            assert status == 200 and responses(body) == ["utter_storage_failed"], body
            assert answers["submit_s"] < 6, f"'try again' took {answers['submit_s']:.1f} s"
            assert slot_value(body, "reference") is None

        # the lock is gone: pressing "send again" stores the appeal, exactly once
        stored = _retry(base, sender, key)
        assert _retry(base, sender, key) == stored
        rows = rows_of(pg_url, sender)
        assert [r["reference"] for r in rows] == [stored]


def _retry(base: str, sender: str, key: str) -> str:
    status, body = http(base + "/webhook", submission(sender, VALID, key))
    assert status == 200, body
    reference = slot_value(body, "reference")
    assert reference, body
    return reference
