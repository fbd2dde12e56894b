"""Photos and documents sent on Telegram while an appeal is being filed."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.domain import DomainDict
from actions.failures import apologise_on_failure
from core.appeal import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, Attachment


def add_attachment(current: list[dict[str, Any]], attachment: dict[str, Any]):
    """(new list, response name): the rule for one more file, kept pure for tests."""
    if not isinstance(attachment, dict) or not attachment.get("file_id"):
        return current, "utter_unsupported_message"
    if int(attachment.get("size") or 0) > MAX_ATTACHMENT_BYTES:
        return current, "utter_attachment_too_large"
    if len(current) >= MAX_ATTACHMENTS:
        return current, "utter_too_many_attachments"
    if any(a.get("file_id") == attachment["file_id"] for a in current):
        return current, "utter_attachment_received"
    kept = Attachment.from_mapping(attachment).as_dict(drop_empty=True)
    return current + [kept], "utter_attachment_received"


class ActionStoreAttachment(Action):
    def name(self) -> str:
        return "action_store_attachment"

    @apologise_on_failure
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        if tracker.active_loop.get("name") != "appeal_form":
            dispatcher.utter_message(response="utter_attachment_outside_form")
            return []
        metadata = (tracker.latest_message or {}).get("metadata") or {}
        current = list(tracker.get_slot(slots.ATTACHMENTS) or [])
        updated, response = add_attachment(current, metadata.get("attachment"))
        dispatcher.utter_message(response=response)
        return [SlotSet(slots.ATTACHMENTS, updated)] if updated != current else []
