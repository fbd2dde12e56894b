"""Validation of `appeal_form`: thin wrappers around the pure rules in appeals.rules."""
from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.appeal_storage import submit_appeal
from actions.language import domain_or_project, language_of, response_text
from appeals import rules

logger = logging.getLogger(__name__)

MAX_TRIES = 3
FORM_FIELDS = [
    "full_name", "phone", "region", "category", "respondent", "incident_date", "description",
]
INTERRUPTING_INTENTS = {"faq", "help", "bot_challenge", "ask_human"}
_QUESTION_START = re.compile(
    r"^\s*(кто|что|как|где|куда|когда|сколько|можно|ли|почему|зачем|какие|какой|"
    r"ким|эмне|кантип|кайда|качан|канча|кандай|барбы|болобу|неге|emne|kantip|kaida)\b",
    re.IGNORECASE,
)


def looks_like_question(text: Text) -> bool:
    """A question asked in the middle of a free-text answer, not the answer itself."""
    text = (text or "").strip()
    return text.endswith("?") or bool(_QUESTION_START.match(text)) and len(text) < 160


def today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).astimezone(
        dt.timezone(dt.timedelta(hours=6))  # Bishkek time
    ).date()


class ValidateAppealForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_appeal_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        return await super().run(dispatcher, tracker, domain_or_project(domain))

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        if tracker.get_slot("consent") is False:
            return ["consent"]
        if tracker.get_slot("awaiting_field_choice"):
            return list(domain_slots)
        return [slot for slot in domain_slots if slot != "which_field"]

    # ---- helpers -------------------------------------------------------------------
    def _fail(
        self,
        slot: Text,
        response: Optional[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[Text, Any]:
        """Say what is wrong; after MAX_TRIES, explain with an example and offer a way out."""
        count = 1
        if tracker.get_slot("failed_slot") == slot:
            count = int(tracker.get_slot("failed_count") or 0) + 1
        if count >= MAX_TRIES:
            example = response_text(domain, f"utter_example_{slot}", language_of(tracker)) or ""
            dispatcher.utter_message(response="utter_too_many_attempts", expected_example=example)
        elif response:
            dispatcher.utter_message(response=response)
        return {slot: None, "failed_slot": slot, "failed_count": float(count)}

    @staticmethod
    def _ok(values: Dict[Text, Any], tracker: Tracker) -> Dict[Text, Any]:
        """A valid answer; clears the failure counter (only if set: fewer events)."""
        if tracker.get_slot("failed_slot") is not None:
            return {**values, "failed_slot": None, "failed_count": None}
        return values

    @staticmethod
    def _interrupted(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
        """Answer a question asked instead of a free-text field; the form then re-asks."""
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        if intent not in INTERRUPTING_INTENTS or not looks_like_question(message.get("text")):
            return False
        if intent == "faq":
            selector = (message.get("response_selector") or {}).get("faq") or {}
            utter = (selector.get("response") or {}).get("utter_action")
            if not utter:
                return False
            dispatcher.utter_message(response=utter)
        else:
            dispatcher.utter_message(
                response={"help": "utter_help", "bot_challenge": "utter_iamabot"}.get(
                    intent, "utter_ask_human"
                )
            )
        return True

    # ---- slots ---------------------------------------------------------------------
    def validate_consent(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value is True:
            key = tracker.get_slot("submission_key") or uuid.uuid4().hex
            return {"consent": True, "submission_key": key}
        return {"consent": False}

    def validate_full_name(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        name, error = rules.check_full_name(str(value or ""))
        if error:
            return self._fail("full_name", f"utter_invalid_full_name_{error}", dispatcher, tracker, domain)
        return self._ok({"full_name": name}, tracker)

    def validate_phone(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        phone = rules.normalize_phone(str(value or ""))
        if not phone:
            return self._fail("phone", "utter_invalid_phone", dispatcher, tracker, domain)
        return self._ok({"phone": phone}, tracker)

    def validate_region(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        code = rules.match_region(str(value or ""))
        if not code and self._interrupted(dispatcher, tracker):
            return {"region": None}
        if not code:
            return self._fail("region", "utter_invalid_region", dispatcher, tracker, domain)
        label = response_text(domain, f"utter_region_{code}", language_of(tracker)) or code
        return self._ok({"region": code, "region_label": label}, tracker)

    def validate_category(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        code = rules.match_category(str(value or ""))
        if not code and self._interrupted(dispatcher, tracker):
            return {"category": None}
        if not code:
            return self._fail("category", "utter_invalid_category", dispatcher, tracker, domain)
        label = response_text(domain, f"utter_category_{code}", language_of(tracker)) or code
        return self._ok({"category": code, "category_label": label}, tracker)

    def validate_respondent(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if self._interrupted(dispatcher, tracker):
            return {"respondent": None}
        respondent, error = rules.check_respondent(str(value or ""))
        if error:
            return self._fail("respondent", "utter_invalid_respondent", dispatcher, tracker, domain)
        return self._ok({"respondent": respondent}, tracker)

    def validate_incident_date(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        now = today()
        date, error = rules.parse_incident_date(str(value or ""), now)
        if error == "future":
            return self._fail("incident_date", "utter_future_date", dispatcher, tracker, domain)
        if error or date is None:
            return self._fail("incident_date", "utter_invalid_date", dispatcher, tracker, domain)
        late = rules.is_late(date, now)
        if late:
            dispatcher.utter_message(response="utter_late_appeal")
        return self._ok({"incident_date": date.isoformat(), "late": late}, tracker)

    def validate_description(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if self._interrupted(dispatcher, tracker):
            return {"description": None}
        description, error = rules.check_description(str(value or ""))
        if error == "too_long":
            return self._fail("description", "utter_description_too_long", dispatcher, tracker, domain)
        if error:
            return self._fail("description", "utter_description_too_short", dispatcher, tracker, domain)
        return self._ok({"description": description}, tracker)

    def validate_which_field(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        field = rules.match_field(str(value or ""))
        if not field and self._interrupted(dispatcher, tracker):
            return {"which_field": None}
        if not field:
            # The form asks again with the field buttons.
            return self._fail("which_field", None, dispatcher, tracker, domain)
        return self._ok(_reopen(field), tracker)

    async def validate_confirm(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        text = str(value or "")
        field = rules.match_field(text)
        if field:
            return self._ok(_reopen(field), tracker)
        if intent == "affirm" or text.strip() == "/affirm":
            reference = await submit_appeal(dispatcher, tracker, domain)
            if reference is None:
                return {"confirm": None}
            return self._ok({"confirm": True, "reference": reference}, tracker)
        if intent == "deny" or text.strip() == "/deny":
            return self._ok({"confirm": None, "awaiting_field_choice": True}, tracker)
        if self._interrupted(dispatcher, tracker):
            return {"confirm": None}
        # Neither yes, no nor a field: the form shows the summary and its buttons again.
        return self._fail("confirm", None, dispatcher, tracker, domain)


def _reopen(field: Text) -> Dict[Text, Any]:
    """Clear one field so the form asks it again, then comes back to the summary."""
    return {
        field: None,
        "which_field": None,
        "awaiting_field_choice": False,
        "confirm": None,
    }
