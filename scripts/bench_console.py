"""Console benchmark: 100,000 synthetic appeals in a throwaway PostgreSQL database, then the
list, filters and searches, each a full page as the console asks for it (counts per status
+ 50 rows); median and worst of 7 runs, warm.  Target: under 200 ms each.

    python -m scripts.bench_console [--n 100000] [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid

import sqlalchemy as sa

from appeals import console_queries as cq
from appeals.db import make_engine, migrate
from appeals.seed import seed

TARGET_MS = 200.0
RUNS = 7


def cases(engine) -> dict[str, cq.Filters]:
    some = cq.list_appeals(engine, cq.Filters(page=200)).rows[0]
    return {
        "list, page 1 (newest)": cq.Filters(),
        "list, page 100": cq.Filters(page=100),
        "list, last page (200th)": cq.Filters(page=10**5),
        "filter status + region": cq.Filters(status="in_review", region="naryn"),
        "filter overdue + category": cq.Filters(overdue=True, category="courts"),
        "filter period + language": cq.Filters(
            date_from=some["created_at"].date(), date_to=some["created_at"].date(), language="ru"
        ),
        "search reference": cq.Filters(q=some["reference"]),
        "search common surname": cq.Filters(q="Токтогулова"),
        "search common surname, page 50": cq.Filters(q="Токтогулова", page=50),
        "search surname + status": cq.Filters(q="Токтогулова", status="resolved"),
        "search first + last name": cq.Filters(q="Айбек Асанов"),
        "search a word in most appeals": cq.Filters(q="района"),
        "search phone (part)": cq.Filters(q=some["phone"][-7:]),
        "search description (rare)": cq.Filters(q="#424242"),
    }


def run(engine) -> bool:
    print("| query | median | worst | matches |\n|---|---:|---:|---:|")
    ok = True
    for label, f in cases(engine).items():
        times = []
        for _ in range(RUNS):
            t = time.perf_counter()
            page = cq.list_appeals(engine, f)
            times.append((time.perf_counter() - t) * 1000)
        matches = f"> {cq.COUNT_CAP:,}" if page.capped else f"{page.total:,}"
        slow = statistics.median(times) > TARGET_MS
        ok = ok and not slow
        print(
            f"| {label} | {statistics.median(times):.0f} ms{' (slow)' if slow else ''} "
            f"| {max(times):.0f} ms | {matches} |"
        )
    return ok


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = p.parse_args()
    name = f"console_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(args.admin_url, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = args.admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        migrate(url)
        engine = make_engine(url)
        t0 = time.perf_counter()
        seed(engine, args.n)
        print(f"seeded {args.n:,} appeals in {time.perf_counter() - t0:.1f} s (PostgreSQL, then ANALYZE)\n")
        ok = run(engine)
        engine.dispose()
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    print(f"\nall under {TARGET_MS:.0f} ms" if ok else f"\nSOME QUERIES TAKE OVER {TARGET_MS:.0f} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
