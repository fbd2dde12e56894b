"""The submission re-validates every field with the form's own rules before anything is stored.

A slot value normally comes from the form's validator (``actions/appeal_form.py``), which
stores what ``core.validation`` returns: an E.164 phone, a region or category code, an ISO
date, cleaned text.  Those rules give the same value back when run on their own output, so
the check is simple: every field must be a value the rule would itself have produced.  A
value that is not (a forged action call, a slot set by anything but the validator) stops the
submission: nothing is stored and the user is asked for that field again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, NamedTuple, Optional

from core import validation
from core.appeal import CATEGORIES, FIELDS, REGIONS, filing_date, is_late
from core.validation.text import CONTROL_RE, FORMAT_RE

#: rule(value, today) -> the value the form would have stored, or None if it is not valid
Rule = Callable[[str, date], Optional[str]]
MAX_FREE_TEXT = 4000


def _checked(check: Callable[[str], tuple[Optional[str], Optional[str]]]) -> Rule:
    return lambda value, today: check(value)[0]


def _date(value: str, today: date) -> Optional[str]:
    parsed, error = validation.parse_incident_date(value, today)
    return parsed.isoformat() if parsed is not None and not error else None


def _free_text(value: str, today: date) -> Optional[str]:
    """A field without a rule of its own: one clean line of text, no controls."""
    cleaned = " ".join(FORMAT_RE.sub("", CONTROL_RE.sub(" ", value)).split())
    return cleaned if 0 < len(cleaned) <= MAX_FREE_TEXT else None


RULES: dict[str, Rule] = {
    "full_name": _checked(validation.check_full_name),
    "phone": lambda value, today: validation.normalize_phone(value),
    "region": lambda value, today: value if value in REGIONS else None,
    "category": lambda value, today: value if value in CATEGORIES else None,
    "respondent": _checked(validation.check_respondent),
    "incident_date": _date,
    "description": _checked(validation.check_description),
}

#: what the form says when a field is wrong (the same responses as its validators)
ERROR_RESPONSES = {
    "full_name": "utter_invalid_full_name_format",
    "phone": "utter_invalid_phone",
    "region": "utter_invalid_region",
    "category": "utter_invalid_category",
    "respondent": "utter_invalid_respondent",
    "incident_date": "utter_invalid_date",
    "description": "utter_description_too_short",
}


def rule_for(field: str) -> Rule:
    """The field's rule; a field added to the appeal later uses ``check_<field>`` if the
    validation package has one, else the free-text rule."""
    if field in RULES:
        return RULES[field]
    check = getattr(validation, f"check_{field}", None)
    return _checked(check) if callable(check) else _free_text


class Verdict(NamedTuple):
    fields: dict[str, Any]  # what may be stored (valid only when ``invalid`` is None)
    invalid: Optional[str]  # the first field that failed
    response: Optional[str]  # what to tell the user about it


def check_submission(
    values: Mapping[str, Any], today: Optional[date] = None, precision: Optional[str] = None
) -> Verdict:
    """Every field of the appeal re-checked; ``late`` recomputed, never taken on trust.

    ``precision`` is the date's (``validation.DAY`` or ``validation.MONTH``: a month is late
    only once all of it lies more than a year back); anything else counts as a day.
    """
    today = today or filing_date()
    clean: dict[str, Any] = {}
    for field in FIELDS:
        value = values.get(field)
        expected = rule_for(field)(value, today) if isinstance(value, str) else None
        if expected is None or expected != value:
            return Verdict({}, field, ERROR_RESPONSES.get(field, f"utter_invalid_{field}"))
        clean[field] = value
    precision = validation.MONTH if precision == validation.MONTH else validation.DAY
    incident = validation.last_day(date.fromisoformat(clean["incident_date"]), precision)
    clean["late"] = is_late(incident, today)
    return Verdict(clean, None, None)
