"""``ConversationTrackerStore``: where Rasa keeps conversations (named in endpoints.yml).

* **PostgreSQL** (Rasa's own ``SQLTrackerStore`` tables) when ``POSTGRES_HOST`` is set or the
  endpoint names a host (``deploy/endpoints.yml``); **in memory** otherwise (a laptop).
* Database work runs **off the event loop** in a small thread pool, with a connect timeout,
  keepalives and a statement timeout.  A failing call is
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

Sessions keep retrieval short: Rasa reads only the events of the latest session. A session
ends after 60 idle minutes (``session_config`` in ``domain/core.yml``) or, at the end of a turn,
after ``SESSION_MAX_EVENTS`` events (:func:`continuation`: the new session carries the slots
and the active form). The PostgreSQL reads and writes themselves are in
:mod:`akyikatchy.service.postgres_events`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Optional

from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from akyikatchy.rasa_language import LANGUAGE_SLOT
from akyikatchy.service.postgres_events import THREADS, PostgresEvents, run_sync
from akyikatchy.service.settings import Postgres

logger = logging.getLogger(__name__)

ERASURE_RESPONSES = frozenset({"utter_data_deleted", "utter_nothing_to_delete"})
ATTEMPT_TIMEOUT = float(os.environ.get("TRACKER_STORE_TIMEOUT", "") or 4.0)
RETRIEVE_DEADLINE = 3.0  # seconds of retries after a failed read
SAVE_DEADLINE = 6.0  # a save is worth a little more patience: the turn is lost without it
# A session longer than this many events is continued in a new one at the end of a turn
# (slots and an active form carried over): Rasa re-reads and replays a session on every
# message, so without it a long conversation gets slower with every turn.
SESSION_MAX_EVENTS = int(os.environ.get("SESSION_MAX_EVENTS", "") or 200)


class StoreUnavailable(RuntimeError):
    """The conversation store could not be read or written in time."""


def erasure_in_turn(tracker: DialogueStateTracker) -> bool:
    """Whether the latest turn (events since the latest user message) confirmed an erasure."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, BotUttered) and (event.metadata or {}).get("utter_action") in ERASURE_RESPONSES:
            return True
    return False


def new_session(slots: dict[str, Any], active_loop: Optional[str] = None) -> list[Event]:
    """The events that start a session knowing these slots (and this active form)."""
    events: list[Event] = [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted()]
    events += [SlotSet(name, value) for name, value in slots.items() if value is not None]
    if active_loop:
        events.append(ActiveLoop(active_loop))
    events.append(ActionExecuted(ACTION_LISTEN_NAME))
    return events


def fresh_session(tracker: DialogueStateTracker, slots: Any) -> DialogueStateTracker:
    """A new session for the same conversation, keeping only its language."""
    events = new_session({LANGUAGE_SLOT: tracker.get_slot(LANGUAGE_SLOT) or None})
    return DialogueStateTracker.from_events(tracker.sender_id, events, slots)


def continuation(tracker: DialogueStateTracker, max_events: int) -> list[Event]:
    """The events that continue an over-long session in a new one, or [] when not needed.

    Only at the end of a turn (the assistant listening). The new session holds what the
    conversation knows: every slot with a value (the language, the form's answers, the
    requested slot) and the active form, so the next message is understood as before.
    """
    last = tracker.events[-1] if tracker.events else None
    if len(tracker.events) <= max_events or not (
        isinstance(last, ActionExecuted) and last.action_name == ACTION_LISTEN_NAME
    ):
        return []
    return new_session(tracker.current_slot_values(), tracker.active_loop_name)


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
            self._inner = PostgresEvents(domain, postgres, ATTEMPT_TIMEOUT, event_broker)
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

    @property
    def _database(self) -> PostgresEvents:
        """The PostgreSQL events (there is a pool only when a database is configured)."""
        assert isinstance(self._inner, PostgresEvents)
        return self._inner

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
        return await self._call("read", self._database.load, sender_id, deadline=RETRIEVE_DEADLINE)

    async def retrieve_full_tracker(self, conversation_id: str) -> Optional[DialogueStateTracker]:
        if self._pool is None:
            return await self._inner.retrieve_full_tracker(conversation_id)
        return await self._call(
            "full read",
            lambda: run_sync(self._inner.retrieve_full_tracker(conversation_id)),
            deadline=RETRIEVE_DEADLINE,
        )

    async def save(self, tracker: DialogueStateTracker) -> None:
        if erasure_in_turn(tracker):
            await self.erase_history(tracker)
            return
        for event in continuation(tracker, SESSION_MAX_EVENTS):
            tracker.update(event)
        if self._pool is None:
            await self._inner.save(tracker)
            return
        await self._call("save", self._database.store, tracker, deadline=SAVE_DEADLINE)

    async def keys(self) -> Iterable[str]:
        if self._pool is None:
            return await self._inner.keys()
        return await self._call("keys", lambda: run_sync(self._inner.keys()), deadline=RETRIEVE_DEADLINE)

    # -- erasure and retention ------------------------------------------------------------
    async def erase_history(self, tracker: DialogueStateTracker) -> None:
        """Replace every stored event of the conversation by a fresh session (language kept)."""
        fresh = fresh_session(tracker, self.domain.slots)
        if self._pool is None:
            assert isinstance(self._inner, InMemoryTrackerStore)
            self._inner.store.pop(tracker.sender_id, None)
            await self._inner.save(fresh)
        else:
            await self._call(
                "erase", self._database.replace, tracker.sender_id, fresh, deadline=SAVE_DEADLINE
            )
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
        return await self._call("purge", self._database.purge_idle, cutoff, deadline=SAVE_DEADLINE)
