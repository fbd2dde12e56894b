"""Two speed fixes for Rasa 3.6, applied when the project's NLG is loaded.

1. Rasa checks every action server response with `jsonschema.validate(result, schema)`.
   That call first re-validates the (constant, large) schema itself against the JSON
   Schema meta-schema, which on a form turn cost about 70 % of the Rasa server's CPU in
   `make bench` (py-spy). The fix compiles the validator once and validates each response
   against the very same schema, so what is accepted or rejected does not change.
2. Every stored event is rebuilt on each message, and each rebuild walks all subclasses of
   `Event` to find the class of its type name (about 6 % of the CPU on long
   conversations). The fix remembers the answer per type name; it is the same class the
   walk returns, since event classes are all defined at import.
"""
from __future__ import annotations

import functools
import logging

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def _response_validator():
    from jsonschema.validators import validator_for

    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self, result):
    from jsonschema import ValidationError

    from rasa.shared.constants import DOCS_BASE_URL

    try:
        _response_validator().validate(result)
        return True
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your "
            "response from the Action endpoint is valid. For more information about "
            f"the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error


_event_classes: dict = {}


def _cached_resolver(original):
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    def resolve_by_type(type_name, default=None):
        cls = _event_classes.get(type_name)
        if cls is None:
            cls = next((c for c in all_subclasses(Event) if c.type_name == type_name), None)
            if cls is None:
                return original(type_name, default)  # "topic", a default, or the error
            _event_classes[type_name] = cls
        return cls

    resolve_by_type.__module__ = __name__
    return staticmethod(resolve_by_type)


def apply() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    if getattr(RemoteAction._validate_action_result, "__module__", "") != __name__:
        RemoteAction._validate_action_result = _validate_action_result
        logger.debug("Action server responses validated with a compiled schema.")
    if getattr(Event.resolve_by_type, "__module__", "") != __name__:
        Event.resolve_by_type = _cached_resolver(Event.resolve_by_type)
