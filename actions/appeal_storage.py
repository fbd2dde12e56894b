"""Storing a confirmed appeal, finishing and discarding the form."""

from __future__ import annotations

import logging
from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.attachments import add_attachment
from actions.domain import DomainDict
from actions.failures import apologise_on_failure
from actions.language import language_of
from actions.storage import call_store
from actions.submission_check import check_submission
from appeals.db import StorageError
from core.appeal import FIELDS

logger = logging.getLogger(__name__)


def _attachments(value: Any) -> list[dict[str, Any]]:
    """The files the form accepted, by the same rule (unknown shapes dropped)."""
    kept: list[dict[str, Any]] = []
    for item in value if isinstance(value, list) else []:
        kept, _ = add_attachment(kept, item)
    return kept


async def submit_appeal(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
) -> Optional[str]:
    """Store the confirmed appeal once; on failure tell the user and keep their answers.

    Every field is checked again with the form's rules first (``submission_check``): a
    value the form's validator did not produce stores nothing, and the user hears what is
    wrong with that field.  Returns the reference, or None when nothing was stored.
    """
    values = {name: tracker.get_slot(name) for name in FIELDS}
    verdict = check_submission(values, precision=tracker.get_slot(slots.INCIDENT_DATE_PRECISION))
    if verdict.invalid:
        logger.warning("Appeal not stored: field %s fails its rule", verdict.invalid)
        dispatcher.utter_message(response=verdict.response)
        return None
    fields: dict[str, Any] = dict(verdict.fields)
    fields[slots.ATTACHMENTS] = _attachments(tracker.get_slot(slots.ATTACHMENTS))
    key = str(tracker.get_slot(slots.SUBMISSION_KEY) or f"{tracker.sender_id}:{len(tracker.events)}")
    sender, language = tracker.sender_id, language_of(tracker)
    channel = tracker.get_latest_input_channel()  # how status news reaches the citizen

    def submit(store):
        return store.submit(
            conversation_id=sender, submission_key=key, fields=fields, language=language, channel=channel
        )

    try:
        result = await call_store(submit, "storing an appeal")
    except StorageError as error:
        logger.error("Appeal could not be stored: %s", error)
        dispatcher.utter_message(response="utter_storage_failed")
        return None
    logger.info("Appeal stored: %s (new=%s)", result.reference, result.created)
    return result.reference


def reset_form_slots() -> list[dict[str, Any]]:
    return [SlotSet(name, None) for name in slots.FORM_SLOTS]


class ActionFinishAppeal(Action):
    """After the form: the reference, or why nothing could be filed without consent."""

    def name(self) -> str:
        return "action_finish_appeal"

    @apologise_on_failure
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        if tracker.get_slot(slots.CONSENT) is False:
            dispatcher.utter_message(response="utter_consent_refused")
        elif tracker.get_slot(slots.REFERENCE) and tracker.get_slot(slots.CONFIRM):
            dispatcher.utter_message(response="utter_appeal_submitted")
        return reset_form_slots()


class ActionDiscardAppeal(Action):
    """Cancel confirmed: nothing is kept."""

    def name(self) -> str:
        return "action_discard_appeal"

    @apologise_on_failure
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        dispatcher.utter_message(response="utter_appeal_cancelled")
        return reset_form_slots()
