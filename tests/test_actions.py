"""Each action against a real database: SQLite in a temp dir, and the local PostgreSQL."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.storage as storage
from actions.appeal_form import ValidateAppealForm
from actions.appeal_storage import ActionFinishAppeal
from actions.erasure import ActionDeleteMyData
from actions.status import ActionCheckStatus
from appeals.store import AppealStore
from tests.conftest import ROOT
from tests.test_store import _pg_create_db, _pg_drop_db, _pg_url, pg_available  # noqa: F401

DOMAIN = yaml.safe_load(open(ROOT / "domain.yml", encoding="utf-8"))
FILLED = {
    "consent": True, "full_name": "Асанов Бакыт", "phone": "+996700123456",
    "region": "osh_city", "category": "labour", "respondent": "мектептин директору",
    "incident_date": "2026-11-01", "description": "Үч айдан бери айлык акы төлөнбөй жатат.",
    "late": False, "submission_key": "key-1", "language": "ky", "requested_slot": "confirm",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path, monkeypatch):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'appeals.db'}"
        name = None
    else:
        request.getfixturevalue("pg_available")
        name = _pg_create_db()
        url = _pg_url(name)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr(storage, "_store", None)
    yield url
    if storage._store is not None:
        storage._store.close()
    monkeypatch.setattr(storage, "_store", None)
    if name:
        _pg_drop_db(name)


def make_tracker(
    slots: Dict[str, Any], text: str = "", intent: str = "inform", sender: str = "user-1",
    events: Optional[List[dict]] = None,
) -> Tracker:
    message = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [], "metadata": {}}
    return Tracker(sender, slots, message, events or [], False, None,
                   {"name": "appeal_form"}, "action_listen")


def run(coro_or_value):
    return asyncio.run(coro_or_value) if asyncio.iscoroutine(coro_or_value) else coro_or_value


def responses(dispatcher: CollectingDispatcher) -> List[str]:
    return [m.get("response") for m in dispatcher.messages]


def confirm(slots: Dict[str, Any], sender: str = "user-1"):
    dispatcher = CollectingDispatcher()
    result = run(ValidateAppealForm().validate_confirm(
        "ооба", dispatcher, make_tracker(slots, "ооба", "affirm", sender), DOMAIN))
    return result, dispatcher


def test_confirmed_appeal_is_stored_once(database):
    result, _ = confirm(FILLED)
    assert result["confirm"] is True and result["reference"].startswith("AK-")
    again, _ = confirm(FILLED)  # the same confirmation delivered twice
    assert again["reference"] == result["reference"]
    rows = AppealStore(database).list_appeals()
    assert len(rows) == 1 and rows[0]["full_name"] == "Асанов Бакыт"


def test_storage_failure_says_so_and_keeps_the_answers(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    monkeypatch.setattr(storage, "_store", None)
    result, dispatcher = confirm(FILLED)
    assert result == {"confirm": None}  # the form asks again; nothing else is cleared
    assert responses(dispatcher) == ["utter_storage_failed"]
    # nothing claims success: without a stored reference no "submitted" message is sent
    dispatcher = CollectingDispatcher()
    run(ActionFinishAppeal().run(dispatcher, make_tracker({**FILLED, "confirm": None}), DOMAIN))
    assert "utter_appeal_submitted" not in responses(dispatcher)
    monkeypatch.setattr(storage, "_store", None)


def test_three_failed_tries_explain_with_an_example(database):
    form, slots = ValidateAppealForm(), {"language": "ru", "requested_slot": "phone"}
    seen = []
    for attempt in range(3):
        dispatcher = CollectingDispatcher()
        result = form.validate_phone("12", dispatcher, make_tracker(slots, "12"), DOMAIN)
        seen.append(responses(dispatcher))
        slots.update(result)
    assert seen[0] == seen[1] == ["utter_invalid_phone"]
    assert seen[2] == ["utter_too_many_attempts"]
    message = dispatcher.messages[0]
    assert "0555" in message["expected_example"] or "+996" in message["expected_example"]
    ok = form.validate_phone("0555 12 34 56", CollectingDispatcher(), make_tracker(slots), DOMAIN)
    assert ok["phone"] == "+996555123456" and ok["failed_count"] is None


def test_late_incident_is_flagged_and_told(database):
    dispatcher = CollectingDispatcher()
    result = ValidateAppealForm().validate_incident_date(
        "12.03.2020", dispatcher, make_tracker({"language": "ky"}), DOMAIN)
    assert result["late"] is True and result["incident_date"] == "2020-03-12"
    assert responses(dispatcher) == ["utter_late_appeal"]


def test_status_is_owner_only(database):
    reference = confirm(FILLED, sender="owner")[0]["reference"]

    def status(sender: str, ref: str):
        dispatcher = CollectingDispatcher()
        run(ActionCheckStatus().run(dispatcher, make_tracker({"appeal_reference": ref}, sender=sender), DOMAIN))
        return dispatcher.messages[0]

    mine = status("owner", reference)
    assert mine["response"] == "utter_appeal_status" and mine["status_label"]
    other = status("someone-else", reference)
    missing = status("someone-else", "AK-2026-999999")
    assert other["response"] == missing["response"] == "utter_appeal_not_found"


def test_erasure_clears_personal_fields(database):
    reference = confirm(FILLED, sender="owner")[0]["reference"]
    dispatcher = CollectingDispatcher()
    run(ActionDeleteMyData().run(dispatcher, make_tracker({}, sender="owner"), DOMAIN))
    assert dispatcher.messages[0]["response"] == "utter_data_deleted"
    row = AppealStore(database).get(reference)
    assert row["full_name"] is None and row["phone"] is None and row["reference"] == reference
    again = CollectingDispatcher()
    run(ActionDeleteMyData().run(again, make_tracker({}, sender="owner"), DOMAIN))
    assert again.messages[0]["response"] == "utter_nothing_to_delete"
