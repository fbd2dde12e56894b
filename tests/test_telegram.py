"""The Telegram channel (akyikatchy/telegram/) against a fake Bot API server.

Three layers:

* pure helpers: text splitting, keyboards, update -> UserMessage conversion;
* the channel in-process (output, retries, dedup, callback answers, webhook decisions,
  polling, the setWebhook CLI) against tests/support/fake_telegram.py over real HTTP;
* the real Rasa server and action server (one per module) with the channel from a credentials
  file, Telegram update JSON posted to /webhooks/telegram/webhook, and what the bot sends
  read back from the fake server: commands, buttons, a shared contact, a document, a whole
  appeal in each language, and the security and reliability rules.  A second Rasa server runs
  in polling mode against its own fake.

Flow tests assert on structure (who got a reply, keyboards and payloads, Kyrgyz vs Russian)
rather than exact wording, which belongs to the domain.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest
import yaml
from telegram import Update

from akyikatchy.telegram import polling_cli, sending, webhook_cli
from akyikatchy.telegram.channel import TelegramInput
from akyikatchy.telegram.commands import MENU, set_commands
from akyikatchy.telegram.dispatch import UpdateIds
from akyikatchy.telegram.keyboards import LIVE, STALE, UNKNOWN, MemoryKeyboardState, RedisKeyboardState
from akyikatchy.telegram.sending import contact_keyboard, inline_keyboard, split_text
from akyikatchy.telegram.settings import MESSAGE_LIMIT, SECRET_HEADER, WEBHOOK_PATH
from akyikatchy.telegram.texts import domain_responses, text_for
from akyikatchy.telegram.updates import (
    ATTACHMENT_TEXT,
    COMMANDS,
    UNSUPPORTED_TEXT,
    command_text,
    convert_update,
)
from devserver.servers import MODEL, free_port, rasa_server
from tests.support.fake_telegram import (
    FakeTelegram,
    callback_update,
    contact_update,
    document_update,
    group_chat,
    message_update,
    photo_update,
    text_update,
    user,
)

ROOT = Path(__file__).resolve().parent.parent
SECRET = "test-secret_token-0123456789"
KY_LETTERS = re.compile("[үөңҮӨҢ]")
CYRILLIC = re.compile("[а-яА-ЯёЁ]")
REFERENCE = re.compile(r"AK-\d{4}-\d{6}")
TURN_TIMEOUT = 90.0
TELEGRAM_LOGGER = "akyikatchy.telegram"
CHANNEL_CREDENTIALS = f"rest:\n{polling_cli.CHANNEL_KEY}:\n"

# The channel filters this warning itself; pytest resets warning filters per test.
pytestmark = pytest.mark.filterwarnings("ignore:.*Bot.getUpdates.*")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse(data: dict[str, Any]) -> Update:
    return Update.de_json(data, None)


def payloads(messages: list[dict[str, Any]]) -> list[str]:
    found = []
    for m in messages:
        for key in ("reply_markup", "edited_reply_markup"):
            markup = m.get(key) or {}
            for row in markup.get("inline_keyboard") or []:
                found.extend(b.get("callback_data") for b in row if b.get("callback_data"))
    return found


def contact_buttons(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for m in messages:
        markup = m.get("reply_markup") or {}
        for row in markup.get("keyboard") or []:
            found.extend(b for b in row if isinstance(b, dict) and b.get("request_contact"))
    return found


# =========================================================================================
# Pure helpers
# =========================================================================================
def test_split_text_5000_characters_into_two_parts_within_the_limit():
    paragraph = ("Акыйкатчы укуктарыңызды коргойт. " * 20).strip()
    text = "\n\n".join([paragraph] * 8)
    text = (text + "\n\n" + "а" * 5000)[:5000]
    assert len(text) == 5000
    chunks = split_text(text)
    assert len(chunks) == 2
    assert all(0 < utf16_len(c) <= MESSAGE_LIMIT for c in chunks)
    assert "".join(chunks).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")


def test_split_text_prefers_paragraph_then_line_then_space_and_hard_cuts_last():
    para = "x" * 3000
    assert split_text(para + "\n\n" + para) == [para, para]
    assert split_text(para + "\n" + para) == [para, para]
    assert split_text(para + " " + para) == [para, para]
    assert [len(c) for c in split_text("y" * 5000)] == [4096, 904]
    words = ("слово " * 1000).strip()
    assert all(not c.startswith(" ") and not c.endswith(" ") for c in split_text(words))
    assert split_text("   ") == [] and split_text(None) == []
    assert split_text("short") == ["short"]


def test_split_text_counts_utf16_like_telegram():
    text = "😀" * 3000  # 6000 UTF-16 units
    chunks = split_text(text)
    assert len(chunks) == 2
    assert all(utf16_len(c) <= MESSAGE_LIMIT for c in chunks)
    assert "".join(chunks) == text


def test_inline_keyboard_layout_and_payloads():
    two = inline_keyboard([{"title": "Ооба", "payload": "/affirm"}, {"title": "Жок", "payload": "/deny"}])
    assert two.to_dict() == {
        "inline_keyboard": [
            [
                {"text": "Ооба", "callback_data": "/affirm"},
                {"text": "Жок", "callback_data": "/deny"},
            ]
        ]
    }
    regions = [{"title": f"R{i}", "payload": f'/inform{{"region":"r{i}"}}'} for i in range(5)]
    rows = inline_keyboard(regions).to_dict()["inline_keyboard"]
    assert len(rows) == 5 and all(len(r) == 1 for r in rows)
    assert rows[0][0]["callback_data"] == '/inform{"region":"r0"}'
    assert inline_keyboard([]) is None


def test_inline_keyboard_skips_payloads_over_64_bytes(caplog):
    long_payload = '/inform{"category":"' + "ы" * 40 + '"}'
    assert len(long_payload.encode()) > 64
    with caplog.at_level(logging.WARNING, logger=TELEGRAM_LOGGER):
        markup = inline_keyboard(
            [{"title": "ok", "payload": "/affirm"}, {"title": "long", "payload": long_payload}]
        )
    assert [b["callback_data"] for r in markup.to_dict()["inline_keyboard"] for b in r] == ["/affirm"]
    assert "exceeds 64 bytes" in caplog.text
    assert inline_keyboard([{"title": "long", "payload": long_payload}]) is None


def test_contact_keyboard():
    assert contact_keyboard("Номеримди жөнөтүү").to_dict() == {
        "keyboard": [[{"text": "Номеримди жөнөтүү", "request_contact": True}]],
        "one_time_keyboard": True,
        "resize_keyboard": True,
    }


@pytest.mark.parametrize(
    "typed, sent",
    [
        ("/start", "/greet"),
        ("/start deep-link", "/greet"),
        ("/start@akyikatchy_bot", "/greet"),
        ("/help", "/help"),
        ("/language", "/switch_language"),
        ("/cancel", "/cancel"),
        ("/status", "/check_appeal_status"),
        ("/STATUS", "/check_appeal_status"),
        ("Саламатсызбы", "Саламатсызбы"),
        ("/unknown", "/unknown"),
    ],
)
def test_commands(typed, sent):
    assert command_text(typed) == sent


def test_text_update_to_user_message_fields():
    data = text_update(user(777, "ru"), "/start", update_id=10)
    inbound = convert_update(parse(data))
    assert inbound.text == "/greet"
    assert inbound.sender_id == "777"
    assert inbound.metadata == {
        "telegram_user_id": 777,
        "language_code": "ru",
        "chat_type": "private",
        "update_id": 10,
    }
    no_code = convert_update(parse(text_update(user(778, None), "салам")))
    assert no_code.metadata["language_code"] is None and no_code.text == "салам"


def test_callback_query_update():
    inbound = convert_update(parse(callback_update(user(5, "ky"), '/inform{"region":"bishkek"}')))
    assert inbound.text == '/inform{"region":"bishkek"}'
    assert inbound.callback_query_id
    assert inbound.sender_id == "5"


def test_contact_update_adds_plus_and_marks_own_contact():
    own = convert_update(parse(contact_update(user(9, "ky"), "996555123456")))
    assert own.text == "+996555123456" and own.metadata["contact"] is True
    plus = convert_update(parse(contact_update(user(9, "ky"), "+79121234567")))
    assert plus.text == "+79121234567"
    foreign = convert_update(parse(contact_update(user(9, "ky"), "996700000000", own=False)))
    assert foreign.text == "+996700000000" and "contact" not in foreign.metadata


def test_photo_and_document_updates():
    photo = convert_update(parse(photo_update(user(3))))
    assert photo.text == ATTACHMENT_TEXT
    att = photo.metadata["attachment"]
    assert att["kind"] == "photo" and att["size"] == 120000 and att["file_id"].endswith("_1280")
    assert set(att) == {"file_id", "file_unique_id", "name", "mime_type", "size", "kind"}
    doc = convert_update(parse(document_update(user(3), "арыз.pdf", 2048)))
    assert doc.text == ATTACHMENT_TEXT
    assert doc.metadata["attachment"]["name"] == "арыз.pdf"
    assert doc.metadata["attachment"]["mime_type"] == "application/pdf"
    assert doc.metadata["attachment"]["kind"] == "document"
    big = convert_update(parse(document_update(user(3), size=20 * 1024 * 1024 + 1)))
    assert big.text == ATTACHMENT_TEXT  # passed on: the action server answers with the limit


def test_other_message_types_are_unsupported():
    sticker = {
        "file_id": "s",
        "file_unique_id": "su",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }
    assert convert_update(parse(message_update(user(3), sticker=sticker))).text == UNSUPPORTED_TEXT
    location = {"latitude": 42.87, "longitude": 74.59}
    assert convert_update(parse(message_update(user(3), location=location))).text == UNSUPPORTED_TEXT
    voice = {"file_id": "v", "file_unique_id": "vu", "duration": 3}
    assert convert_update(parse(message_update(user(3), voice=voice))).text == UNSUPPORTED_TEXT


def test_group_chats_and_other_updates_are_not_sent_to_rasa():
    group = convert_update(parse(text_update(user(3), "салам", chat=group_chat())))
    assert group.text is None and "private" in group.reason
    press = convert_update(parse(callback_update(user(3), "/affirm", chat=group_chat(kind="group"))))
    assert press.text is None and press.callback_query_id  # still answered
    edited = parse({"update_id": 4, "edited_message": text_update(user(3), "x")["message"]})
    assert convert_update(edited).text is None
    bot_sender = {"id": 11, "is_bot": True, "first_name": "bot"}
    assert convert_update(parse(text_update(bot_sender, "hi"))).text is None


def test_update_ids_are_bounded():
    seen = UpdateIds(size=3)
    assert seen.add(1) and seen.add(2) and seen.add(3)
    assert not seen.add(2)
    assert seen.add(4) and len(seen) == 3
    assert 1 not in seen and seen.add(1)


def test_credentials_yml_names_the_channel_class():
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
    assert polling_cli.CHANNEL_KEY in credentials and "rest" in credentials
    module, _, name = polling_cli.CHANNEL_KEY.rpartition(".")
    assert getattr(importlib.import_module(module), name) is TelegramInput


# =========================================================================================
# The channel in-process against the fake Bot API
# =========================================================================================
@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def fake(fake_server) -> FakeTelegram:
    fake_server.reset()
    return fake_server


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setattr(sending, "RETRY_BASE_DELAY", 0.01)
    monkeypatch.setattr(sending, "MAX_RETRY_AFTER", 0.2)


class Collector:
    """Stands in for Rasa's on_new_message."""

    def __init__(self, fail: bool = False, delay: float = 0.0) -> None:
        self.messages: list[Any] = []
        self.fail = fail
        self.delay = delay

    async def __call__(self, message) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.messages.append(message)
        if self.fail:
            raise RuntimeError("boom")


