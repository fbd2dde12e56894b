"""A policy that predicts no action: it only records the conversation's language.

Policies may attach events to their prediction; Rasa applies them whichever policy wins.
That puts ``SlotSet("language", …)`` on the tracker in the same turn, in-process, with no
extra round trip to the action server.
"""

from __future__ import annotations

from typing import Any, Optional

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from akyikatchy.rasa_language import LANGUAGE_SLOT, language_for_tracker, language_was_set


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class LanguagePolicy(Policy):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": 0}

    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[dict[str, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        events = []
        if tracker.latest_message and tracker.latest_message.text is not None:
            language = language_for_tracker(tracker)
            if not language_was_set(tracker) or tracker.get_slot(LANGUAGE_SLOT) != language:
                events.append(SlotSet(LANGUAGE_SLOT, language))
        return self._prediction(self._default_predictions(domain), events=events)
