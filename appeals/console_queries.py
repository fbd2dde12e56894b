"""Read side of the staff console: the paged list and its counts, an appeal, erasure,
the figures and the CSV export rows.  Filters, search and deadlines: :mod:`appeals.console_filters`.

The list costs two queries: the counts per status (the total is their sum, or the count of
the chosen status) and the page.  A text search counts at most :data:`COUNT_CAP` matches
("more than 10,000"): counting every row that contains a very common word would read most
of the table.  Paging stops after COUNT_CAP rows (200 pages) whatever the total: a deep
OFFSET reads every row before it; sorting the other way or filtering reaches the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from appeals.console_filters import (
    PER_PAGE,
    SORTS,
    Filters,
    answer_due,
    is_overdue,
    overdue_clause,
    searchable,
    where_clauses,
)
from appeals.console_schema import appeals, outbox
from core.appeal import PERSONAL_FIELDS

__all__ = ["COUNT_CAP", "EXPORT_FIELDS", "Filters", "Page", "answer_due", "export_rows", "figures"]
__all__ += ["erase_appeal", "get_appeal", "is_overdue", "list_appeals"]

COUNT_CAP = 10_000
LIST_COLUMNS = [
    appeals.c[n]
    for n in (
        "id",
        "reference",
        "status",
        "language",
        "full_name",
        "phone",
        "region",
        "category",
        "late",
        "created_at",
        "channel",
        "delivery",
        "erased_at",
    )
]


@dataclass
class Page:
    rows: list[dict]
    total: int
    page: int
    pages: int
    by_status: dict[str, int] = field(default_factory=dict)
    capped: bool = False  # more than COUNT_CAP matches: total and by_status are lower bounds


def _status_counts(conn, f: Filters) -> dict[str, int]:
    """Matches per status, ignoring the status filter (the chips show every status)."""
    w = where_clauses(f, skip="status")
    query = sa.select(appeals.c.status, sa.func.count()).where(*w).group_by(appeals.c.status)
    return dict(conn.execute(query).all())


def _page_query(f: Filters, page: int, per_page: int):
    return (
        sa.select(*LIST_COLUMNS)
        .where(*where_clauses(f))
        .order_by(*SORTS[f.sort])
        .limit(per_page)
        .offset((page - 1) * per_page)
    )


def _search_page(conn, f: Filters, per_page: int) -> Optional[tuple[list, dict[str, int], int]]:
    """A text search in one pass over its matches: (rows, counts per status, page), or None
    when there are more than COUNT_CAP of them.

    The matches (id and status only, in the list's order) are read once through the search
    index; the counts and the page's ids come from them, then 50 rows by primary key.
    """
    w = where_clauses(f, skip="status")
    query = sa.select(appeals.c.id, appeals.c.status).where(*w).order_by(*SORTS[f.sort]).limit(COUNT_CAP + 1)
    matches = conn.execute(query).all()
    if len(matches) > COUNT_CAP:
        return None
    by_status: dict[str, int] = {}
    for m in matches:
        by_status[m.status] = by_status.get(m.status, 0) + 1
    ids = [m.id for m in matches if not f.status or m.status == f.status]
    page = min(f.page, max(1, -(-len(ids) // per_page)))
    wanted = ids[(page - 1) * per_page : page * per_page]
    rows = conn.execute(sa.select(*LIST_COLUMNS).where(appeals.c.id.in_(wanted))).mappings()
    found = {r["id"]: r for r in rows}
    return [found[i] for i in wanted if i in found], by_status, page


def list_appeals(engine: Engine, f: Filters, per_page: int = PER_PAGE) -> Page:
    with engine.begin() as conn:
        searched = _search_page(conn, f, per_page) if f.q and searchable(f.q) else None
        capped = bool(f.q and searchable(f.q)) and searched is None
        if searched is not None:
            rows, by_status, page = searched
        else:  # no text search, or a very common word: counts by the indexes, capped
            by_status = {} if capped else _status_counts(conn, f)
            total = by_status.get(f.status, 0) if f.status else sum(by_status.values())
            page = min(f.page, max(1, -(-min(total, COUNT_CAP) // per_page)))  # 200 pages at most
            rows = conn.execute(_page_query(f, page, per_page)).mappings().all()
    total = COUNT_CAP + 1 if capped else (by_status.get(f.status, 0) if f.status else sum(by_status.values()))
    pages = max(1, -(-min(total, COUNT_CAP) // per_page))
    now = datetime.now(timezone.utc)
    out = [dict(r, overdue=is_overdue(r, now)) for r in rows]
    return Page(out, total, page, pages, by_status, capped)


def get_appeal(engine: Engine, reference: str) -> Optional[dict]:
    with engine.begin() as conn:
        row = conn.execute(sa.select(appeals).where(appeals.c.reference == reference)).mappings().first()
    return dict(row) if row else None


def erase_appeal(engine: Engine, reference: str) -> bool:
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        n = conn.execute(
            appeals.update()
            .where(appeals.c.reference == reference, appeals.c.erased_at.is_(None))
            .values(
                **{name: None for name in PERSONAL_FIELDS}, attachments="[]", erased_at=now, updated_at=now
            )
        ).rowcount
        # undelivered notes may quote personal data: drop their text too
        conn.execute(
            outbox.update()
            .where(
                outbox.c.appeal_id
                == sa.select(appeals.c.id).where(appeals.c.reference == reference).scalar_subquery(),
                outbox.c.state.in_(("undeliverable", "no_channel")),
            )
            .values(text="")
        )
    return bool(n)


def _month_expr(dialect: str):
    if dialect == "postgresql":
        return sa.func.to_char(sa.func.timezone("Asia/Bishkek", appeals.c.created_at), "YYYY-MM")
    return sa.func.strftime("%Y-%m", appeals.c.created_at, "+6 hours")


def figures(engine: Engine, f: Optional[Filters] = None) -> dict[str, list]:
    w = where_clauses(f) if f else []
    out: dict[str, list] = {}
    with engine.begin() as conn:
        month = _month_expr(conn.dialect.name).label("k")
        out["month"] = [
            tuple(r)
            for r in conn.execute(sa.select(month, sa.func.count()).where(*w).group_by(month).order_by(month))
        ]
        for name in ("region", "category", "status", "language"):
            col = appeals.c[name]
            out[name] = [
                tuple(r)
                for r in conn.execute(
                    sa.select(col, sa.func.count()).where(*w).group_by(col).order_by(sa.func.count().desc())
                )
            ]
        out["total"] = conn.execute(sa.select(sa.func.count()).select_from(appeals).where(*w)).scalar_one()
        out["overdue"] = conn.execute(
            sa.select(sa.func.count()).select_from(appeals).where(*w, overdue_clause())
        ).scalar_one()
    return out


EXPORT_FIELDS = (
    "reference",
    "status",
    "language",
    "created_at",
    "region",
    "category",
    "late",
    "full_name",
    "phone",
    "address",
    "respondent",
    "incident_date",
    "description",
    "channel",
    "delivery",
    "erased_at",
)


def export_rows(engine: Engine, f: Filters, batch: int = 1000):
    """Rows for the CSV export, in batches (keyset pagination on id)."""
    w = where_clauses(f)
    last = 0
    while True:
        with engine.begin() as conn:
            rows = (
                conn.execute(
                    sa.select(*[appeals.c[n] for n in EXPORT_FIELDS], appeals.c.id)
                    .where(*w, appeals.c.id > last)
                    .order_by(appeals.c.id)
                    .limit(batch)
                )
                .mappings()
                .all()
            )
        if not rows:
            return
        yield from rows
        last = rows[-1]["id"]