async def eventually(predicate, timeout: float = 10.0) -> Any:
    """Async wait (the fake answers from its own thread; the channel runs on this loop)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met in {timeout:.0f} s")
        await asyncio.sleep(0.05)


def channel_for(fake: FakeTelegram, **kwargs: Any) -> TelegramInput:
    return TelegramInput(token=fake.token, secret_token=SECRET, base_url=fake.base_url, **kwargs)


async def test_output_splits_a_5000_character_answer(fake):
    channel = channel_for(fake)
    text = ("Бул узун жооп. " * 400)[:5000]
    try:
        await channel.get_output_channel().send_response(
            "4242", {"text": text, "buttons": [{"title": "Ооба", "payload": "/affirm"}]}
        )
    finally:
        await channel.stop()
    sent = fake.sent(4242)
    assert len(sent) == 2
    assert all(utf16_len(m["text"]) <= MESSAGE_LIMIT for m in sent)
    assert all("parse_mode" not in m for m in sent)  # plain text: no formatting injection
    assert "reply_markup" not in sent[0]
    assert payloads(sent[1:]) == ["/affirm"]


async def test_output_text_and_buttons_in_one_message_and_contact_keyboard(fake):
    channel = channel_for(fake)
    out = channel.get_output_channel()
    try:
        await out.send_response(
            "7",
            {
                "text": "<b>*not bold*</b>",
                "buttons": [{"title": "Ооба", "payload": "/affirm"}, {"title": "Жок", "payload": "/deny"}],
            },
        )
        await out.send_response("7", {"text": "Телефон?", "custom": {"request_contact": "Номеримди жөнөтүү"}})
        await out.send_custom_json("7", {"request_contact": "Share"})
    finally:
        await channel.stop()
    sent = fake.sent(7)
    assert len(sent) == 3
    assert sent[0]["text"] == "<b>*not bold*</b>" and "parse_mode" not in sent[0]
    assert payloads(sent[:1]) == ["/affirm", "/deny"]
    assert sent[1]["text"] == "Телефон?"
    assert sent[1]["reply_markup"] == contact_keyboard("Номеримди жөнөтүү").to_dict()
    assert sent[2]["text"] == "Share" and contact_buttons(sent[2:])


async def test_failing_sends_are_retried_boundedly_and_logged_without_text(fake, fast_retries, caplog):
    channel = channel_for(fake)
    out = channel.get_output_channel()
    secret_text = "Асанов Бакыт +996555123456"
    try:
        fake.fail_next(
            "sendMessage", 1, status=429, description="Too Many Requests: retry after 1", retry_after=1
        )
        fake.fail_next("sendMessage", 1, status=502)
        with caplog.at_level(logging.INFO, logger=TELEGRAM_LOGGER):
            started = time.monotonic()
            await out.send_text_message("8", secret_text)
            assert time.monotonic() - started < 2  # retry_after capped
            assert len(fake.sent(8)) == 3  # 429, 502, then delivered
            fake.fail_next("sendMessage", 1 + sending.SEND_RETRIES, status=502)
            await out.send_text_message("8", secret_text)
            assert len(fake.sent(8)) == 3 + 1 + sending.SEND_RETRIES  # bounded, then dropped
            fake.fail_next("sendMessage", 1, status=400, description="Bad Request: chat not found")
            await out.send_text_message("8", secret_text)
            assert len(fake.sent(8)) == 3 + 1 + sending.SEND_RETRIES + 1  # not retried
    finally:
        await channel.stop()
    assert "dropped after" in caplog.text
    assert "Асанов" not in caplog.text and "555123456" not in caplog.text
    assert fake.token not in caplog.text


async def test_webhook_decisions(fake, caplog):
    collector = Collector()
    channel = channel_for(fake)
    body = json.dumps(text_update(user(21, "ky"), "салам")).encode()
    try:
        assert channel.handle_webhook(None, body, collector)[0] == 403
        assert channel.handle_webhook("wrong", body, collector)[0] == 403
        assert channel.handle_webhook(SECRET[:-1], body, collector)[0] == 403
        await asyncio.sleep(0.1)
        assert collector.messages == []
        with caplog.at_level(logging.WARNING, logger=TELEGRAM_LOGGER):
            assert channel.handle_webhook(SECRET, b"{not json", collector)[0] == 200
            assert channel.handle_webhook(SECRET, b'{"update_id": 5, "message": "x"}', collector)[0] == 200
        assert caplog.text.count("unparseable update dropped") == 2
        assert channel.handle_webhook(SECRET, body, collector) == (200, {"ok": True})
        await channel.drain()
        assert [m.text for m in collector.messages] == ["салам"]
        assert collector.messages[0].input_channel == "telegram"
        assert collector.messages[0].sender_id == "21"
    finally:
        await channel.stop()

    no_token = TelegramInput(token=None, secret_token=SECRET, base_url=fake.base_url)
    with caplog.at_level(logging.ERROR, logger=TELEGRAM_LOGGER):
        caplog.clear()
        assert no_token.handle_webhook(SECRET, body, collector)[0] == 503
        assert no_token.handle_webhook(SECRET, body, collector)[0] == 503
    assert caplog.text.count("TELEGRAM_BOT_TOKEN is not set") == 1
    no_secret = TelegramInput(token=fake.token, secret_token=None, base_url=fake.base_url)
    assert no_secret.handle_webhook("", body, collector)[0] == 403
    assert no_secret.handle_webhook(None, body, collector)[0] == 403


async def test_redelivered_update_is_processed_once_and_order_is_kept(fake):
    collector = Collector(delay=0.05)
    channel = channel_for(fake)
    u = user(31, "ru")
    first, second = text_update(u, "один"), text_update(u, "два")
    try:
        assert channel.accept(first, collector) is not None
        assert channel.accept(first, collector) is None
        channel.accept(second, collector)
        channel.accept(dict(first), collector)
        await channel.drain()
    finally:
        await channel.stop()
    assert [m.text for m in collector.messages] == ["один", "два"]


async def test_a_pressed_button_stays_before_the_next_message(fake, monkeypatch):
    monkeypatch.setattr(sending, "RETRY_BASE_DELAY", 0.3)
    fake.fail_next("answerCallbackQuery", 1, status=502)  # the answer takes a retry
    collector = Collector()
    channel = channel_for(fake)
    u = user(35, "ky")
    try:
        channel.accept(callback_update(u, "/affirm"), collector)
        channel.accept(text_update(u, "Асанов Бакыт"), collector)
        await channel.drain()
    finally:
        await channel.stop()
    assert [m.text for m in collector.messages] == ["/affirm", "Асанов Бакыт"]
    assert len(fake.calls_since(0, "answerCallbackQuery")) == 2


async def test_callback_query_is_answered_even_when_processing_fails(fake, caplog):
    collector = Collector(fail=True)
    channel = channel_for(fake)
    update = callback_update(user(41, "ky"), "/affirm")
    try:
        with caplog.at_level(logging.ERROR, logger=TELEGRAM_LOGGER):
            channel.accept(update, collector)
            await channel.drain()
    finally:
        await channel.stop()
    answers = fake.calls_since(0, "answerCallbackQuery")
    assert [a.params["callback_query_id"] for a in answers] == [update["callback_query"]["id"]]
    assert [m.text for m in collector.messages] == ["/affirm"]
    assert "failed in processing (RuntimeError)" in caplog.text


async def test_group_chat_gets_nothing(fake, caplog):
    collector = Collector()
    channel = channel_for(fake)
    press = callback_update(user(51), "/affirm", chat=group_chat())
    try:
        with caplog.at_level(logging.INFO, logger=TELEGRAM_LOGGER):
            channel.accept(text_update(user(51), "салам", chat=group_chat()), collector)
            channel.accept(press, collector)
            await channel.drain()
    finally:
        await channel.stop()
    assert collector.messages == []
    assert fake.sent() == []
    assert fake.methods() == ["answerCallbackQuery"]  # only the spinner is stopped
    assert "not a private chat" in caplog.text


async def test_polling_in_process(fake):
    collector = Collector()
    channel = channel_for(fake, polling=True, poll_timeout=1)
    update = text_update(user(61, "ky"), "/help")
    try:
        await channel.start_polling(collector)
        await eventually(lambda: fake.calls_since(0, "getUpdates"))
        fake.queue_update(update)
        await eventually(lambda: collector.messages)
        assert [m.text for m in collector.messages] == ["/help"]
        await eventually(
            lambda: any(
                c.params.get("offset") == update["update_id"] + 1 for c in fake.calls_since(0, "getUpdates")
            )
        )
    finally:
        await channel.stop()
    methods = fake.methods()
    assert methods[0] == "deleteWebhook"
    polls = fake.calls_since(0, "getUpdates")
    assert all(p.params["allowed_updates"] == ["message", "callback_query"] for p in polls)
    assert all(p.params["timeout"] == 1 for p in polls)
    count = len(polls)
    await asyncio.sleep(1.5)
    assert len(fake.calls_since(0, "getUpdates")) == count  # stopped


async def test_polling_stops_on_a_rejected_token(fake, caplog):
    channel = TelegramInput(token="999:wrong", base_url=fake.base_url, polling=True, poll_timeout=1)
    with caplog.at_level(logging.INFO, logger=TELEGRAM_LOGGER):
        await channel.start_polling(Collector())
        await asyncio.wait_for(channel.poller.task, 10)
        await channel.stop()
    assert "token rejected" in caplog.text
    assert "999:wrong" not in caplog.text


def test_set_webhook_cli(fake, monkeypatch, capsys):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", fake.token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", fake.base_url)
    monkeypatch.delenv("TELEGRAM_WEBHOOK_URL", raising=False)
    monkeypatch.setenv("TELEGRAM_SECRET_TOKEN", SECRET)
    assert webhook_cli.main([]) == 2
    assert "TELEGRAM_WEBHOOK_URL" in capsys.readouterr().err
    assert fake.calls == []

    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://bot.example.org" + WEBHOOK_PATH)
    assert webhook_cli.main([]) == 0
    out = capsys.readouterr().out
    assert "webhook set" in out and SECRET not in out and fake.token not in out
    calls = fake.calls_since(0, "setWebhook")
    assert len(calls) == 1
    assert calls[0].params["url"] == "https://bot.example.org" + WEBHOOK_PATH
    assert calls[0].params["secret_token"] == SECRET
    assert calls[0].params["allowed_updates"] == ["message", "callback_query"]

    monkeypatch.setenv("TELEGRAM_SECRET_TOKEN", "has spaces")
    assert webhook_cli.main([]) == 2
    monkeypatch.setenv("TELEGRAM_SECRET_TOKEN", SECRET)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "999:wrong")
    assert webhook_cli.main([]) == 1
    assert "999:wrong" not in capsys.readouterr().err


# -- buttons: the choice marked, stale presses, the share-contact keyboard, the menu ----------
LANGUAGE_CASES = [("ky", "Ооба", "Жок"), ("ru", "Да", "Нет")]


def already_done(language: str) -> str:
    return text_for(domain_responses(), "utter_already_done", language)


async def send_keyboard(out, chat_id: int, fake: FakeTelegram, text: str, buttons: list[tuple[str, str]]):
    await out.send_response(
        str(chat_id), {"text": text, "buttons": [{"title": t, "payload": p} for t, p in buttons]}
    )
    return fake.sent_messages(chat_id)[-1]


@pytest.mark.parametrize("language, yes, no", LANGUAGE_CASES)
async def test_a_press_marks_the_choice_and_a_double_tap_is_already_done(fake, language, yes, no):
    collector = Collector()
    channel = channel_for(fake)
    out = channel.get_output_channel()
    u = user(70001 if language == "ky" else 70002, language)
    try:
        question = await send_keyboard(
            out, u["id"], fake, "Жөнөтөбүзбү? / Отправить?", [(yes, "/affirm"), (no, "/deny")]
        )
        first = callback_update(u, "/affirm", message=question)
        second = callback_update(u, "/affirm", message=question)
        mark = fake.mark()
        channel.accept(first, collector)
        channel.accept(second, collector)
        await channel.drain()
    finally:
        await channel.stop()
    assert [m.text for m in collector.messages] == ["/affirm"]  # the second tap never reaches Rasa
    edited = fake.message(u["id"], question["message_id"])
    assert edited["text"] == question["text"] + f"\n\n\u2713 {yes}"
    assert "reply_markup" not in edited  # the keyboard is gone
    answered = [c.params["callback_query_id"] for c in fake.calls_since(mark, "answerCallbackQuery")]
    assert sorted(answered) == sorted([first["callback_query"]["id"], second["callback_query"]["id"]])
    assert [m["text"] for m in fake.sent(u["id"], mark)] == [already_done(language)]


@pytest.mark.parametrize("language, yes, no", LANGUAGE_CASES)
async def test_old_and_superseded_keyboards_are_stale_menus_survive_typing(fake, language, yes, no):
    collector = Collector()
    channel = channel_for(fake)
    out = channel.get_output_channel()
    u = user(70011 if language == "ky" else 70012, language)
    try:
        menu = await send_keyboard(out, u["id"], fake, "Меню", [("A", "/file_appeal"), ("B", "/help")])
        channel.accept(text_update(u, "салам"), collector)  # typing leaves a menu live
        await channel.drain()
        channel.accept(callback_update(u, "/file_appeal", message=menu), collector)
        await channel.drain()
        consent = await send_keyboard(out, u["id"], fake, "Макулсузбу?", [(yes, "/affirm"), (no, "/deny")])
        channel.accept(text_update(u, "ooba"), collector)  # the answer typed: its keyboard is dead
        await channel.drain()
        mark = fake.mark()
        channel.accept(callback_update(u, "/affirm", message=consent), collector)  # the old consent button
        await channel.drain()
        region = await send_keyboard(
            out, u["id"], fake, "Регион?", [("Бишкек", '/inform{"region":"bishkek"}')]
        )
        await send_keyboard(out, u["id"], fake, "Категория?", [("Эмгек", '/inform{"category":"labour"}')])
        channel.accept(text_update(u, "бир нерсе"), collector)
        await channel.drain()
        newer = await send_keyboard(out, u["id"], fake, "Дагы?", [(yes, "/affirm")])
        channel.accept(callback_update(u, '/inform{"region":"bishkek"}', message=region), collector)
        await channel.drain()
        channel.accept(callback_update(u, "/affirm", message=newer), collector)  # the latest: goes through
        await channel.drain()
    finally:
        await channel.stop()
    assert [m.text for m in collector.messages] == ["салам", "/file_appeal", "ooba", "бир нерсе", "/affirm"]
    assert [m["text"] for m in fake.sent(u["id"], mark) if m["text"] == already_done(language)] == [
        already_done(language)
    ] * 2


async def test_a_press_on_an_unknown_chat_goes_through_as_before(fake):
    collector = Collector()
    channel = channel_for(fake)
    try:
        channel.accept(callback_update(user(70021, "ru"), "/help"), collector)
        await channel.drain()
    finally:
        await channel.stop()
    assert [m.text for m in collector.messages] == ["/help"]
    assert fake.calls_since(0, "editMessageReplyMarkup")  # made-up message: only the keyboard removal


@pytest.mark.parametrize("language", ["ky", "ru"])
async def test_the_share_contact_keyboard_goes_once_the_phone_is_answered(fake, language):
    title = "Номеримди жөнөтүү" if language == "ky" else "Отправить мой номер"
    collector = Collector()
    channel = channel_for(fake)
    out = channel.get_output_channel()
    typed, shared = (
        user(70031 if language == "ky" else 70032, language),
        user(70033 if language == "ky" else 70034, language),
    )
    try:
        # typed number; the next message carries an inline keyboard (the region question)
        await out.send_response(str(typed["id"]), {"text": "Телефон?", "custom": {"request_contact": title}})
        channel.accept(text_update(typed, "0555 12 34 56"), collector)
        await channel.drain()
        mark = fake.mark()
        region = await send_keyboard(
            out, typed["id"], fake, "Регион?", [("Бишкек", '/inform{"region":"bishkek"}')]
        )
        await out.send_response(str(typed["id"]), {"text": "Кийинки"})
        # shared contact; the next message is plain text
        await out.send_response(str(shared["id"]), {"text": "Телефон?", "custom": {"request_contact": title}})
        channel.accept(contact_update(shared, "996555123456"), collector)
        await channel.drain()
        shared_mark = fake.mark()
        await out.send_response(str(shared["id"]), {"text": "Рахмат"})
        # the edit fails: the inline keyboard comes on a message of its own
        await out.send_response(str(typed["id"]), {"text": "Телефон?", "custom": {"request_contact": title}})
        channel.accept(text_update(typed, "+996 555 ABC 456"), collector)
        await channel.drain()
        fallback_mark = fake.mark()
        fake.fail_next(
            "editMessageReplyMarkup", 1, status=400, description="Bad Request: message can't be edited"
        )
        await out.send_response(
            str(typed["id"]), {"text": "Регион?", "buttons": [{"title": "Ош", "payload": "/deny"}]}
        )
    finally:
        await channel.stop()
    sent = fake.sent(typed["id"], mark)
    assert sent[0]["reply_markup"] == {"remove_keyboard": True}
    assert fake.message(typed["id"], region["message_id"])["reply_markup"][
        "inline_keyboard"
    ]  # added by an edit
    assert "reply_markup" not in sent[1]  # removed once only
    assert fake.sent(shared["id"], shared_mark)[0]["reply_markup"] == {"remove_keyboard": True}
    fallback = fake.sent(typed["id"], fallback_mark)
    assert fallback[0]["reply_markup"] == {"remove_keyboard": True}
    assert payloads(fallback[1:]) == ["/deny"]


async def test_keyboard_state_in_memory_is_bounded():
    state = MemoryKeyboardState(size=2)
    await state.keyboard_sent(1, 10, True)
    assert await state.inbound(1, 10) == LIVE
    assert await state.inbound(1, 10) == STALE
    await state.keyboard_sent(2, 20, True)
    await state.keyboard_sent(3, 30, True)  # chat 1 forgotten
    assert await state.inbound(1, 10) == UNKNOWN


async def test_keyboard_state_in_redis_takes_a_press_once():
    redis_asyncio = pytest.importorskip("redis.asyncio")
    client = redis_asyncio.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1)
    try:
        await client.ping()
    except Exception:
        await client.close()
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"akyikatchy-test:{os.getpid()}:{time.time_ns()}:"
    state, other = RedisKeyboardState(client, prefix=prefix), RedisKeyboardState(client, prefix=prefix)
    try:
        assert await state.inbound(5, 99) == UNKNOWN
        await state.keyboard_sent(5, 100, True)
        await state.keyboard_sent(5, 101, False)
        results = await asyncio.gather(state.inbound(5, 100), other.inbound(5, 100))
        assert sorted(results) == [LIVE, STALE]  # two replicas, one double tap: one goes through
        assert await state.inbound(5, None) == LIVE  # typed: answer keyboards die, menus stay
        assert await state.inbound(5, 101) == LIVE
        await state.contact_sent(5)
        assert not await state.take_contact_removal(5)
        await state.inbound(5, None)
        assert await state.take_contact_removal(5) and not await state.take_contact_removal(5)
    finally:
        keys = [k async for k in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.close()


def menu_of(fake: FakeTelegram, language: str) -> list[tuple[str, str]]:
    return [(c["command"], c["description"]) for c in fake.commands.get(language, [])]


def expected_menu(language: str) -> list[tuple[str, str]]:
    return [(c, text_for(domain_responses(), f"utter_command_{c}", language)) for c in MENU]


async def test_command_menu_is_set_per_language(fake):
    assert set(MENU) <= set(COMMANDS)
    channel = channel_for(fake)
    try:
        assert await set_commands(channel.get_bot())
    finally:
        await channel.stop()
    assert menu_of(fake, "ky") == expected_menu("ky")
    assert menu_of(fake, "ru") == expected_menu("ru")
    assert menu_of(fake, "") == expected_menu("ky")  # the default: Kyrgyz, the state language
    assert menu_of(fake, "ky") != menu_of(fake, "ru")
    assert all(description for _, description in menu_of(fake, "ru") + menu_of(fake, "ky"))


def test_webhook_cli_sets_the_command_menu(fake, monkeypatch, capsys):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", fake.token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", fake.base_url)
    monkeypatch.setenv("TELEGRAM_SECRET_TOKEN", SECRET)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://bot.example.org" + WEBHOOK_PATH)
    assert webhook_cli.main([]) == 0
    assert "command menu set" in capsys.readouterr().out
    assert menu_of(fake, "ky") == expected_menu("ky") and menu_of(fake, "ru") == expected_menu("ru")
    assert menu_of(fake, "") == expected_menu("ky")
    fake.fail_next("setMyCommands", 1, status=400, description="Bad Request: commands invalid")
    assert webhook_cli.main([]) == 1


async def test_polling_start_sets_the_command_menu(fake):
    channel = channel_for(fake, polling=True, poll_timeout=1)
    try:
        await channel.start_polling(Collector())
        await eventually(lambda: fake.calls_since(0, "getUpdates"))
    finally:
        await channel.stop()
    methods = fake.methods()
    assert methods.index("setMyCommands") < methods.index("getUpdates")
    assert menu_of(fake, "ru") == expected_menu("ru") and menu_of(fake, "") == expected_menu("ky")


# =========================================================================================
# The real Rasa server with the channel
# =========================================================================================
class TelegramServer:
    def __init__(self, url: str, fake: FakeTelegram, log_path: Path, startup_calls: list[str]) -> None:
        self.url = url
        self.fake = fake
        self.log_path = log_path
        self.startup_calls = startup_calls

    def post(self, update: Any, secret: Optional[str] = SECRET) -> int:
        body = update if isinstance(update, bytes) else json.dumps(update).encode()
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        request = urllib.request.Request(self.url + WEBHOOK_PATH, data=body, headers=headers, method="POST")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        assert time.monotonic() - started < 5, "the webhook must answer promptly"
        return status

    def tracker(self, sender_id: str) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/conversations/{sender_id}/tracker", timeout=10) as r:
            return json.load(r)

    def user_events(self, sender_id: str) -> list[dict[str, Any]]:
        return [e for e in self.tracker(sender_id).get("events", []) if e.get("event") == "user"]

    def wait_processed(self, sender_id: str, update_id: int, timeout: float = TURN_TIMEOUT) -> dict[str, Any]:
        """Wait until Rasa has handled the update (its user event, then action_listen)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            events = self.tracker(sender_id).get("events", [])
            for i, event in enumerate(events):
                if (
                    event.get("event") == "user"
                    and (event.get("metadata") or {}).get("update_id") == update_id
                ):
                    last = events[-1]
                    if (
                        i < len(events) - 1
                        and last.get("event") == "action"
                        and last.get("name") == "action_listen"
                    ):
                        return event
            time.sleep(0.1)
        raise TimeoutError(f"update {update_id} not processed by Rasa within {timeout:.0f} s")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _credentials(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("telegram") / "credentials.yml"
    path.write_text(CHANNEL_CREDENTIALS, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def telegram_server(action_server_url, database_url, tmp_path_factory) -> Iterator[TelegramServer]:
    """Rasa in webhook mode, its Bot API pointed at a fake."""
    credentials = _credentials(tmp_path_factory)
    log_path = tmp_path_factory.mktemp("logs") / "rasa_telegram.log"
    with FakeTelegram() as fake, open(log_path, "wb") as log:
        env = {
            "DATABASE_URL": database_url,
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_SECRET_TOKEN": SECRET,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "TELEGRAM_POLLING": "0",
        }
        with rasa_server(free_port(), action_server_url, credentials=credentials, env=env, log=log) as url:
            yield TelegramServer(url, fake, log_path, fake.methods())


class Chat:
    """One Telegram user talking to the real server."""

    def __init__(self, server: TelegramServer, user_id: int, language_code: Optional[str]) -> None:
        self.server = server
        self.user = user(user_id, language_code, first_name="Бакыт")
        self.user_id = user_id

    def turn(self, update: dict[str, Any]) -> list[dict[str, Any]]:
        """Post one update and return what the bot sent to this chat in answer."""
        mark = self.server.fake.mark()
        assert self.server.post(update) == 200
        self.server.wait_processed(str(self.user_id), update["update_id"])
        return self.sent_since(mark)

    def sent_since(self, mark: int) -> list[dict[str, Any]]:
        """sendMessage parameters since ``mark``; an inline keyboard added later by an edit (when
        the same message removed the share-contact keyboard) as ``edited_reply_markup``."""
        fake = self.server.fake
        out = []
        for call in fake.calls_since(mark, "sendMessage"):
            if str(call.params.get("chat_id")) != str(self.user_id):
                continue
            params = dict(call.params)
            if isinstance(call.result, dict) and not (params.get("reply_markup") or {}).get(
                "inline_keyboard"
            ):
                now = fake.message(call.result["chat"]["id"], call.result["message_id"]) or {}
                if now.get("reply_markup"):
                    params["edited_reply_markup"] = now["reply_markup"]
            out.append(params)
        return out

    def say(self, text: str) -> list[dict[str, Any]]:
        return self.turn(text_update(self.user, text))

    def message_with(self, data: str) -> Optional[dict[str, Any]]:
        """The latest message the bot sent this chat with a button ``data`` (as it is now)."""
        for message in reversed(self.server.fake.sent_messages(self.user_id)):
            if data in payloads([message]) or data in payloads([self.sent_as(message)]):
                return message
        return None

    def sent_as(self, message: dict[str, Any]) -> dict[str, Any]:
        """``message`` as it was sent (before an edit removed its keyboard)."""
        for call in self.server.fake.calls_since(0, "sendMessage"):
            if isinstance(call.result, dict) and call.result.get("message_id") == message["message_id"]:
                return call.result
        return message

    def press_update(self, data: str, message: Optional[dict[str, Any]] = None) -> dict[str, Any]:
        """A press of ``data`` on ``message`` (default: the latest message showing that button)."""
        message = message or self.message_with(data)
        return callback_update(self.user, data, message=self.sent_as(message) if message else None)

    def press_stale(self, update: dict[str, Any]) -> list[dict[str, Any]]:
        """Post a press that must not reach Rasa; return what the bot sent (waits for a reply)."""
        fake = self.server.fake
        mark = fake.mark()
        before = len(self.server.user_events(str(self.user_id)))
        assert self.server.post(update) == 200
        fake.wait_for(lambda f: f.sent(self.user_id, mark), 30)
        time.sleep(0.5)
        assert len(self.server.user_events(str(self.user_id))) == before, "a stale press reached Rasa"
        return fake.sent(self.user_id, mark)

    def press(self, data: str, message: Optional[dict[str, Any]] = None) -> list[dict[str, Any]]:
        mark = self.server.fake.mark()
        update = self.press_update(data, message)
        replies = self.turn(update)
        answered = [
            c.params.get("callback_query_id")
            for c in self.server.fake.calls_since(mark, "answerCallbackQuery")
        ]
        assert update["callback_query"]["id"] in answered, "callback query not answered"
        return replies


def _texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def in_language(messages: list[dict[str, Any]], language: str) -> bool:
    text = _texts(messages)
    if language == "ky":
        return bool(KY_LETTERS.search(text))
    return bool(CYRILLIC.search(text)) and not KY_LETTERS.search(text)


def test_no_call_to_telegram_at_start_up(telegram_server):
    assert telegram_server.startup_calls == []


def test_start_greets_in_the_telegram_language_with_a_menu(telegram_server):
    for user_id, code in ((910001, "ky"), (910002, "ru")):
        replies = Chat(telegram_server, user_id, code).say("/start")
        assert replies, f"no answer to /start ({code})"
        assert in_language(replies, code), _texts(replies)
        assert payloads(replies), "the greeting shows a menu of inline buttons"
        assert all("parse_mode" not in m for m in replies)
        events = telegram_server.user_events(str(user_id))
        assert events[-1]["text"] == "/greet"
        meta = events[-1]["metadata"]
        assert meta["telegram_user_id"] == user_id and meta["language_code"] == code
        assert meta["chat_type"] == "private"


@pytest.mark.parametrize(
    "user_id, command, intent",
    [
        (920001, "/help", "help"),
        (920002, "/language", "switch_language"),
        (920003, "/status", "check_appeal_status"),
        (920004, "/cancel", "cancel"),
    ],
)
def test_commands_reach_rasa_as_intents_and_get_an_answer(telegram_server, user_id, command, intent):
    chat = Chat(telegram_server, user_id, "ru")
    replies = chat.say(command)
    event = telegram_server.user_events(str(chat.user_id))[-1]
    assert event["parse_data"]["intent"]["name"] == intent
    assert replies, f"no answer to {command}"


def test_webhook_refuses_requests_without_the_secret(telegram_server):
    chat = Chat(telegram_server, 930001, "ky")
    update = text_update(chat.user, "салам")
    mark = telegram_server.fake.mark()
    assert telegram_server.post(update, secret=None) == 403
    assert telegram_server.post(update, secret="wrong-secret") == 403
    assert telegram_server.post(update, secret=SECRET + "x") == 403
    time.sleep(2)
    assert telegram_server.user_events("930001") == []
    assert telegram_server.fake.calls_since(mark) == []
    # the same update with the secret is then processed (it was never recorded as seen)
    replies = chat.turn(update)
    assert replies


def test_redelivered_update_is_processed_once(telegram_server):
    chat = Chat(telegram_server, 930002, "ru")
    update = text_update(chat.user, "Здравствуйте")
    mark = telegram_server.fake.mark()
    assert telegram_server.post(update) == 200
    assert telegram_server.post(update) == 200
    telegram_server.wait_processed("930002", update["update_id"])
    assert telegram_server.post(update) == 200
    time.sleep(2)
    events = [
        e
        for e in telegram_server.user_events("930002")
        if e["metadata"].get("update_id") == update["update_id"]
    ]
    assert len(events) == 1
    first_answer = telegram_server.fake.sent(930002, mark)
    assert first_answer
    assert telegram_server.log().count("already processed") >= 2


def test_callback_query_is_answered(telegram_server):
    chat = Chat(telegram_server, 930003, "ky")
    replies = chat.press("/help")  # asserts answerCallbackQuery with the query's id
    assert replies
    assert telegram_server.user_events("930003")[-1]["text"] == "/help"


def test_group_chat_is_refused(telegram_server):
    fake = telegram_server.fake
    member = user(930004, "ky")
    group = group_chat(-100930004)
    mark = fake.mark()
    assert telegram_server.post(text_update(member, "салам", chat=group)) == 200
    press = callback_update(member, "/affirm", chat=group)
    assert telegram_server.post(press) == 200
    fake.wait_for(lambda f: f.calls_since(mark, "answerCallbackQuery"), 10)
    time.sleep(2)
    assert telegram_server.user_events("930004") == []
    assert fake.sent(-100930004, mark) == [] and fake.sent(930004, mark) == []
    assert "not a private chat" in telegram_server.log()


def test_unparseable_update_is_answered_200_and_logged(telegram_server):
    assert telegram_server.post(b"this is not json") == 200
    assert telegram_server.post({"update_id": "x", "message": 5}) == 200
    assert telegram_server.post({"update_id": 930005, "message": "garbage"}) == 200
    deadline = time.monotonic() + 10
    while telegram_server.log().count("unparseable update dropped") < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert telegram_server.log().count("unparseable update dropped") >= 3


def test_unsupported_message_and_photo_reach_rasa(telegram_server):
    chat = Chat(telegram_server, 930006, "ky")
    sticker = {
        "file_id": "s",
        "file_unique_id": "su",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }
    chat.turn(message_update(chat.user, sticker=sticker))
    assert telegram_server.user_events("930006")[-1]["text"] == UNSUPPORTED_TEXT
    chat.turn(photo_update(chat.user))
    event = telegram_server.user_events("930006")[-1]
    assert event["text"] == ATTACHMENT_TEXT
    assert event["metadata"]["attachment"]["kind"] == "photo"


def test_long_answer_through_rasa_is_split(telegram_server):
    """A 5,000-character answer sent by Rasa (through the trigger API) arrives in 2 parts."""
    fake = telegram_server.fake
    chat_id = 930007
    mark = fake.mark()
    text = ("Акыйкатчы. " * 500)[:5000]
    request = urllib.request.Request(
        f"{telegram_server.url}/conversations/{chat_id}/tracker/events?output_channel=telegram&execute_side_effects=true",
        data=json.dumps({"event": "bot", "text": text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):
        pass
    sent = fake.wait_for(lambda f: len(f.sent(chat_id, mark)) >= 2 and f.sent(chat_id, mark), 20)
    assert len(sent) == 2
    assert all(utf16_len(m["text"]) <= MESSAGE_LIMIT for m in sent)


def _incident_date() -> str:
    bishkek = dt.datetime.now(dt.timezone(dt.timedelta(hours=6))).date()
    return (bishkek - dt.timedelta(days=20)).strftime("%d.%m.%Y")


APPEAL_TEXTS = {
    "ky": {
        "file": "кайрылуу бергим келет",
        "respondent": "Бишкек шаарынын мэриясы",
        "address": "Бишкек шаары, Токтогул көчөсү 125, 12-батир",
        "description": "Жумуш берүүчү үч ай бою эмгек акымды төлөбөй келет, арызыма жооп берген жок.",
    },
    "ru": {
        "file": "хочу подать обращение",
        "respondent": "Мэрия города Бишкек",
        "address": "г. Бишкек, ул. Токтогула 125, кв. 12",
        "description": "Работодатель три месяца не выплачивает зарплату и не отвечает на мои заявления.",
    },
}


@pytest.mark.parametrize("language", ["ky", "ru"])
def test_whole_appeal_through_telegram(telegram_server, database_url, language):
    texts = APPEAL_TEXTS[language]
    user_id = 940001 if language == "ky" else 940002
    chat = Chat(telegram_server, user_id, language)
    problems: list[str] = []

    def check(ok: Any, step: str, what: str, replies: Optional[list[dict[str, Any]]] = None) -> None:
        if not ok:
            shown = _texts(replies or [])[:300].replace("\n", " / ")
            problems.append(f"{step}: {what}" + (f" [bot said: {shown!r}]" if replies is not None else ""))

    def step(
        name: str, replies: list[dict[str, Any]], expect_payloads: list[str] = ()
    ) -> list[dict[str, Any]]:
        check(replies, name, "no reply", replies)
        if replies:
            check(in_language(replies, language), name, f"reply not in {language}", replies)
            check(all("parse_mode" not in m for m in replies), name, "parse_mode used")
        for payload in expect_payloads:
            check(payload in payloads(replies), name, f"no inline button {payload}", replies)
        return replies

    step("/start", chat.say("/start"), ["/file_appeal"])
    step("file appeal", chat.say(texts["file"]), ["/affirm", "/deny"])
    step("consent", chat.press("/affirm"))
    asked_phone = step("full name", chat.say("Асанов Бакыт Маратович"))
    check(
        contact_buttons(asked_phone),
        "full name",
        "the phone question has no 'share my number' button",
        asked_phone,
    )
    step(
        "phone (shared contact)",
        chat.turn(contact_update(chat.user, "996555123456")),
        ['/inform{"region":"bishkek"}'],
    )
    contact_event = telegram_server.user_events(str(user_id))[-1]
    check(
        contact_event["text"] == "+996555123456" and contact_event["metadata"].get("contact") is True,
        "phone (shared contact)",
        "contact not passed as '+996555123456' with contact: true",
    )
    step("region", chat.press('/inform{"region":"bishkek"}'))
    step("address", chat.say(texts["address"]), ['/inform{"category":"labour"}'])
    step("category", chat.press('/inform{"category":"labour"}'))
    step("respondent", chat.say(texts["respondent"]))
    step("incident date", chat.say(_incident_date()))
    document = document_update(chat.user, "арыз.pdf", 34567)
    file_id = document["message"]["document"]["file_id"]
    attachment_replies = chat.turn(document)
    check(attachment_replies, "document", "no reply to the uploaded document", attachment_replies)
    doc_event = telegram_server.user_events(str(user_id))[-1]
    assert doc_event["text"] == ATTACHMENT_TEXT
    assert doc_event["metadata"]["attachment"]["file_id"] == file_id
    summary = step("description", chat.say(texts["description"]), ["/affirm"])
    summary_message = chat.message_with("/affirm")
    confirmed = step("confirm", chat.press("/affirm"))
    # a double tap on "send": the second press answers "already done" and stores nothing
    again = chat.press_stale(chat.press_update("/affirm", summary_message))
    check(_texts(again) == already_done(language), "second tap on send", "not 'already done'", again)

    found = REFERENCE.findall(_texts(confirmed) + _texts(summary))
    check(found, "confirm", "no reference AK-YYYY-NNNNNN in the replies", confirmed)
    if found:
        listing = subprocess.run(
            [sys.executable, "-m", "appeals", "list", "--json"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": database_url},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert listing.returncode == 0, listing.stderr
        rows = {row["reference"]: row for row in json.loads(listing.stdout)}
        mine = [r for r in rows.values() if r["conversation_id"] == str(user_id) and r["reference"] in found]
        check(len(mine) == 1, "appeals list", f"{len(mine)} appeals stored for one double-tapped send")
        row = rows.get(found[0])
        check(row, "appeals list", f"{found[0]} not in `python -m appeals list --json`")
        if row:
            check(row["conversation_id"] == str(user_id), "appeals list", "owner is not the Telegram user id")
            check("555123456" in re.sub(r"\D", "", row["phone"] or ""), "appeals list", "phone not stored")
            check(row["language"] == language, "appeals list", f"language {row['language']!r}")
            check(
                any(a.get("file_id") == file_id for a in row["attachments"]),
                "appeals list",
                f"the document is not attached (attachments: {row['attachments']})",
            )
    assert not problems, "\n".join(problems)


# =========================================================================================
# Polling mode: `python -m akyikatchy.telegram.polling_cli` (action server + Rasa) against a fake
# =========================================================================================
def test_polling_mode_through_the_cli(database_url, tmp_path):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` first")
    credentials = tmp_path / "credentials.yml"
    credentials.write_text(CHANNEL_CREDENTIALS, encoding="utf-8")
    log_path = tmp_path / "polling.log"
    update = text_update(user(950001, "ru"), "/start")
    with FakeTelegram() as fake, open(log_path, "wb") as log:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": database_url,
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "TELEGRAM_POLL_TIMEOUT": "1",
            "ACTION_PORT": str(free_port()),
            "RASA_PORT": str(free_port()),
        }
        env.pop("TELEGRAM_SECRET_TOKEN", None)  # polling needs only the token
        env.pop("TELEGRAM_POLLING", None)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "akyikatchy.telegram.polling_cli",
                "--credentials",
                str(credentials),
                "--action-log",
                str(tmp_path / "actions.log"),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 300
            while not fake.calls_since(0, "getUpdates"):
                assert process.poll() is None, log_path.read_text(errors="replace")[-3000:]
                assert time.monotonic() < deadline, "polling did not start"
                time.sleep(0.3)
            assert fake.calls_since(0, "deleteWebhook"), "deleteWebhook before polling"
            fake.queue_update(update)
            replies = fake.wait_for(lambda f: f.sent(950001), TURN_TIMEOUT)
            fake.wait_for(
                lambda f: any(
                    c.params.get("offset") == update["update_id"] + 1 for c in f.calls_since(0, "getUpdates")
                ),
                10,
            )
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        polls = len(fake.calls_since(0, "getUpdates"))
        time.sleep(2)
        assert len(fake.calls_since(0, "getUpdates")) == polls, "polling goes on after the server stopped"
    methods = fake.methods()
    assert methods.index("deleteWebhook") < methods.index("getUpdates")
    assert all(
        c.params.get("allowed_updates") == ["message", "callback_query"]
        for c in fake.calls_since(0, "getUpdates")
    )
    assert in_language(replies, "ru") and payloads(replies)
    text = log_path.read_text(encoding="utf-8", errors="replace")
    assert "long polling started" in text and "long polling stopped" in text
    assert fake.token not in text


@pytest.mark.parametrize("language", ["ky", "ru"])
def test_buttons_through_rasa_choice_marked_stale_presses_and_contact_keyboard(telegram_server, language):
    chat = Chat(telegram_server, 960001 if language == "ky" else 960002, language)
    fake = telegram_server.fake
    chat.say("/start")
    chat.say(APPEAL_TEXTS[language]["file"])
    consent = chat.message_with("/affirm")
    assert consent, "no consent keyboard"
    chat.press("/affirm", consent)
    marked = fake.message(chat.user_id, consent["message_id"])
    assert "reply_markup" not in marked and marked["text"].startswith(consent["text"])
    assert "\u2713" in marked["text"][len(consent["text"]) :]
    # the same consent button again (a double tap): "already done", in the conversation's language
    again = chat.press_stale(chat.press_update("/affirm", consent))
    assert _texts(again) == already_done(language)  # the conversation's language
    asked_phone = chat.say("Асанов Бакыт Маратович")
    assert contact_buttons(asked_phone)
    after_phone = chat.say("0555 12 34 56")  # typed, not shared: the keyboard must still go
    assert after_phone and after_phone[0].get("reply_markup") == {"remove_keyboard": True}, after_phone
    region = chat.message_with('/inform{"region":"bishkek"}')
    assert region and payloads([fake.message(chat.user_id, region["message_id"])]), "no region buttons"
    # an old consent button after the form moved on
    old = chat.press_stale(chat.press_update("/deny", consent))
    assert _texts(old) == already_done(language)
    chat.press('/inform{"region":"bishkek"}')  # the live keyboard still works
    assert telegram_server.user_events(str(chat.user_id))[-1]["text"] == '/inform{"region":"bishkek"}'


@pytest.mark.parametrize("text", ["+996 555 ABC 456", "'; DROP TABLE appeals; --", '{"a": 1}'])
def test_plain_ascii_keeps_a_russian_speakers_language(telegram_server, text):
    chat = Chat(telegram_server, 970001 + abs(hash(text)) % 1000, "ru")
    assert in_language(chat.say("Здравствуйте"), "ru")
    replies = chat.say(text)
    assert replies and in_language(replies, "ru"), _texts(replies)
