"""What the staff console's list shows: filters, search, sorting, and the deadlines.

Deadlines (internal to the office, never promised to the citizen) come from the
environment: ``CONSOLE_REGISTRATION_DAYS`` (default 3: an appeal still ``received`` after
that is overdue) and ``CONSOLE_ANSWER_DAYS`` (default 30: an appeal not ``resolved`` or
``rejected`` after that is overdue).

Search: a reference (``AK-2026-000042``, ``ak2026-42``) is matched exactly.  Other text
(at least :data:`MIN_SEARCH` characters) is matched with ILIKE ``%text%`` (wildcards
escaped) against ONE expression joining name, phone, respondent and description
(:data:`SEARCH_TEXT`); on PostgreSQL migration 0002 indexes exactly that expression with a
pg_trgm GIN index, so a search is one bitmap index scan however common the word.  A query
that is mostly digits also matches the phone without its leading ``+``/``0``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional

import sqlalchemy as sa

from appeals.console_schema import appeals
from core.appeal import FILING_TZ, INITIAL_STATUS, STATUSES
from core.language import LANGUAGES

#: statuses still waiting for an answer (not resolved, not rejected)
OPEN_STATUSES = tuple(s for s in STATUSES if s not in ("resolved", "rejected"))
PER_PAGE = 50
SORTS = {
    "newest": (appeals.c.created_at.desc(), appeals.c.id.desc()),
    "oldest": (appeals.c.created_at.asc(), appeals.c.id.asc()),
    "reference": (appeals.c.year.desc(), appeals.c.seq.desc()),
    "status": (appeals.c.status.asc(), appeals.c.created_at.desc(), appeals.c.id.desc()),
}
REF_RE = re.compile(r"^\s*AK-?(\d{4})-?(\d{1,6})\s*$", re.I)
#: shorter text cannot use the trigram index (and matches nearly everything)
MIN_SEARCH = 3
#: the searched text; the same expression as the index of migration 0002 (keep them equal)
SEARCH_COLUMNS = ("full_name", "phone", "respondent", "description")
SEPARATOR = "\n"  # a search (one line) never matches across two fields
SEARCH_TEXT = sa.func.coalesce(appeals.c.full_name, "")
for _name in SEARCH_COLUMNS[1:]:
    SEARCH_TEXT = SEARCH_TEXT.op("||")(SEPARATOR).op("||")(sa.func.coalesce(appeals.c[_name], ""))


def registration_days() -> int:
    return int(os.environ.get("CONSOLE_REGISTRATION_DAYS", "3"))


def answer_days() -> int:
    return int(os.environ.get("CONSOLE_ANSWER_DAYS", "30"))


def overdue_clause(now: Optional[datetime] = None):
    now = now or datetime.now(timezone.utc)
    return sa.or_(
        sa.and_(
            appeals.c.status == INITIAL_STATUS,
            appeals.c.created_at < now - timedelta(days=registration_days()),
        ),
        sa.and_(
            appeals.c.status.in_(OPEN_STATUSES), appeals.c.created_at < now - timedelta(days=answer_days())
        ),
    )


def is_overdue(appeal: dict, now: Optional[datetime] = None) -> bool:
    now = now or datetime.now(timezone.utc)
    created = appeal["created_at"]
    if isinstance(created, str):
        created = datetime.fromisoformat(created)
    if appeal["status"] == INITIAL_STATUS and created < now - timedelta(days=registration_days()):
        return True
    return appeal["status"] in OPEN_STATUSES and created < now - timedelta(days=answer_days())


def answer_due(appeal: dict) -> datetime:
    created = appeal["created_at"]
    if isinstance(created, str):
        created = datetime.fromisoformat(created)
    return created + timedelta(days=answer_days())


@dataclass
class Filters:
    q: str = ""
    status: str = ""
    region: str = ""
    category: str = ""
    language: str = ""
    late: bool = False
    overdue: bool = False
    date_from: Optional[date] = None
    date_to: Optional[date] = None
    sort: str = "newest"
    page: int = 1

    @classmethod
    def from_args(cls, args) -> Filters:
        def day(name):
            try:
                return date.fromisoformat((args.get(name) or "").strip())
            except ValueError:
                return None

        def page():
            try:
                return max(1, min(int(args.get("page") or 1), 100000))
            except ValueError:
                return 1

        f = cls(
            q=(args.get("q") or "").strip()[:200],
            status=args.get("status") or "",
            region=args.get("region") or "",
            category=args.get("category") or "",
            language=args.get("language") or "",
            late=args.get("late") == "1",
            overdue=args.get("overdue") == "1",
            date_from=day("from"),
            date_to=day("to"),
            sort=args.get("sort") if args.get("sort") in SORTS else "newest",
            page=page(),
        )
        if f.status not in STATUSES:
            f.status = ""
        if f.language not in LANGUAGES:
            f.language = ""
        f.region = f.region[:32]
        f.category = f.category[:32]
        return f

    def as_args(self, **override) -> dict[str, str]:
        d = {
            "q": self.q,
            "status": self.status,
            "region": self.region,
            "category": self.category,
            "language": self.language,
            "late": "1" if self.late else "",
            "overdue": "1" if self.overdue else "",
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "sort": self.sort if self.sort != "newest" else "",
            "page": str(self.page),
        }
        d.update({k: str(v) for k, v in override.items()})
        return {k: v for k, v in d.items() if v and not (k == "page" and v == "1")}


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def searchable(q: str) -> bool:
    """A reference, or text long enough to search for."""
    return bool(REF_RE.match(q)) or len(q.strip()) >= MIN_SEARCH


def _search_clause(q: str):
    m = REF_RE.match(q)
    if m:
        return appeals.c.reference == f"AK-{m.group(1)}-{int(m.group(2)):06d}"
    clauses = [SEARCH_TEXT.ilike(_like(q), escape="\\")]
    digits = re.sub(r"[^\d+]", "", q)
    if len(digits) >= 4 and len(digits) >= len(q.replace(" ", "")) - 1:  # a phone number
        clauses.append(SEARCH_TEXT.ilike(_like(digits.lstrip("+0")), escape="\\"))
    return sa.or_(*clauses)


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, FILING_TZ).astimezone(timezone.utc)


def where_clauses(f: Filters, skip: str = "", now: Optional[datetime] = None) -> list:
    w = []
    if f.q and searchable(f.q):
        w.append(_search_clause(f.q))
    if f.status and skip != "status":
        w.append(appeals.c.status == f.status)
    if f.region:
        w.append(appeals.c.region == f.region)
    if f.category:
        w.append(appeals.c.category == f.category)
    if f.language:
        w.append(appeals.c.language == f.language)
    if f.late:
        w.append(appeals.c.late.is_(True))
    if f.overdue:
        w.append(overdue_clause(now))
    if f.date_from:
        w.append(appeals.c.created_at >= _day_start(f.date_from))
    if f.date_to:
        w.append(appeals.c.created_at < _day_start(f.date_to + timedelta(days=1)))
    return w
