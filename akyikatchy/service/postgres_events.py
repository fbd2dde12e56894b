"""Rasa's ``events`` table on PostgreSQL, read and written without Rasa's per-row overhead.

Rasa's ``SQLTrackerStore`` builds an ORM object per stored event on every message and counts
the session's rows again before each save; in ``make bench`` that made the Rasa process
spend 2.5 times the CPU per message of the in-memory set-up. Here:

* **Reads** check the conversation's newest row id first (one indexed lookup). When this
  process has already read or written exactly that state, the session's events are taken
  from a small cache (events are never changed once made: a tracker only appends); otherwise
  they are read with one plain query. Another
  replica's write, an erasure or a purge changes the newest id, so nothing stale is reused;
  Rasa's lock store already lets only one message of a conversation run at a time.
* **Writes** insert only the events added since the read, in one statement, and remember
  the new newest id; a tracker this store did not read falls back to Rasa's count.

The table, the rows and what a session is (events since the latest ``session_started``, by
timestamp) stay exactly Rasa's, so Rasa's own store reads what this one writes and back.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
from collections import OrderedDict
from typing import Any, Optional

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from akyikatchy.service.settings import Postgres

THREADS = 8
CONNECT_QUERY = {
    "connect_timeout": "3",
    "keepalives": "1",
    "keepalives_idle": "10",
    "keepalives_interval": "3",
    "keepalives_count": "3",
    "application_name": "akyikatchy-rasa",
}
SESSION_OPTIONS = (
    "-c statement_timeout=5000 -c lock_timeout=3000 -c idle_in_transaction_session_timeout=10000"
)
# Conversations whose latest session this process keeps (least recently used first out).
CACHE_SIZE = int(os.environ.get("TRACKER_CACHE_SIZE", "") or 500)
# The session's events as stored, remembered on the tracker this store hands out.
LOADED = "_akyikatchy_loaded"

NEWEST_ID = sa.text("SELECT max(id) FROM events WHERE sender_id = :sender_id")
# The latest session, as Rasa defines it: events from the latest session_started on, by time.
_IN_LATEST_SESSION = (
    "FROM events WHERE sender_id = :sender_id AND ("
    " timestamp >= (SELECT max(timestamp) FROM events"
    "  WHERE sender_id = :sender_id AND type_name = :session_started)"
    " OR NOT EXISTS (SELECT 1 FROM events"
    "  WHERE sender_id = :sender_id AND type_name = :session_started))"
)
LATEST_SESSION = sa.text(f"SELECT id, data {_IN_LATEST_SESSION} ORDER BY id").bindparams(
    session_started=SessionStarted.type_name
)
SESSION_COUNT = sa.text(f"SELECT count(*) {_IN_LATEST_SESSION}").bindparams(
    session_started=SessionStarted.type_name
)


def run_sync(coroutine: Any) -> Any:
    """Run a coroutine that never suspends (Rasa's SQL store is synchronous inside)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("tracker store coroutine suspended")


def _row(sender_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """One event as Rasa's SQL store writes it."""
    return {
        "sender_id": sender_id,
        "type_name": data.get("event"),
        "timestamp": data.get("timestamp"),
        "intent_name": (data.get("parse_data") or {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


class PostgresEvents(SQLTrackerStore):
    """Rasa's SQL tracker store with timeouts, keepalives and the
    fast paths of the module docstring."""

    def __init__(
        self, domain: Optional[Domain], postgres: Postgres, timeout: float, event_broker: Any = None
    ):
        super().__init__(
            domain=domain,
            dialect="postgresql",
            host=postgres.host,
            port=postgres.port,
            db=postgres.db,
            username=postgres.username,
            password=postgres.password,
            event_broker=event_broker,
            query=dict(CONNECT_QUERY),
        )
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url,
            # No pre-ping (a round trip per checkout): a connection broken by a database
            # restart fails its call, is discarded, and the tracker store retries.
            pool_pre_ping=False,
            pool_size=int(os.environ.get("SQL_POOL_SIZE", "") or THREADS),
            max_overflow=int(os.environ.get("SQL_MAX_OVERFLOW", "") or 4),
            pool_timeout=timeout,
            connect_args={"options": SESSION_OPTIONS},
        )
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        with self.engine.begin() as connection:  # one conversation's rows, in order
            connection.execute(
                sa.text("CREATE INDEX IF NOT EXISTS events_sender_ts ON events (sender_id, timestamp)")
            )
            connection.execute(
                sa.text("CREATE INDEX IF NOT EXISTS events_sender_id ON events (sender_id, id)")
            )
        self._table = self.SQLEvent.__table__
        self._cache: OrderedDict[str, tuple[int, list[Event]]] = OrderedDict()
        self._cache_lock = threading.Lock()

    # -- cache ---------------------------------------------------------------------------
    def _cached(self, sender_id: str, newest_id: int) -> Optional[list[Event]]:
        with self._cache_lock:
            entry = self._cache.get(sender_id)
            if entry is None or entry[0] != newest_id:
                return None
            self._cache.move_to_end(sender_id)
            return entry[1]

    def _remember(self, sender_id: str, newest_id: int, events: list[Event]) -> None:
        with self._cache_lock:
            self._cache[sender_id] = (newest_id, events)
            self._cache.move_to_end(sender_id)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)

    def forget(self, sender_id: str) -> None:
        with self._cache_lock:
            self._cache.pop(sender_id, None)

    # -- read and write ------------------------------------------------------------------
    def load(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The latest session of a conversation, or None when it has no events."""
        # Reads only: autocommit spares the BEGIN and the ROLLBACK of a transaction.
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            newest_id = connection.execute(NEWEST_ID, {"sender_id": sender_id}).scalar()
            if newest_id is None:
                self.forget(sender_id)
                return None
            events = self._cached(sender_id, newest_id)
            if events is None:
                result = connection.execute(LATEST_SESSION, {"sender_id": sender_id}).fetchall()
                events = deserialise_events([json.loads(row.data) for row in result])
                newest_id = result[-1].id if result else newest_id
                self._remember(sender_id, newest_id, events)
        if not events or self.domain is None:
            return None
        tracker = DialogueStateTracker.from_events(sender_id, events, self.domain.slots)
        setattr(tracker, LOADED, events)
        return tracker

    def store(self, tracker: DialogueStateTracker) -> None:
        """Insert the events added since this store read the tracker.

        A tracker this store did not hand out (a new conversation) is counted as Rasa counts
        it: the events of its latest stored session are already there.
        """
        if self.event_broker is not None:  # Rasa's way streams the events too
            self.forget(tracker.sender_id)
            run_sync(self.save(tracker))
            return
        loaded: Optional[list[Event]] = getattr(tracker, LOADED, None)
        with self.engine.begin() as connection:
            if loaded is None:
                count = connection.execute(SESSION_COUNT, {"sender_id": tracker.sender_id}).scalar() or 0
            else:
                count = len(loaded)
            added = list(itertools.islice(tracker.events, count, None))
            if not added:
                return
            values = [_row(tracker.sender_id, event.as_dict()) for event in added]
            ids = connection.execute(
                self._table.insert().values(values).returning(self._table.c.id)
            ).scalars()
            newest_id = max(ids)
        if loaded is None or any(value["type_name"] == SessionStarted.type_name for value in values):
            self.forget(tracker.sender_id)  # the next read starts at the stored session
            setattr(tracker, LOADED, None)
            return
        stored = loaded + added
        self._remember(tracker.sender_id, newest_id, stored)
        setattr(tracker, LOADED, stored)

    # -- erasure and retention -----------------------------------------------------------
    def replace(self, sender_id: str, tracker: DialogueStateTracker) -> None:
        """Delete every event of the conversation and store ``tracker`` in their place."""
        self.forget(sender_id)
        with self.engine.begin() as connection:
            connection.execute(self._table.delete().where(self._table.c.sender_id == sender_id))
        self.store(tracker)

    def purge_idle(self, cutoff: float) -> int:
        """Delete the conversations whose newest event is older than ``cutoff``."""
        table = self._table
        idle = (
            sa.select(table.c.sender_id)
            .group_by(table.c.sender_id)
            .having(sa.func.max(table.c.timestamp) < cutoff)
        )
        with self.engine.begin() as connection:
            deleted = connection.execute(table.delete().where(table.c.sender_id.in_(idle))).rowcount
        with self._cache_lock:
            self._cache.clear()
        return int(deleted)
