"""Delete conversations idle for longer than the retention period.

    python -m akyikatchy.service.purge              # CONVERSATION_RETENTION_DAYS (default 90)
    python -m akyikatchy.service.purge --days 30
    make purge-conversations DAYS=30

Reads the same environment as Rasa (``POSTGRES_*``); without ``POSTGRES_HOST`` there is
nothing persistent to purge.  Run it daily (cron, a Kubernetes CronJob).  Prints counts only.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from akyikatchy.service.settings import ENV_PG_HOST, retention_days
from akyikatchy.service.tracker_store import ConversationTrackerStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Delete idle conversations from the tracker store.")
    parser.add_argument("--days", type=float, default=None, help="retention in days (default: environment)")
    args = parser.parse_args(argv)
    days = retention_days() if args.days is None else args.days
    if days <= 0:
        parser.error("--days must be positive")
    store = ConversationTrackerStore()
    if not store.persistent:
        print(f"{ENV_PG_HOST} is not set: conversations are in memory, nothing to purge")
        return 0
    deleted = asyncio.run(store.purge_idle(days))
    print(f"purged {deleted} events of conversations idle for more than {days:g} days")
    return 0


if __name__ == "__main__":
    sys.exit(main())
