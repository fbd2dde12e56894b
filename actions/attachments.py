"""Photos and documents sent on Telegram while an appeal is being filed."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

MAX_FILES = 10
MAX_BYTES = 20 * 1024 * 1024
KEPT_FIELDS = ("file_id", "file_unique_id", "name", "mime_type", "size", "kind")


def add_attachment(current: List[Dict[Text, Any]], attachment: Dict[Text, Any]):
    """(new list, response name): the rule for one more file, kept pure for tests."""
    if not isinstance(attachment, dict) or not attachment.get("file_id"):
        return current, "utter_unsupported_message"
    if int(attachment.get("size") or 0) > MAX_BYTES:
        return current, "utter_attachment_too_large"
    if len(current) >= MAX_FILES:
        return current, "utter_too_many_attachments"
    if any(a.get("file_id") == attachment["file_id"] for a in current):
        return current, "utter_attachment_received"
    kept = {k: attachment.get(k) for k in KEPT_FIELDS if attachment.get(k) is not None}
    return current + [kept], "utter_attachment_received"


class ActionStoreAttachment(Action):
    def name(self) -> Text:
        return "action_store_attachment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        if tracker.active_loop.get("name") != "appeal_form":
            dispatcher.utter_message(response="utter_attachment_outside_form")
            return []
        metadata = (tracker.latest_message or {}).get("metadata") or {}
        current = list(tracker.get_slot("attachments") or [])
        updated, response = add_attachment(current, metadata.get("attachment"))
        dispatcher.utter_message(response=response)
        return [SlotSet("attachments", updated)] if updated != current else []
