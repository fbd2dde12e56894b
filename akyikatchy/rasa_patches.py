"""One speed fix for Rasa 3.6, applied when the project's NLG is loaded.

Rasa checks every action server response with `jsonschema.validate(result, schema)`.
That call first re-validates the (constant, large) schema itself against the JSON Schema
meta-schema, which on a form turn cost about 70 % of the Rasa server's CPU in
`make bench` (py-spy). The fix compiles the validator once and validates each response
against the very same schema, so what is accepted or rejected does not change.
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


def apply() -> None:
    from rasa.core.actions.action import RemoteAction

    if getattr(RemoteAction._validate_action_result, "__module__", "") != __name__:
        RemoteAction._validate_action_result = _validate_action_result
        logger.debug("Action server responses validated with a compiled schema.")
