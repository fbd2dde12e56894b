"""The Rasa server as a service, without servers: store choice, erasure of history, the
guards (cut at 4096, apology, log redaction), the Telegram queue bound and shared claims."""

from __future__ import annotations

import asyncio
import logging

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.slots import AnySlot, TextSlot
from rasa.shared.core.trackers import DialogueStateTracker

from akyikatchy.service import guards
from akyikatchy.service.lock_store import ConversationLockStore
from akyikatchy.service.tracker_store import ConversationTrackerStore, erasure_in_turn
from akyikatchy.telegram.shared_ids import SharedUpdateIds

SLOTS = [TextSlot("language", mappings=[{}]), AnySlot("full_name", mappings=[{}])]


@pytest.fixture(autouse=True)
def no_services(monkeypatch):
    for name in ("POSTGRES_HOST", "REDIS_HOST"):
        monkeypatch.delenv(name, raising=False)


def _tracker(sender: str, erased: bool) -> DialogueStateTracker:
    events = [
        ActionExecuted("action_listen"),
        UserUttered("Иванова Мария"),
        SlotSet("language", "ru"),
        SlotSet("full_name", "Иванова Мария"),
        UserUttered("да"),
    ]
    if erased:
        events.append(BotUttered("Готово.", metadata={"utter_action": "utter_data_deleted"}))
    return DialogueStateTracker.from_events(sender, events, SLOTS)


def test_without_environment_everything_stays_in_memory():
    from rasa.core.lock_store import InMemoryLockStore

    assert not ConversationTrackerStore().persistent
    assert isinstance(ConversationLockStore(endpoint_config=None), InMemoryLockStore)
    assert not SharedUpdateIds.from_env("1:x").shared


def test_redis_lock_store_from_environment(monkeypatch):
    from akyikatchy.service.lock_store import AtomicRedisLockStore

    monkeypatch.setenv("REDIS_HOST", "127.0.0.1")
    monkeypatch.setenv("REDIS_LOCK_DB", "9")
    store = ConversationLockStore(endpoint_config=None)
    assert isinstance(store, AtomicRedisLockStore)
    assert store.client.connection_pool.connection_kwargs["db"] == 9


def test_erasure_replaces_the_history_by_a_fresh_session_keeping_the_language():
    from rasa.shared.core.domain import Domain

    from devserver.servers import ROOT

    store = ConversationTrackerStore(domain=Domain.load(str(ROOT / "domain")))
    assert not erasure_in_turn(_tracker("a", erased=False))
    assert erasure_in_turn(_tracker("a", erased=True))

    async def run():
        await store.save(_tracker("a", erased=False))
        await store.save(_tracker("b", erased=True))
        return await store.retrieve("a"), await store.retrieve_full_tracker("b")

    kept, erased = asyncio.run(run())
    assert kept.get_slot("full_name") == "Иванова Мария"
    text = str([e.as_dict() for e in erased.events])
    assert "Иванова" not in text and erased.get_slot("language") == "ru"
    assert erased.get_slot("full_name") is None


def test_log_redaction_hides_message_text():
    event = guards.redact_event_dict(
        None, "error", {"event": "rest.message.received.failure", "text": "+996 555"}
    )
    assert event["text"] == "<redacted: 8>"
    record = logging.LogRecord(
        "rasa.core.processor", logging.DEBUG, "", 0, "Received user message '%s'", ("x",), None
    )
    guards.RedactTextFilter().filter(record)
    assert "555" not in record.getMessage()


def test_dispatcher_refuses_when_full_and_the_webhook_answers_503():
    from akyikatchy.telegram.channel import TelegramInput
    from tests.support.fake_telegram import text_update, user

    channel = TelegramInput(token="1:test", secret_token="s")
    channel.dispatcher.max_pending = 1

    async def never(_message):
        await asyncio.sleep(3600)

    async def run():
        first = channel.handle_webhook(
            "s", __import__("json").dumps(text_update(user(5), "a")).encode(), never
        )
        second_update = text_update(user(6), "b")
        second = channel.handle_webhook("s", __import__("json").dumps(second_update).encode(), never)
        assert second_update["update_id"] not in channel.seen  # refused, so Telegram redelivers it
        for task in list(channel.dispatcher._tasks):
            task.cancel()
        return first[0], second[0]

    assert asyncio.run(run()) == (200, 503)
