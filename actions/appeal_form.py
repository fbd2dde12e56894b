"""Validation of ``appeal_form``: thin wrappers around the pure rules in ``core.validation``."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.appeal_storage import submit_appeal
from actions.domain import DomainDict, response_text
from actions.forms import ProjectFormValidationAction
from actions.language import language_of
from core import validation
from core.appeal import filing_date

MAX_TRIES = 3
INTERRUPTING_INTENTS = {"faq", "help", "bot_challenge", "ask_human"}
INTERRUPTION_RESPONSES = {"help": "utter_help", "bot_challenge": "utter_iamabot"}
_QUESTION_START = re.compile(
    r"^\s*(кто|что|как|где|куда|когда|сколько|можно|ли|почему|зачем|какие|какой|"
    r"ким|эмне|кантип|кайда|качан|канча|кандай|барбы|болобу|неге|emne|kantip|kaida)\b",
    re.IGNORECASE,
)
SlotValues = dict[str, Any]


def looks_like_question(text: str) -> bool:
    """A question asked in the middle of a free-text answer, not the answer itself."""
    text = (text or "").strip()
    return text.endswith("?") or bool(_QUESTION_START.match(text)) and len(text) < 160


def _intent(tracker: Tracker) -> Optional[str]:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def _reopen(field: str) -> SlotValues:
    """Clear one field so the form asks it again, then comes back to the summary."""
    return {field: None, slots.WHICH_FIELD: None, slots.AWAITING_FIELD_CHOICE: False, slots.CONFIRM: None}


class ValidateAppealForm(ProjectFormValidationAction):
    STORY_SLOTS = {slots.DESCRIPTION: 200}

    def name(self) -> str:
        return "validate_appeal_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot(slots.CONSENT) is False:
            return [slots.CONSENT]
        if tracker.get_slot(slots.AWAITING_FIELD_CHOICE):
            return list(domain_slots)
        return [slot for slot in domain_slots if slot != slots.WHICH_FIELD]

    # ---- helpers -------------------------------------------------------------------
    @staticmethod
    def _fail(
        slot: str,
        response: Optional[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> SlotValues:
        """Say what is wrong; after MAX_TRIES, explain with an example and offer a way out."""
        count = 1
        if tracker.get_slot(slots.FAILED_SLOT) == slot:
            count = int(tracker.get_slot(slots.FAILED_COUNT) or 0) + 1
        if count >= MAX_TRIES:
            example = response_text(domain, f"utter_example_{slot}", language_of(tracker)) or ""
            dispatcher.utter_message(response="utter_too_many_attempts", expected_example=example)
        elif response:
            dispatcher.utter_message(response=response)
        return {slot: None, slots.FAILED_SLOT: slot, slots.FAILED_COUNT: float(count)}

    @staticmethod
    def _ok(values: SlotValues, tracker: Tracker) -> SlotValues:
        """A valid answer; clears the failure counter (only if set: fewer events)."""
        if tracker.get_slot(slots.FAILED_SLOT) is not None:
            return {**values, slots.FAILED_SLOT: None, slots.FAILED_COUNT: None}
        return values

    @staticmethod
    def _interrupted(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
        """Answer a question asked instead of a free-text field; the form then re-asks."""
        message = tracker.latest_message or {}
        intent = _intent(tracker)
        if intent not in INTERRUPTING_INTENTS or not looks_like_question(message.get("text")):
            return False
        if intent == "faq":
            selector = (message.get("response_selector") or {}).get("faq") or {}
            utter = (selector.get("response") or {}).get("utter_action")
            if not utter:
                return False
            dispatcher.utter_message(response=utter)
        else:
            dispatcher.utter_message(response=INTERRUPTION_RESPONSES.get(intent, "utter_ask_human"))
        return True

    def _validate_choice(
        self,
        slot: str,
        match: Callable[[str], Optional[str]],
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> SlotValues:
        """A closed answer (region, category): its code and its label in the user's language."""
        code = match(str(value or ""))
        if not code and self._interrupted(dispatcher, tracker):
            return {slot: None}
        if not code:
            return self._fail(slot, f"utter_invalid_{slot}", dispatcher, tracker, domain)
        label = response_text(domain, f"utter_{slot}_{code}", language_of(tracker)) or code
        return self._ok({slot: code, f"{slot}_label": label}, tracker)

    # ---- slots ---------------------------------------------------------------------
    def validate_consent(self, value: Any, dispatcher, tracker, domain) -> SlotValues:
        if value is True:
            key = tracker.get_slot(slots.SUBMISSION_KEY) or uuid.uuid4().hex
            return {slots.CONSENT: True, slots.SUBMISSION_KEY: key}
        return {slots.CONSENT: False}

    def validate_full_name(self, value: Any, dispatcher, tracker, domain) -> SlotValues:
        name, error = validation.check_full_name(str(value or ""))
        if error:
            response = f"utter_invalid_full_name_{error}"
            return self._fail(slots.FULL_NAME, response, dispatcher, tracker, domain)
        return self._ok({slots.FULL_NAME: name}, tracker)

    def validate_phone(self, value: Any, dispatcher, tracker, domain) -> SlotValues:
        phone = validation.normalize_phone(str(value or ""))
        if not phone:
            return self._fail(slots.PHONE, "utter_invalid_phone", dispatcher, tracker, domain)
        return self._ok({slots.PHONE: phone}, tracker)

    def validate_region(self, value: Any, dispatcher, tracker, domain) -> SlotValues:
        return self._validate_choice(
            slots.REGION, validation.match_region, value, dispatcher, tracker, domain
        )

    def validate_address(self, value: Any, dispatcher, tracker, domain) -> SlotValues:
        address, error = validation.check_address(str(value or ""))
        if error and self._interrupted(dispatcher, tracker):
            return {slots.ADDRESS: None}
        if error:
            return self._fail(slots.ADDRESS, "utter_invalid_address", dispatcher, tracker, domain)
        return self._ok({slots.ADDRESS: address}, tracker)

    def validate_category(self, value: Any, dispatcher, tracker, domain) -> SlotValues:
        match = validation.match_category
        return self._validate_choice(slots.CATEGORY, match, value, dispatcher, tracker, domain)

    def validate_respondent(self, value: Any, dispatcher, tracker, domain) -> SlotValues:
        if self._interrupted(dispatcher, tracker):
            return {slots.RESPONDENT: None}
        respondent, error = validation.check_respondent(str(value or ""))
        if error:
            return self._fail(slots.RESPONDENT, "utter_invalid_respondent", dispatcher, tracker, domain)
        return self._ok({slots.RESPONDENT: respondent}, tracker)

    def validate_incident_date(self, value: Any, dispatcher, tracker, domain) -> SlotValues:
        today = filing_date()
        date, precision, error = validation.read_incident_date(str(value or ""), today)
        if error == "future":
            return self._fail(slots.INCIDENT_DATE, "utter_future_date", dispatcher, tracker, domain)
        if error or date is None:
            return self._fail(slots.INCIDENT_DATE, "utter_invalid_date", dispatcher, tracker, domain)
        # A month is late only once all of it lies more than a year back.
        late = validation.is_late(validation.last_day(date, precision), today)
        if late:
            dispatcher.utter_message(response="utter_late_appeal")
        values = {
            slots.INCIDENT_DATE: date.isoformat(),
            slots.INCIDENT_DATE_PRECISION: precision,
            slots.INCIDENT_DATE_DISPLAY: validation.format_incident_date(date, precision),
            slots.LATE: late,
        }
        return self._ok(values, tracker)

    def validate_description(self, value: Any, dispatcher, tracker, domain) -> SlotValues:
        if self._interrupted(dispatcher, tracker):
            return {slots.DESCRIPTION: None}
        description, error = validation.check_description(str(value or ""))
        if error:
            response = "utter_description_too_long" if error == "too_long" else "utter_description_too_short"
            return self._fail(slots.DESCRIPTION, response, dispatcher, tracker, domain)
        return self._ok({slots.DESCRIPTION: description}, tracker)

    def validate_which_field(self, value: Any, dispatcher, tracker, domain) -> SlotValues:
        field = validation.match_field(str(value or ""))
        if not field and self._interrupted(dispatcher, tracker):
            return {slots.WHICH_FIELD: None}
        if not field:
            # The form asks again with the field buttons.
            return self._fail(slots.WHICH_FIELD, None, dispatcher, tracker, domain)
        return self._ok(_reopen(field), tracker)

    async def validate_confirm(self, value: Any, dispatcher, tracker, domain) -> SlotValues:
        intent = _intent(tracker)
        text = str(value or "")
        field = validation.match_field(text)
        if field:
            return self._ok(_reopen(field), tracker)
        if intent == "affirm" or text.strip() == "/affirm":
            reference = await submit_appeal(dispatcher, tracker, domain)
            if reference is None:
                return {slots.CONFIRM: None}
            return self._ok({slots.CONFIRM: True, slots.REFERENCE: reference}, tracker)
        if intent == "deny" or text.strip() == "/deny":
            return self._ok({slots.CONFIRM: None, slots.AWAITING_FIELD_CHOICE: True}, tracker)
        if self._interrupted(dispatcher, tracker):
            return {slots.CONFIRM: None}
        # Neither yes, no nor a field: the form shows the summary and its buttons again.
        return self._fail(slots.CONFIRM, None, dispatcher, tracker, domain)
