"""The slot names the actions read and set, defined once (domain ``slots:``, CONTRACT.md)."""

from __future__ import annotations

from core.appeal import FIELDS
from core.language import LANGUAGE_SLOT

LANGUAGE = LANGUAGE_SLOT

# the appeal's fields, in form order (core.appeal.FIELDS)
FULL_NAME = "full_name"
PHONE = "phone"
REGION = "region"
ADDRESS = "address"
CATEGORY = "category"
RESPONDENT = "respondent"
INCIDENT_DATE = "incident_date"
DESCRIPTION = "description"

# the rest of the appeal form
CONSENT = "consent"
CONFIRM = "confirm"
WHICH_FIELD = "which_field"
AWAITING_FIELD_CHOICE = "awaiting_field_choice"
LATE = "late"
INCIDENT_DATE_PRECISION = "incident_date_precision"  # "day" | "month"
INCIDENT_DATE_DISPLAY = "incident_date_display"  # as read back: 12.03.2026 or 03.2026
REGION_LABEL = "region_label"
CATEGORY_LABEL = "category_label"
FAILED_SLOT = "failed_slot"
FAILED_COUNT = "failed_count"
EXPECTED_EXAMPLE = "expected_example"
SUBMISSION_KEY = "submission_key"
ATTACHMENTS = "attachments"
REQUESTED_SLOT = "requested_slot"
REFERENCE = "reference"

# the status form
APPEAL_REFERENCE = "appeal_reference"

#: Everything the appeal form leaves behind; cleared after submit, cancel or refusal.
FORM_SLOTS = FIELDS + (
    CONSENT,
    CONFIRM,
    WHICH_FIELD,
    AWAITING_FIELD_CHOICE,
    LATE,
    INCIDENT_DATE_PRECISION,
    INCIDENT_DATE_DISPLAY,
    REGION_LABEL,
    CATEGORY_LABEL,
    FAILED_SLOT,
    FAILED_COUNT,
    EXPECTED_EXAMPLE,
    SUBMISSION_KEY,
    ATTACHMENTS,
    REQUESTED_SLOT,
)
