"""Response generator that answers in the language of the latest message.

The domain keeps Rasa's ordinary conditional response variations (``condition`` on the
``language`` slot); this generator only decides which value of that slot applies right now,
so a Russian message gets a Russian answer even before the slot records the switch.

Building it also applies the project's Rasa speed fixes (:mod:`akyikatchy.rasa_patches`):
Rasa builds it once per server from endpoints.yml, so every server of the project runs with
them, and the fixes are applied in this one place; so are the failure and log guards
(:mod:`akyikatchy.service.guards`).
"""

from __future__ import annotations

from typing import Any, Optional

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from akyikatchy import rasa_patches
from akyikatchy.intent_classifier import GREETED
from akyikatchy.rasa_language import LANGUAGE_SLOT, language_for_tracker
from akyikatchy.service import guards


class LanguageAwareNLG(TemplatedNaturalLanguageGenerator):
    def __init__(
        self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None
    ) -> None:
        rasa_patches.apply()
        guards.apply()
        super().__init__((domain or Domain.empty()).responses)

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> Optional[dict[str, Any]]:
        filled_slots = tracker.current_slot_values()
        filled_slots[LANGUAGE_SLOT] = language_for_tracker(tracker)
        response = self.generate_from_slots(utter_action, filled_slots, output_channel, **kwargs)
        if (
            response
            and response.get("text")
            and utter_action not in (GREETING_BACK, "utter_greet")
            and _first_answer_to_a_greeting(tracker)
        ):
            hello = self.generate_from_slots(GREETING_BACK, filled_slots, output_channel)
            if hello and hello.get("text"):
                response = {**response, "text": f"{hello['text']} {response['text']}"}
        return response


GREETING_BACK = "utter_greet_back"


def _first_answer_to_a_greeting(tracker: DialogueStateTracker) -> bool:
    """The user opened a request with a greeting and nothing has been said back yet."""
    for event in reversed(tracker.events):
        if isinstance(event, BotUttered):
            return False
        if isinstance(event, UserUttered):
            return bool((event.parse_data or {}).get(GREETED))
    return False
