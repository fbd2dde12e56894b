"""Conversations in PostgreSQL (akyikatchy/service/postgres_events.py) and long sessions.

The fast reads and writes must give what Rasa's own SQL store gives, never reuse a state
another replica has moved past, and a long conversation must continue in a new session
that still knows every answer and the active form.
"""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from akyikatchy.service.postgres_events import PostgresEvents
from akyikatchy.service.settings import Postgres
from akyikatchy.service.tracker_store import ConversationTrackerStore, continuation
from tests.support.postgres import PG_HOST, PG_PORT, PG_USER, create_db, drop_db, pg_available  # noqa: F401

DOMAIN = Domain.load("domain")


def _turn(tracker: DialogueStateTracker, text: str, slot: tuple[str, str] | None = None) -> None:
    tracker.update(UserUttered(text, {"name": "inform", "confidence": 0.9}))
    tracker.update(ActionExecuted("appeal_form"))
    if slot:
        tracker.update(SlotSet(*slot))
    tracker.update(BotUttered("?", metadata={"utter_action": "utter_ask_phone"}))
    tracker.update(ActionExecuted("action_listen"))


def _new(sender: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        sender,
        [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")],
        DOMAIN.slots,
    )


def _dialogue(tracker: DialogueStateTracker) -> list[dict]:
    return [event.as_dict() for event in tracker.events]


# -- continuation: pure ------------------------------------------------------------------


def _form_tracker(turns: int) -> DialogueStateTracker:
    tracker = _new("c")
    tracker.update(SlotSet("language", "ru"))
    tracker.update(ActiveLoop("appeal_form"))
    tracker.update(SlotSet("requested_slot", "phone"))
    for i in range(turns):
        _turn(tracker, f"ответ {i}", ("full_name", "Асанов Бакыт"))
    return tracker


@pytest.mark.parametrize(
    ("turns", "max_events", "continued"),
    [
        (2, 200, False),  # short: nothing to do
        (10, 20, True),  # long, at the end of a turn
        (10, 200, False),
    ],
)
def test_continuation_only_when_long(turns, max_events, continued):
    assert bool(continuation(_form_tracker(turns), max_events)) is continued


def test_continuation_waits_for_the_end_of_a_turn():
    tracker = _form_tracker(10)
    tracker.update(UserUttered("ещё"))
    assert continuation(tracker, 20) == []


def test_continued_session_knows_the_answers_the_form_and_the_language():
    tracker = _form_tracker(10)
    for event in continuation(tracker, 20):
        tracker.update(event)
    # Rasa reads a session from its latest SessionStarted on: that is what the next message sees.
    events = list(tracker.events)
    start = max(i for i, e in enumerate(events) if isinstance(e, SessionStarted))
    session = DialogueStateTracker.from_events("c", events[start:], DOMAIN.slots)
    assert len(session.events) < 10
    assert session.get_slot("language") == "ru"
    assert session.get_slot("full_name") == "Асанов Бакыт"
    assert session.get_slot("requested_slot") == "phone"
    assert session.active_loop_name == "appeal_form"
    assert session.latest_action_name == "action_listen"


# -- PostgreSQL --------------------------------------------------------------------------


@pytest.fixture
def database(pg_available):  # noqa: F811
    name = create_db()
    yield Postgres(host=PG_HOST, port=PG_PORT, db=name, username=PG_USER)
    drop_db(name)


def _rasa_store(postgres: Postgres) -> SQLTrackerStore:
    return SQLTrackerStore(
        DOMAIN, dialect="postgresql", host=postgres.host, port=postgres.port, db=postgres.db, username=PG_USER
    )


def _rasa_read(store: SQLTrackerStore, sender: str) -> DialogueStateTracker:
    return asyncio.run(store.retrieve(sender))


def test_what_it_writes_rasa_reads_and_back(database):
    fast = PostgresEvents(DOMAIN, database, timeout=4)
    rasa = _rasa_store(database)
    tracker = _new("u1")
    fast.store(tracker)  # not read by this store: Rasa's way
    for i in range(3):
        tracker = fast.load("u1")
        _turn(tracker, f"ответ {i}", ("full_name", f"Имя Фамилия{i}"))
        fast.store(tracker)
    assert _dialogue(_rasa_read(rasa, "u1")) == _dialogue(tracker)
    # Rasa's store adds a turn; the fast store sees it.
    by_rasa = _rasa_read(rasa, "u1")
    _turn(by_rasa, "от Rasa")
    asyncio.run(rasa.save(by_rasa))
    assert _dialogue(fast.load("u1")) == _dialogue(by_rasa)


def test_another_replica_write_is_never_hidden_by_the_cache(database):
    one, two = PostgresEvents(DOMAIN, database, timeout=4), PostgresEvents(DOMAIN, database, timeout=4)
    one.store(_new("u2"))
    seen_by_one = one.load("u2")  # cached in replica one
    from_two = two.load("u2")
    _turn(from_two, "через вторую реплику", ("full_name", "Вторая Реплика"))
    two.store(from_two)
    again = one.load("u2")
    assert len(seen_by_one.events) < len(again.events)
    assert _dialogue(again) == _dialogue(from_two)
    assert again.get_slot("full_name") == "Вторая Реплика"


def test_a_turn_that_failed_before_saving_leaves_nothing_behind(database):
    store = PostgresEvents(DOMAIN, database, timeout=4)
    store.store(_new("u3"))
    before = _dialogue(store.load("u3"))
    half = store.load("u3")
    _turn(half, "не сохранено")  # the message failed: never stored
    assert _dialogue(store.load("u3")) == before


def test_erasure_and_purge_are_seen_at_once(database):
    store = PostgresEvents(DOMAIN, database, timeout=4)
    tracker = _new("u4")
    _turn(tracker, "Асанов Бакыт", ("full_name", "Асанов Бакыт"))
    store.store(tracker)
    assert store.load("u4").get_slot("full_name") == "Асанов Бакыт"
    store.replace("u4", _new("u4"))
    assert store.load("u4").get_slot("full_name") is None
    assert store.purge_idle(cutoff=10**12) > 0
    assert store.load("u4") is None


def test_a_long_conversation_reads_a_short_session_with_its_answers(database, monkeypatch):
    monkeypatch.setenv("POSTGRES_HOST", database.host)
    monkeypatch.setenv("POSTGRES_DB", database.db)
    monkeypatch.setenv("POSTGRES_USER", PG_USER)
    monkeypatch.setattr("akyikatchy.service.tracker_store.SESSION_MAX_EVENTS", 40)
    store = ConversationTrackerStore(DOMAIN)

    async def talk() -> DialogueStateTracker:
        tracker = _new("u5")
        tracker.update(SlotSet("language", "ky"))
        tracker.update(ActiveLoop("appeal_form"))
        await store.save(tracker)
        for i in range(60):
            tracker = await store.retrieve("u5")
            _turn(tracker, f"жооп {i}", ("description", f"баяндама {i}"))
            await store.save(tracker)
        return await store.retrieve("u5")

    latest = asyncio.run(talk())
    assert len(latest.events) <= 40 + 10
    assert latest.get_slot("language") == "ky"
    assert latest.get_slot("description") == "баяндама 59"
    assert latest.active_loop_name == "appeal_form"
    full = asyncio.run(store.retrieve_full_tracker("u5"))
    assert len(full.events) > 60 * 4  # the history is kept; only the session is new
