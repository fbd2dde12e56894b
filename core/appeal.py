"""The appeal's shape, defined once: fields in form order, codes, statuses, attachments, late rule.

The names are those of ../shared/spec/CONTRACT.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta, timezone
from typing import Any, Optional

#: The fields of an appeal, in the order the form asks them.
FIELDS = (
    "full_name",
    "phone",
    "region",
    "address",
    "category",
    "respondent",
    "incident_date",
    "description",
)
#: Fields holding personal data: erased on request.
PERSONAL_FIELDS = ("full_name", "phone", "address", "description", "respondent")

REGIONS = (
    "bishkek",
    "osh_city",
    "batken",
    "chui",
    "jalal_abad",
    "issyk_kul",
    "naryn",
    "osh_region",
    "talas",
    "abroad",
)
CATEGORIES = (
    "labour",
    "social_protection",
    "health",
    "law_enforcement",
    "courts",
    "housing_land",
    "children",
    "discrimination",
    "violence",
    "migration",
    "documents",
    "other",
)
STATUSES = ("received", "in_review", "forwarded", "resolved", "rejected")
INITIAL_STATUS = STATUSES[0]

#: The year in a reference and the "today" of the late rule are those of the Ombudsman's
#: office in Bishkek.  Kyrgyzstan is UTC+6 all year (no DST since 2005).
FILING_TZ = timezone(timedelta(hours=6), "Asia/Bishkek")

#: Files sent while filing: at most this many, each at most this large (Telegram's limit).
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Attachment:
    """A photo or document sent while filing; the file stays on Telegram's servers."""

    file_id: str
    file_unique_id: Optional[str] = None
    name: Optional[str] = None
    mime_type: Optional[str] = None
    size: Optional[int] = None
    kind: Optional[str] = None  # "photo" | "document"

    @classmethod
    def from_mapping(cls, item: Mapping[str, Any]) -> Attachment:
        """Only the known keys of ``item``; raises ValueError without a file_id."""
        if not isinstance(item, Mapping) or not item.get("file_id"):
            raise ValueError("each attachment needs a file_id")
        return cls(**{key: item.get(key) for key in ATTACHMENT_KEYS})

    def as_dict(self, drop_empty: bool = False) -> dict[str, Any]:
        data = asdict(self)
        return {k: v for k, v in data.items() if v is not None} if drop_empty else data


ATTACHMENT_KEYS = tuple(f.name for f in fields(Attachment))


def format_reference(year: int, seq: int) -> str:
    """The public reference of the ``seq``-th appeal filed in ``year``: ``AK-YYYY-NNNNNN``."""
    return f"AK-{year:04d}-{seq:06d}"


def filing_date(now: Optional[datetime] = None) -> date:
    """Today in Bishkek (``now`` naive = UTC; default: the current time)."""
    if now is None:
        now = datetime.now(timezone.utc)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return now.astimezone(FILING_TZ).date()


def is_late(incident: date, today: date) -> bool:
    """True when the incident is strictly more than one year before today.

    The Ombudsman takes appeals within one year (FACTS §2); later ones are still
    accepted but flagged.  A year before 29 February is 28 February of the year before.
    """
    if isinstance(today, datetime):
        today = today.date()
    if isinstance(incident, datetime):
        incident = incident.date()
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:
        year_ago = today.replace(year=today.year - 1, day=28)
    return incident < year_ago
