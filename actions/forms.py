"""The base class of the project's form validation actions."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.domain import DomainDict, domain_or_project
from actions.failures import apologise_on_failure
from core.validation import mentions_self_harm

EMERGENCY_TOPIC = "faq/emergency"
EMERGENCY_RESPONSE = "utter_faq/emergency"
#: Actions that may run between the user's message and the form's validation of it.
_BEFORE_VALIDATION = {"action_listen", "action_extract_slots"}


def emergency_topic(message: dict[str, Any]) -> bool:
    """The classifier read the message as ``faq/emergency`` (danger, suicide, self-harm)."""
    if ((message.get("intent") or {}).get("name")) != "faq":
        return False
    selector = (message.get("response_selector") or {}).get("faq") or {}
    return (selector.get("response") or {}).get("intent_response_key") == EMERGENCY_TOPIC


def answering_now(tracker: Tracker, form_name: str) -> bool:
    """The form validates the user's latest message (not a return after an interruption).

    Rasa calls the validation action with the form's own ``ActionExecuted`` and the
    slot candidates appended, so ``latest_action_name`` is always the form: what tells is
    whether any other action or bot message came after the latest user message.
    """
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            return True
        if kind == "bot":
            return False
        if kind == "action" and event.get("name") not in _BEFORE_VALIDATION | {form_name}:
            return False
    return False


class ProjectFormValidationAction(FormValidationAction):
    """Validates against the project's domain when Rasa sends none (selective domain).

    The slot validators (``validate_<slot>``) then receive that domain, so they can read
    labels and examples out of its responses.

    Danger first (CONTRACT.md ``faq/emergency``): a message about danger, suicide or
    self-harm is never an answer to the requested slot, whatever the slot (consent,
    confirm, description …).  Read by the classifier as ``faq/emergency``, the form
    rejects it and the rules answer ``utter_faq`` (the emergency answer), then the form
    asks its question again.  Told in words the classifier missed (``mentions_self_harm``),
    the emergency answer is given here and the question asked again.
    """

    #: A slot whose long answers are stories: told after the emergency answer, they are
    #: kept (a complaint may tell of someone else's suicide attempt in custody).
    STORY_SLOTS: dict[str, int] = {}

    @abstractmethod
    def name(self) -> str:
        """The action's name (abstract: the action server registers only the subclasses)."""

    def emergency_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[list[EventType]]:
        """The events that put an emergency message aside, or None for any other message."""
        requested = tracker.get_slot("requested_slot")
        if not requested or not answering_now(tracker, self.form_name()):
            return None
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        by_classifier = emergency_topic(message)
        if not by_classifier and not mentions_self_harm(text):
            return None
        story_length = self.STORY_SLOTS.get(requested)
        if story_length and len(text.strip()) >= story_length:
            dispatcher.utter_message(response=EMERGENCY_RESPONSE)
            return None  # answered first; the story itself is validated as usual
        if by_classifier:
            return [SlotSet(requested, None), ActionExecutionRejected(self.form_name())]
        dispatcher.utter_message(response=EMERGENCY_RESPONSE)
        return [SlotSet(requested, None)]

    @apologise_on_failure
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        events = self.emergency_events(dispatcher, tracker)
        if events is not None:
            return events
        return await super().run(dispatcher, tracker, domain_or_project(domain))
