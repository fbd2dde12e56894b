"""The base class of the project's form validation actions."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.domain import DomainDict, domain_or_project


class ProjectFormValidationAction(FormValidationAction):
    """Validates against the project's domain when Rasa sends none (selective domain).

    The slot validators (``validate_<slot>``) then receive that domain, so they can read
    labels and examples out of its responses.
    """

    @abstractmethod
    def name(self) -> str:
        """The action's name (abstract: the action server registers only the subclasses)."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        return await super().run(dispatcher, tracker, domain_or_project(domain))
