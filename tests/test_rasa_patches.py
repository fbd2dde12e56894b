"""The Rasa speed fixes (akyikatchy/rasa_patches.py) give the same verdicts as Rasa's code.

Each test compares the patched function with Rasa's original on the same inputs, in one
process: the same accepted and rejected action server responses (with the same error
message), the same event class for every event type name, and the same answers for names
that are not events.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import rasa
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses

from akyikatchy import rasa_patches


@pytest.fixture
def patches() -> Iterator[dict[str, Any]]:
    """Rasa's originals and the patched functions; leaves Rasa as it found it."""
    was_applied = rasa_patches.applied()
    rasa_patches.undo()
    original = {
        "validate": RemoteAction._validate_action_result,
        "resolve": Event.resolve_by_type,
    }
    rasa_patches.apply()
    patched = {
        "validate": RemoteAction._validate_action_result,
        "resolve": Event.resolve_by_type,
    }
    assert patched["validate"] is not original["validate"]
    assert patched["resolve"] is not original["resolve"]
    yield {"original": original, "patched": patched}
    if not was_applied:
        rasa_patches.undo()


def _verdict(validate, result: Any) -> Any:
    try:
        return ("valid", validate(RemoteAction("action_submit_appeal", None), result))
    except ValidationError as error:
        return ("invalid", error.message, list(error.absolute_path))


VALID_RESPONSES: list[dict[str, Any]] = [
    {},
    {"events": [], "responses": []},
    {
        "events": [
            {"event": "slot", "name": "full_name", "value": "Асанов Бакыт", "timestamp": None},
            {"event": "slot", "name": "requested_slot", "value": "phone"},
            {"event": "active_loop", "name": "appeal_form"},
            {"event": "active_loop", "name": None},
            {"event": "followup", "name": "action_listen"},
            {"event": "reset_slots"},
            {"event": "restart"},
        ],
        "responses": [
            {"response": "utter_ask_phone"},
            {"text": "AK-2026-000042", "buttons": [{"title": "Ооба", "payload": "/affirm"}]},
            {"custom": {"request_contact": "Номеримди жөнөтүү"}},
        ],
    },
    {"events": [UserUttered("салам", {"name": "greet", "confidence": 1.0}).as_dict()]},
    {"events": [ActionExecuted("action_listen").as_dict(), SlotSet("language", "ru").as_dict()]},
]

INVALID_RESPONSES: list[Any] = [
    [],
    "ok",
    {"events": "x"},
    {"events": [{"name": "full_name"}]},
    {"events": [{"event": 5}]},
    {"events": [{"event": "slot", "name": "x", "timestamp": "yesterday"}]},
    {"events": [{"event": "user", "text": 5}]},
    {"events": [{"event": "slot", "name": "x", "metadata": "m"}, {"event": "bot", "text": 3}]},
    {"events": [{"event": "slot"}]},
    {"events": [{"event": "action", "name": 5}]},
    {"events": [{"event": "user", "parse_data": {"entities": [{"start": 0}]}}]},
    {"events": [], "responses": "utter_greet"},
]


@pytest.mark.parametrize("result", VALID_RESPONSES + INVALID_RESPONSES)
def test_action_response_validation_gives_the_same_verdict_and_message(patches, result):
    original = _verdict(patches["original"]["validate"], result)
    patched = _verdict(patches["patched"]["validate"], result)
    assert patched == original
    expected = "valid" if any(result is r for r in VALID_RESPONSES) else "invalid"
    assert original[0] == expected


def test_every_event_type_name_resolves_to_the_same_class(patches):
    names = {cls.type_name for cls in all_subclasses(Event)}
    assert {"user", "bot", "slot", "action", "active_loop", "restart", "followup"} <= names
    for _ in range(2):  # the second round answers from the cache
        for name in sorted(names):
            assert patches["patched"]["resolve"](name) is patches["original"]["resolve"](name), name


def test_names_that_are_not_events_are_answered_as_before(patches):
    original, patched = patches["original"]["resolve"], patches["patched"]["resolve"]
    assert patched("topic") is original("topic") is None
    assert patched("no_such_event", SlotSet) is original("no_such_event", SlotSet) is SlotSet
    with pytest.raises(ValueError) as patched_error:
        patched("no_such_event")
    with pytest.raises(ValueError) as original_error:
        original("no_such_event")
    assert str(patched_error.value) == str(original_error.value)


def test_events_round_trip_through_the_patched_resolver(patches):
    events = [SlotSet("language", "ky"), ActionExecuted("action_listen"), UserUttered("салам")]
    assert [Event.from_parameters(e.as_dict()) for e in events] == events


def test_apply_is_idempotent(patches):
    validate, resolve = RemoteAction._validate_action_result, Event.__dict__["resolve_by_type"]
    rasa_patches.apply()
    assert RemoteAction._validate_action_result is validate
    assert Event.__dict__["resolve_by_type"] is resolve


def test_building_the_nlg_applies_the_patches():
    from akyikatchy.nlg import LanguageAwareNLG

    was_applied = rasa_patches.applied()
    rasa_patches.undo()
    try:
        assert RemoteAction._validate_action_result.__module__ != rasa_patches.__name__
        LanguageAwareNLG(domain=Domain.empty())
        assert rasa_patches.applied()
        assert RemoteAction._validate_action_result is rasa_patches.validate_action_result
    finally:
        if not was_applied:
            rasa_patches.undo()


def test_refused_on_another_rasa_version(monkeypatch):
    assert rasa.__version__ == rasa_patches.TESTED_RASA_VERSION
    was_applied = rasa_patches.applied()
    rasa_patches.undo()
    monkeypatch.setattr(rasa, "__version__", "3.7.0")
    try:
        with pytest.raises(rasa_patches.UnsupportedRasaVersion) as refused:
            rasa_patches.apply()
        assert "3.7.0" in str(refused.value) and "3.6.21" in str(refused.value)
        assert not rasa_patches.applied()
        assert RemoteAction._validate_action_result.__module__ != rasa_patches.__name__
    finally:
        monkeypatch.undo()
        if was_applied:
            rasa_patches.apply()
