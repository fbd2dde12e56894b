"""Each action against a real database: SQLite in a temp dir, and the local PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.storage as storage
from actions import slots
from actions.appeal_form import ValidateAppealForm
from actions.appeal_storage import ActionFinishAppeal
from actions.domain import load_domain, project_domain
from actions.erasure import ActionDeleteMyData
from actions.status import ActionCheckStatus, ValidateStatusForm
from appeals.store import AppealStore
from core.appeal import FIELDS
from tests.support import postgres

DOMAIN = project_domain()
FILLED = {
    "consent": True,
    "full_name": "Асанов Бакыт",
    "phone": "+996700123456",
    "region": "osh_city",
    "address": "Ош шаары, Ленин көчөсү 5",
    "category": "labour",
    "respondent": "мектептин директору",
    "incident_date": "2026-11-01",
    "description": "Үч айдан бери айлык акы төлөнбөй жатат.",
    "late": False,
    "submission_key": "key-1",
    "language": "ky",
    "requested_slot": "confirm",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path, monkeypatch):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'appeals.db'}"
        name = None
    else:
        request.getfixturevalue("pg_available")
        name = postgres.create_db()
        url = postgres.url_of(name)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr(storage, "_store", None)
    yield url
    if storage._store is not None:
        storage._store.close()
    monkeypatch.setattr(storage, "_store", None)
    if name:
        postgres.drop_db(name)


def make_tracker(
    slots: dict[str, Any],
    text: str = "",
    intent: str = "inform",
    sender: str = "user-1",
    events: Optional[list[dict]] = None,
) -> Tracker:
    message = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [], "metadata": {}}
    return Tracker(
        sender, slots, message, events or [], False, None, {"name": "appeal_form"}, "action_listen"
    )


def run(coro_or_value):
    return asyncio.run(coro_or_value) if asyncio.iscoroutine(coro_or_value) else coro_or_value


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("response") for m in dispatcher.messages]


def confirm(slots: dict[str, Any], sender: str = "user-1"):
    dispatcher = CollectingDispatcher()
    result = run(
        ValidateAppealForm().validate_confirm(
            "ооба", dispatcher, make_tracker(slots, "ооба", "affirm", sender), DOMAIN
        )
    )
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
    for _attempt in range(3):
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
        "12.03.2020", dispatcher, make_tracker({"language": "ky"}), DOMAIN
    )
    assert result["late"] is True and result["incident_date"] == "2020-03-12"
    assert responses(dispatcher) == ["utter_late_appeal"]


def test_status_is_owner_only(database):
    reference = confirm(FILLED, sender="owner")[0]["reference"]

    def status(sender: str, ref: str):
        dispatcher = CollectingDispatcher()
        run(
            ActionCheckStatus().run(
                dispatcher, make_tracker({"appeal_reference": ref}, sender=sender), DOMAIN
            )
        )
        return dispatcher.messages[0]

    mine = status("owner", reference)
    assert mine["response"] == "utter_appeal_status" and mine["status_label"]
    other = status("someone-else", reference)
    missing = status("someone-else", "AK-2026-999999")
    assert other["response"] == missing["response"] == "utter_appeal_not_found"


# the user has just said yes to the erasure question (actions/erasure.py checks it)
ERASURE_CONFIRMED = [
    {"event": "action", "name": "utter_ask_delete_confirm"},
    {"event": "bot", "text": "?", "metadata": {"utter_action": "utter_ask_delete_confirm"}},
    {"event": "action", "name": "action_listen"},
    {"event": "user", "text": "ооба", "parse_data": {"intent": {"name": "affirm"}}},
]


def test_erasure_clears_personal_fields(database):
    reference = confirm(FILLED, sender="owner")[0]["reference"]
    dispatcher = CollectingDispatcher()
    confirmed = make_tracker({}, "ооба", "affirm", sender="owner", events=ERASURE_CONFIRMED)
    run(ActionDeleteMyData().run(dispatcher, confirmed, DOMAIN))
    assert dispatcher.messages[0]["response"] == "utter_data_deleted"
    row = AppealStore(database).get(reference)
    assert row["full_name"] is None and row["phone"] is None and row["reference"] == reference
    again = CollectingDispatcher()
    run(ActionDeleteMyData().run(again, confirmed, DOMAIN))
    assert again.messages[0]["response"] == "utter_nothing_to_delete"


def test_slot_constants_follow_the_appeal_shape():
    named = (slots.FULL_NAME, slots.PHONE, slots.REGION, slots.ADDRESS, slots.CATEGORY, slots.RESPONDENT)
    assert named + (slots.INCIDENT_DATE, slots.DESCRIPTION) == FIELDS
    domain_slots = set(DOMAIN["slots"])
    constants = {v for k, v in vars(slots).items() if k.isupper() and isinstance(v, str)}
    assert constants - {slots.REQUESTED_SLOT} <= domain_slots


def test_the_language_slot_decides_labels():
    form = ValidateAppealForm()
    for language in ("ky", "ru"):
        tracker = make_tracker({"language": language, "requested_slot": "region"}, "Бишкек")
        result = form.validate_region("Бишкек", CollectingDispatcher(), tracker, DOMAIN)
        assert result["region"] == "bishkek"
        assert result["region_label"] == _label("utter_region_bishkek", language)
    tracker = make_tracker({"language": "ru"}, "здравоохранение")
    result = form.validate_category("здравоохранение", CollectingDispatcher(), tracker, DOMAIN)
    assert result["category"] == "health" and result["category_label"] == _label(
        "utter_category_health", "ru"
    )


def _label(response: str, language: str) -> str:
    for variant in DOMAIN["responses"][response]:
        if variant["condition"][0]["value"] == language:
            return variant["text"]
    raise AssertionError(response)


def test_the_form_validators_use_the_project_domain_when_rasa_sends_none():
    typed = "ak 2026 42"
    events = [{"event": "user", "text": typed}, {"event": "slot", "name": "appeal_reference", "value": typed}]
    tracker = Tracker(
        "u",
        {"requested_slot": "appeal_reference", "appeal_reference": typed},
        {"text": typed},
        events,
        False,
        None,
        {"name": "status_form"},
        "action_listen",
    )
    events = run(ValidateStatusForm().run(CollectingDispatcher(), tracker, {}))
    assert {"event": "slot", "name": "appeal_reference", "value": "AK-2026-000042"} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events
    ]


def test_domain_directory_is_merged(tmp_path, monkeypatch):
    (tmp_path / "forms").mkdir()
    (tmp_path / "a.yml").write_text(
        "version: '3.1'\nslots:\n  a: {type: text}\nresponses:\n  utter_a: [{text: A}]\n"
    )
    (tmp_path / "forms" / "b.yml").write_text(
        "slots:\n  b: {type: text}\nresponses:\n  utter_b: [{text: B}]\nactions: [x]\n"
    )
    (tmp_path / "c.yaml").write_text("actions: [y]\n")
    domain = load_domain(tmp_path)
    assert set(domain["responses"]) == {"utter_a", "utter_b"}
    assert set(domain["slots"]) == {"a", "b"} and sorted(domain["actions"]) == ["x", "y"]
    single = tmp_path / "a.yml"
    assert set(load_domain(single)["responses"]) == {"utter_a"}
