"""Validation and parsing of the appeal form's answers (``appeal_form``, CONTRACT.md).

Everything here is pure: no I/O, no logging, no state.  Each function takes whatever
the user typed (any ``str``, however hostile) and returns a value or an error code; none
of them raises on string input, so a form action can call them without a try/except.

The modules are split by mechanism: ``text`` (normalising), ``fuzzy`` (matching),
``keywords`` (the tables), ``choices`` (region, category, field), ``dates``, ``fields``
and ``crisis`` (thoughts of suicide or self-harm told in a message).
"""

from core.appeal import CATEGORIES, FIELDS, REGIONS, is_late
from core.validation.choices import match_category, match_field, match_region
from core.validation.crisis import mentions_self_harm
from core.validation.dates import (
    DAY,
    MONTH,
    format_incident_date,
    last_day,
    parse_incident_date,
    read_incident_date,
)
from core.validation.fields import (
    check_address,
    check_description,
    check_full_name,
    check_respondent,
    normalize_phone,
    normalize_reference,
)

__all__ = [
    "normalize_phone",
    "check_full_name",
    "match_region",
    "match_category",
    "parse_incident_date",
    "read_incident_date",
    "format_incident_date",
    "last_day",
    "DAY",
    "MONTH",
    "check_address",
    "mentions_self_harm",
    "is_late",
    "check_description",
    "check_respondent",
    "normalize_reference",
    "match_field",
    "REGIONS",
    "CATEGORIES",
    "FIELDS",
]
