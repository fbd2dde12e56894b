"""Never silent: an action that fails apologises instead of raising.

Without this, an exception inside an action makes rasa-sdk answer Rasa with HTTP 500, and
the citizen gets no reply at all.  :func:`apologise_on_failure` wraps an action's ``run``:
an unexpected error is logged by class only (no personal data, no stack trace to the user)
and the user gets ``utter_action_failed`` in their language ("something went wrong, try
again; your answers are kept").

For a form validation action the slots the user just gave are also reset, because Rasa
keeps every extracted value the validation did not answer for: a crash must never let an
unvalidated value into the form.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

logger = logging.getLogger(__name__)

FAILURE_RESPONSE = "utter_action_failed"

Run = Callable[..., Awaitable[list[dict[str, Any]]]]


def failure_events(action: Any, tracker: Tracker) -> list[dict[str, Any]]:
    """What a failed action returns: nothing, or the unvalidated slots reset (validation)."""
    if isinstance(action, ValidationAction):
        return [SlotSet(name, None) for name in tracker.slots_to_validate()]
    return []


def apologise_on_failure(run: Run) -> Run:
    """Decorate ``async def run(self, dispatcher, tracker, domain)`` of an action."""

    @functools.wraps(run)
    async def guarded(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            return await run(self, dispatcher, tracker, domain)
        except Exception as error:  # noqa: BLE001 - the user must get an answer
            logger.error("Action %s failed: %s", self.name(), type(error).__name__)
            dispatcher.messages.clear()  # no half-finished answer before the apology
            dispatcher.utter_message(response=FAILURE_RESPONSE)
            return failure_events(self, tracker)

    return guarded
