"""Response generator that answers in the language of the latest message.

The domain keeps Rasa's ordinary conditional response variations (``condition`` on the
``language`` slot); this generator only decides which value of that slot applies right now,
so a Russian message gets a Russian answer even before the slot records the switch.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from akyikatchy import rasa_patches
from akyikatchy.rasa_language import LANGUAGE_SLOT, language_for_tracker

rasa_patches.apply()


class LanguageAwareNLG(TemplatedNaturalLanguageGenerator):
    def __init__(
        self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None
    ) -> None:
        super().__init__((domain or Domain.empty()).responses)

    async def generate(
        self,
        utter_action: Text,
        tracker: DialogueStateTracker,
        output_channel: Text,
        **kwargs: Any,
    ) -> Optional[Dict[Text, Any]]:
        filled_slots = tracker.current_slot_values()
        filled_slots[LANGUAGE_SLOT] = language_for_tracker(tracker)
        return self.generate_from_slots(utter_action, filled_slots, output_channel, **kwargs)
