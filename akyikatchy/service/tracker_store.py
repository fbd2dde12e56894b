"""``ConversationTrackerStore``: where Rasa keeps conversations (named in endpoints.yml).

* **PostgreSQL** (Rasa's own ``SQLTrackerStore`` tables) when ``POSTGRES_HOST`` is set or the
  endpoint names a host (``deploy/endpoints.yml``); **in memory** otherwise (a laptop).
* Database work runs **off the event loop** in a small thread pool, with a connect timeout,
  keepalives, a statement timeout and a pre-ping of pooled connections.  A failing call is
  retried briefly (``RETRIEVE_DEADLINE`` / ``SAVE_DEADLINE``); then :class:`StoreUnavailable`
  is raised and the guard (:mod:`akyikatchy.service.guards`) asks the user to try again.
  A call that *hangs* is not retried (it may still commit): it fails after
  ``ATTEMPT_TIMEOUT``.
* **Erasure removes the history**: when a saved turn contains the action server's erasure
  reply (``utter_data_deleted`` or ``utter_nothing_to_delete``, recognised by the
  ``utter_action`` of the ``BotUttered``), every stored event of that conversation is deleted
  and a fresh session is written in its place, keeping only the ``language`` slot.
* :meth:`purge_idle` deletes conversations idle for longer than the retention period
  (``python -m akyikatchy.service.purge``).

Sessions (``session_config`` in ``domain/core.yml``) keep retrieval short: Rasa's SQL store
reads only the events of the latest session.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Optional

from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore, TrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from akyikatchy.rasa_language import LANGUAGE_SLOT
from akyikatchy.service.settings import Postgres

logger = logging.getLogger(__name__)

ERASURE_RESPONSES = frozenset({"utter_data_deleted", "utter_nothing_to_delete"})
ATTEMPT_TIMEOUT = float(os.environ.get("TRACKER_STORE_TIMEOUT", "") or 4.0)
RETRIEVE_DEADLINE = 3.0  # seconds of retries after a failed read
SAVE_DEADLINE = 6.0  # a save is worth a little more patience: the turn is lost without it
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


class StoreUnavailable(RuntimeError):
    """The conversation store could not be read or written in time."""


def _run_sync(coroutine: Any) -> Any:
    """Run a coroutine that never suspends (Rasa's SQL store is synchronous inside)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("tracker store coroutine suspended")


def erasure_in_turn(tracker: DialogueStateTracker) -> bool:
    """Whether the latest turn (events since the latest user message) confirmed an erasure."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, BotUttered) and (event.metadata or {}).get("utter_action") in ERASURE_RESPONSES:
            return True
    return False


def fresh_session(tracker: DialogueStateTracker, slots: Any) -> DialogueStateTracker:
    """A new session for the same conversation, keeping only its language."""
    events = [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted()]
    language = tracker.get_slot(LANGUAGE_SLOT)
    if language:
        events.append(SlotSet(LANGUAGE_SLOT, language))
    events.append(ActionExecuted(ACTION_LISTEN_NAME))
    return DialogueStateTracker.from_events(tracker.sender_id, events, slots)


class _PostgresEvents(SQLTrackerStore):
    """Rasa's SQL tracker store with timeouts, keepalives and pre-pinged connections."""

    def __init__(self, domain: Optional[Domain], postgres: Postgres, event_broker: Any = None) -> None:
        import sqlalchemy as sa

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
            pool_pre_ping=True,
            pool_size=int(os.environ.get("SQL_POOL_SIZE", "") or THREADS),
            max_overflow=int(os.environ.get("SQL_MAX_OVERFLOW", "") or 4),
            pool_timeout=ATTEMPT_TIMEOUT,
            connect_args={"options": SESSION_OPTIONS},
        )
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        with self.engine.begin() as connection:  # time-ordered reads of one conversation
            connection.execute(
                sa.text("CREATE INDEX IF NOT EXISTS events_sender_ts ON events (sender_id, timestamp)")
            )

    def replace(self, sender_id: str, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete(
                synchronize_session=False
            )
            session.commit()
        _run_sync(self.save(tracker))

    def purge_idle(self, cutoff: float) -> int:
        import sqlalchemy as sa

        with self.session_scope() as session:
            idle = (
                session.query(self.SQLEvent.sender_id)
                .group_by(self.SQLEvent.sender_id)
                .having(sa.func.max(self.SQLEvent.timestamp) < cutoff)
                .subquery()
            )
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id.in_(sa.select(idle.c.sender_id)))
                .delete(synchronize_session=False)
            )
            session.commit()
            return int(deleted)


