"""Two speed fixes for Rasa 3.6.21, applied once by :func:`apply`.

:func:`apply` is called in one place, when Rasa builds the project's response generator
(``akyikatchy.nlg.LanguageAwareNLG``, named in endpoints.yml), so every Rasa server of the
project runs with them and importing a module changes nothing.  Both replace private Rasa
code, so they are refused (:class:`UnsupportedRasaVersion`) on any Rasa but the one they were
measured and tested on (``TESTED_RASA_VERSION``); ``tests/test_rasa_patches.py`` checks
that the patched and the original code give the same verdicts.

1. Rasa checks every action server response with ``jsonschema.validate(result, schema)``.
   That call first re-validates the (constant, large) schema itself against the JSON
   Schema meta-schema, which on a form turn cost about 70 % of the Rasa server's CPU in
   ``make bench`` (py-spy).  The fix checks the schema and builds the validator once, then
   reports the same error ``jsonschema.validate`` would (its ``best_match``), so what is
   accepted or rejected, and the message, do not change.
2. Every stored event is rebuilt on each message, and each rebuild walks all subclasses of
   ``Event`` to find the class of its type name (about 6 % of the CPU on long
   conversations).  The fix remembers the answer per type name; it is the same class the
   walk returns, since event classes are all defined at import.  Unknown names still go
   to the original (``"topic"``, a default, or its error).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, Optional

logger = logging.getLogger(__name__)

TESTED_RASA_VERSION = "3.6.21"


class Originals:
    """The Rasa attributes a module replaced, by key: the originals to call and to put back.

    Shared with the guards (:mod:`akyikatchy.service.guards`) so both record and undo their
    replacements the same way.  The class's own attribute is kept (a ``staticmethod`` stays
    wrapped), so :meth:`restore` leaves Rasa exactly as it found it."""

    def __init__(self) -> None:
        self._replaced: dict[str, tuple[type, str, Any]] = {}

    def __bool__(self) -> bool:
        return bool(self._replaced)

    def __getitem__(self, key: str) -> Any:
        return self._replaced[key][2]

    def replace(self, key: str, owner: type, attribute: str, replacement: Any) -> None:
        """Set ``owner.attribute`` to ``replacement``, the original kept under ``key``."""
        self._replaced[key] = (owner, attribute, owner.__dict__[attribute])
        setattr(owner, attribute, replacement)

    def restore(self) -> None:
        """Put every original back."""
        for owner, attribute, original in self._replaced.values():
            setattr(owner, attribute, original)
        self._replaced.clear()


# The original Rasa functions, recorded by the first apply() (for the tests and for undo()).
originals = Originals()


class UnsupportedRasaVersion(RuntimeError):
    """The installed Rasa is not the version the patches were written and tested for."""


def check_rasa_version(version: Optional[str] = None) -> None:
    """Raise :class:`UnsupportedRasaVersion` unless Rasa is ``TESTED_RASA_VERSION``."""
    if version is None:
        import rasa

        version = rasa.__version__
    if version != TESTED_RASA_VERSION:
        raise UnsupportedRasaVersion(
            f"akyikatchy/rasa_patches.py replaces private code of Rasa {TESTED_RASA_VERSION} "
            f"(RemoteAction._validate_action_result, Event.resolve_by_type), but Rasa {version} "
            f"is installed. Install rasa=={TESTED_RASA_VERSION} (requirements.txt), or compare "
            "those two functions in the new Rasa with the patches, update TESTED_RASA_VERSION "
            "and run tests/test_rasa_patches.py."
        )


@functools.lru_cache(maxsize=1)
def _response_validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with the validator built once."""
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your "
        "response from the Action endpoint is valid. For more information about "
        f"the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def cached_resolver(original: Callable[..., Any]) -> Callable[..., Any]:
    """``Event.resolve_by_type`` remembering the class found for each type name."""
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    classes: dict[str, type[Event]] = {}

    def resolve_by_type(type_name: str, default: Optional[type[Event]] = None) -> Optional[type[Event]]:
        cls = classes.get(type_name)
        if cls is None:
            cls = next((c for c in all_subclasses(Event) if c.type_name == type_name), None)
            if cls is None:
                return original(type_name, default)  # "topic", a default, or the error
            classes[type_name] = cls
        return cls

    resolve_by_type.__module__ = __name__
    return resolve_by_type


def applied() -> bool:
    return bool(originals)


def apply() -> None:
    """Install both fixes; idempotent.  Refused on another Rasa version."""
    check_rasa_version()
    if applied():
        return
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    resolve_by_type = staticmethod(cached_resolver(Event.resolve_by_type))
    originals.replace(
        "validate_action_result", RemoteAction, "_validate_action_result", validate_action_result
    )
    originals.replace("resolve_by_type", Event, "resolve_by_type", resolve_by_type)
    logger.debug("Rasa patches applied: compiled action response schema, cached event classes.")


def undo() -> None:
    """Put Rasa's original functions back (for tests)."""
    originals.restore()