class ConversationTrackerStore(TrackerStore):
    """PostgreSQL or memory, chosen from the endpoint or the environment (module docstring)."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[str] = None,
        event_broker: Any = None,
        port: Optional[int] = None,
        db: Optional[str] = None,
        username: Optional[str] = None,
        password: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        postgres = Postgres.from_env()
        if host:  # written in the endpoint (deploy/endpoints.yml): it wins over the defaults
            postgres = Postgres(
                host=str(host),
                port=int(port or 5432),
                db=str(db or "akyikatchy"),
                username=username or None,
                password=password or None,
            )
        self.postgres = postgres
        self._pool: Optional[ThreadPoolExecutor] = None
        if postgres is None:
            self._inner: TrackerStore = InMemoryTrackerStore(domain, event_broker)
            logger.info("Conversations are kept in memory (POSTGRES_HOST is not set)")
        else:
            self._inner = _PostgresEvents(domain, postgres, event_broker)
            self._pool = ThreadPoolExecutor(THREADS, thread_name_prefix="tracker-store")
            logger.info(
                "Conversations are kept in PostgreSQL (%s:%s/%s)", postgres.host, postgres.port, postgres.db
            )
        super().__init__(domain, event_broker)

    @property
    def domain(self) -> Domain:
        return self._inner.domain

    @domain.setter
    def domain(self, domain: Optional[Domain]) -> None:
        if hasattr(self, "_inner"):
            self._inner.domain = domain

    @property
    def persistent(self) -> bool:
        return self._pool is not None

    async def _call(self, what: str, function: Callable[..., Any], *args: Any, deadline: float) -> Any:
        """Run ``function`` in the pool; retry errors until ``deadline``; never retry a hang."""
        if self._pool is None:
            return function(*args)
        loop = asyncio.get_running_loop()
        give_up = time.monotonic() + deadline
        pause = 0.2
        while True:
            try:
                return await asyncio.wait_for(
                    loop.run_in_executor(self._pool, function, *args), ATTEMPT_TIMEOUT
                )
            except asyncio.TimeoutError as error:
                logger.error("Tracker store: %s timed out after %.0f s", what, ATTEMPT_TIMEOUT)
                raise StoreUnavailable(f"{what} timed out") from error
            except Exception as error:  # noqa: BLE001 - database errors of any driver
                if time.monotonic() + pause > give_up:
                    logger.error("Tracker store: %s failed (%s)", what, type(error).__name__)
                    raise StoreUnavailable(f"{what} failed") from error
                logger.warning("Tracker store: %s failed (%s); retrying", what, type(error).__name__)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 1.0)

    # -- TrackerStore --------------------------------------------------------------------
    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        if self._pool is None:
            return await self._inner.retrieve(sender_id)
        return await self._call(
            "read", lambda: _run_sync(self._inner.retrieve(sender_id)), deadline=RETRIEVE_DEADLINE
        )

    async def retrieve_full_tracker(self, conversation_id: str) -> Optional[DialogueStateTracker]:
        if self._pool is None:
            return await self._inner.retrieve_full_tracker(conversation_id)
        return await self._call(
            "full read",
            lambda: _run_sync(self._inner.retrieve_full_tracker(conversation_id)),
            deadline=RETRIEVE_DEADLINE,
        )

    async def save(self, tracker: DialogueStateTracker) -> None:
        if erasure_in_turn(tracker):
            await self.erase_history(tracker)
            return
        if self._pool is None:
            await self._inner.save(tracker)
            return
        await self._call("save", lambda: _run_sync(self._inner.save(tracker)), deadline=SAVE_DEADLINE)

    async def keys(self) -> Iterable[str]:
        if self._pool is None:
            return await self._inner.keys()
        return await self._call("keys", lambda: _run_sync(self._inner.keys()), deadline=RETRIEVE_DEADLINE)

    # -- erasure and retention ------------------------------------------------------------
    async def erase_history(self, tracker: DialogueStateTracker) -> None:
        """Replace every stored event of the conversation by a fresh session (language kept)."""
        fresh = fresh_session(tracker, self.domain.slots)
        if self._pool is None:
            assert isinstance(self._inner, InMemoryTrackerStore)
            self._inner.store.pop(tracker.sender_id, None)
            await self._inner.save(fresh)
        else:
            inner = self._inner
            assert isinstance(inner, _PostgresEvents)
            await self._call("erase", inner.replace, tracker.sender_id, fresh, deadline=SAVE_DEADLINE)
        logger.info(
            "Conversation history erased after the user's erasure request (%d events)", len(tracker.events)
        )

    async def purge_idle(self, days: float) -> int:
        """Delete conversations whose latest event is older than ``days``; returns events deleted."""
        cutoff = time.time() - days * 86400
        if self._pool is None:
            assert isinstance(self._inner, InMemoryTrackerStore)
            deleted = 0
            for sender_id in list(self._inner.store):
                tracker = await self._inner.retrieve_full_tracker(sender_id)
                if tracker is not None and tracker.events and tracker.events[-1].timestamp < cutoff:
                    deleted += len(tracker.events)
                    del self._inner.store[sender_id]
            return deleted
        inner = self._inner
        assert isinstance(inner, _PostgresEvents)
        return await self._call("purge", inner.purge_idle, cutoff, deadline=SAVE_DEADLINE)
