"""Sending Rasa's responses to Telegram: plain text split at 4096, keyboards, retries.

Plain text only (never a parse_mode, so user input cannot inject formatting), split at
``MESSAGE_LIMIT`` on paragraph, line or word boundaries; Rasa buttons become an inline
keyboard on the same message (one row for up to 3 buttons, else one button per row); a
response with ``custom: {"request_contact": "<title>"}`` gets a one-time reply keyboard with a
single "share my contact" button (Telegram hides it once used).  Sends are retried a bounded
number of times (``SEND_RETRIES``) on network errors, timeouts and flood control, then logged
(no texts, names or phone numbers; the token masked) and dropped.

Buttons (:mod:`akyikatchy.telegram.keyboards` keeps the state): every inline keyboard sent is
recorded; :meth:`TelegramOutput.admit` decides for each update before Rasa sees it.  The first
press of a live keyboard goes on to Rasa, and its message is edited to show the choice
(``✓ <title>``, keyboard removed); a stale or repeated press is answered with
``utter_already_done`` in the conversation's language and goes no further.  Once the user
answered after the share-contact keyboard, the bot's next message removes it
(``ReplyKeyboardRemove``; when that message carries an inline keyboard, the keyboard is added by
editing the message, or, should that fail, sent on a message of its own).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Optional

from rasa.core.channels.channel import OutputChannel
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError

from akyikatchy.telegram.bot import describe_error, retry_after_seconds
from akyikatchy.telegram.keyboards import KeyboardState, is_answer_payload, keyboard_state_from_env
from akyikatchy.telegram.presses import PressHandling
from akyikatchy.telegram.settings import CALLBACK_DATA_LIMIT, ENV_TOKEN, MESSAGE_LIMIT

logger = logging.getLogger(__name__)

MAX_BUTTONS_IN_ONE_ROW = 3
SEND_RETRIES = 3  # retries after the first attempt
RETRY_BASE_DELAY = 0.5  # seconds; doubles per retry
MAX_RETRY_AFTER = 5.0  # cap on Telegram's flood-control wait, seconds
KEYBOARD_ONLY_TEXT = "\u2b07\ufe0f"  # a keyboard needs some text to hang on


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int) -> int:
    """The largest n such that text[:n] is at most ``limit`` UTF-16 code units."""
    n = min(len(text), limit)
    if _utf16_len(text[:n]) <= limit:
        return n
    low, high = 0, n
    while low < high:
        mid = (low + high + 1) // 2
        if _utf16_len(text[:mid]) <= limit:
            low = mid
        else:
            high = mid - 1
    return low


def split_text(text: Optional[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Cut ``text`` into chunks of at most ``limit`` (UTF-16 units, as Telegram counts).

    Cuts at the last paragraph break, else line break, else space, in the second half of the
    allowed window (falling back to any such boundary, then to a hard cut).
    """
    text = (text or "").strip()
    chunks: list[str] = []
    while text and _utf16_len(text) > limit:
        window = _fit(text, limit)
        cut = 0
        for separator in ("\n\n", "\n", " "):
            position = text.rfind(separator, 0, window)
            if position >= window // 2:
                cut = position
                break
        if cut <= 0:
            cut = max(text.rfind(s, 0, window) for s in ("\n\n", "\n", " "))
        if cut <= 0:
            cut = window
        chunk = text[:cut].rstrip()
        if chunk:
            chunks.append(chunk)
        text = text[cut:].lstrip()
    if text:
        chunks.append(text)
    return chunks


def inline_keyboard(buttons: Optional[list[dict[str, Any]]]) -> Optional[InlineKeyboardMarkup]:
    """Rasa buttons as an inline keyboard: one row for up to 3 buttons, else one per row."""
    made: list[InlineKeyboardButton] = []
    for button in buttons or []:
        if not isinstance(button, dict):
            continue
        title = str(button.get("title") or "").strip()
        url = button.get("url")
        payload = button.get("payload")
        if url and (button.get("type") == "web_url" or payload is None):
            made.append(InlineKeyboardButton(title or str(url), url=str(url)))
            continue
        if payload is None:
            payload = title
        data = str(payload)
        if not data:
            continue
        if len(data.encode("utf-8")) > CALLBACK_DATA_LIMIT:
            logger.warning(
                "Telegram: button payload of %d bytes exceeds %d bytes; button skipped",
                len(data.encode("utf-8")),
                CALLBACK_DATA_LIMIT,
            )
            continue
        made.append(InlineKeyboardButton(title or data, callback_data=data))
    if not made:
        return None
    if len(made) > MAX_BUTTONS_IN_ONE_ROW:
        return InlineKeyboardMarkup([[b] for b in made])
    return InlineKeyboardMarkup([made])


def contact_keyboard(title: str) -> ReplyKeyboardMarkup:
    """A one-time reply keyboard with a single "share my phone number" button."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(title, request_contact=True)]],
        one_time_keyboard=True,
        resize_keyboard=True,
    )


def _contact_title(custom: Any) -> Optional[str]:
    if isinstance(custom, dict):
        title = custom.get("request_contact")
        if isinstance(title, str) and title.strip():
            return title.strip()
    return None


def callback_payloads(markup: Any) -> list[str]:
    """The callback data of an inline keyboard's buttons."""
    if not isinstance(markup, InlineKeyboardMarkup):
        return []
    return [
        b.callback_data for row in markup.inline_keyboard for b in row if isinstance(b.callback_data, str)
    ]


class TelegramOutput(PressHandling, OutputChannel):
    """Sends Rasa's responses to a private Telegram chat (chat id = user id)."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(
        self,
        bot_provider: Callable[[], Optional[Bot]],
        token: Optional[str] = None,
        keyboards: Optional[KeyboardState] = None,
    ):
        self._bot_provider = bot_provider
        self._token = token
        self.keyboards: KeyboardState = keyboards or keyboard_state_from_env()
        # Set by the channel when the Rasa server starts: the conversation's language and the
        # model's responses for the texts the channel sends itself.
        self.agent_provider: Optional[Callable[[], Any]] = None

    # -- low level ----------------------------------------------------------------------
    async def call(self, method: str, **params: Any) -> Any:
        """Call a Bot method; retry network errors, timeouts and flood control, then drop.

        Never raises for Telegram errors: returns None when the call did not succeed.
        """
        bot = self._bot_provider()
        if bot is None:
            logger.error("Telegram: %s not set; %s dropped", ENV_TOKEN, method)
            return None
        attempts = 1 + SEND_RETRIES
        for attempt in range(1, attempts + 1):
            try:
                return await getattr(bot, method)(**params)
            except RetryAfter as error:
                delay = min(max(retry_after_seconds(error), 0.0), MAX_RETRY_AFTER)
                problem = "flood control"
            except (BadRequest, Forbidden, InvalidToken) as error:
                logger.error(
                    "Telegram: %s failed, not retried (%s)",
                    method,
                    describe_error(error, self._token),
                )
                return None
            except NetworkError as error:  # includes TimedOut
                delay = RETRY_BASE_DELAY * 2 ** (attempt - 1)
                problem = describe_error(error, self._token)
            except TelegramError as error:
                logger.error(
                    "Telegram: %s failed, not retried (%s)",
                    method,
                    describe_error(error, self._token),
                )
                return None
            if attempt == attempts:
                logger.error("Telegram: %s dropped after %d attempts (%s)", method, attempts, problem)
                return None
            logger.warning(
                "Telegram: %s attempt %d/%d failed (%s); retrying in %.1f s",
                method,
                attempt,
                attempts,
                problem,
                delay,
            )
            await asyncio.sleep(delay)
        return None

    @staticmethod
    def _chat_id(recipient_id: str) -> Optional[int]:
        try:
            return int(str(recipient_id))
        except (TypeError, ValueError):
            logger.warning("Telegram: recipient is not a Telegram chat id; message dropped")
            return None

    async def send_text(self, recipient_id: str, text: Optional[str], reply_markup: Any = None) -> None:
        """Plain text (no parse mode), split at Telegram's limit; markup on the last part.

        Records an inline keyboard sent, and removes the share-contact keyboard when due.
        """
        chat_id = self._chat_id(recipient_id)
        if chat_id is None:
            return
        chunks = split_text(text)
        if not chunks:
            if reply_markup is None:
                return
            chunks = [KEYBOARD_ONLY_TEXT]
        remove_contact = not isinstance(reply_markup, ReplyKeyboardMarkup) and (
            await self.keyboards.take_contact_removal(chat_id)
        )
        inline_later = None
        if remove_contact:
            if reply_markup is None:
                reply_markup = ReplyKeyboardRemove()
            elif len(chunks) == 1:
                # One message cannot carry both: remove first, add the inline keyboard by an edit.
                inline_later, reply_markup = reply_markup, ReplyKeyboardRemove()
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            markup = reply_markup if last else None
            if index == 0 and remove_contact and len(chunks) > 1:
                markup = ReplyKeyboardRemove()
            sent = await self.call("send_message", chat_id=chat_id, text=chunk, reply_markup=markup)
            if last and inline_later is not None:
                edited = None
                if sent is not None:
                    edited = await self.call(
                        "edit_message_reply_markup",
                        chat_id=chat_id,
                        message_id=sent.message_id,
                        reply_markup=inline_later,
                    )
                if edited is None:
                    sent = await self.call(
                        "send_message", chat_id=chat_id, text=KEYBOARD_ONLY_TEXT, reply_markup=inline_later
                    )
                markup = inline_later
            if last and sent is not None:
                await self._record(chat_id, sent, markup)

    async def _record(self, chat_id: int, sent: Any, markup: Any) -> None:
        payloads = callback_payloads(markup)
        if payloads and getattr(sent, "message_id", None):
            answers = any(is_answer_payload(p) for p in payloads)
            await self.keyboards.keyboard_sent(chat_id, sent.message_id, answers)
        elif isinstance(markup, ReplyKeyboardMarkup):
            await self.keyboards.contact_sent(chat_id)

    # -- Rasa's OutputChannel API -------------------------------------------------------
    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        message = dict(message)
        text = message.get("text")
        buttons = message.get("buttons") or message.get("quick_replies")
        custom = message.get("custom")
        contact_title = _contact_title(custom)

        markup = inline_keyboard(buttons) if buttons else None
        if contact_title and markup is None:
            await self.send_text(recipient_id, text or contact_title, contact_keyboard(contact_title))
        else:
            if text or markup is not None:
                await self.send_text(recipient_id, text, markup)
            if contact_title:
                await self.send_text(recipient_id, contact_title, contact_keyboard(contact_title))
        if custom and not contact_title:
            await self.send_custom_json(recipient_id, custom)
        if message.get("image"):
            await self.send_image_url(recipient_id, message["image"])
        if message.get("attachment"):
            await self.send_attachment(recipient_id, message["attachment"])
        if message.get("elements"):
            await self.send_elements(recipient_id, message["elements"])

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_text(recipient_id, text)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text(recipient_id, text, inline_keyboard(buttons))

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text(recipient_id, text, inline_keyboard(quick_replies))

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        title = _contact_title(json_message)
        if title:
            text = json_message.get("text") if isinstance(json_message.get("text"), str) else None
            await self.send_text(recipient_id, text or title, contact_keyboard(title))
        else:
            logger.debug("Telegram: custom payload without a known key ignored")

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        chat_id = self._chat_id(recipient_id)
        if chat_id is not None:
            await self.call("send_photo", chat_id=chat_id, photo=str(image))

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        if isinstance(attachment, str):
            await self.send_text(recipient_id, attachment)

    async def send_elements(self, recipient_id: str, elements: Any, **kwargs: Any) -> None:
        for element in elements or []:
            if not isinstance(element, dict):
                continue
            title = " - ".join(str(element[k]) for k in ("title", "subtitle") if element.get(k))
            await self.send_text(recipient_id, title, inline_keyboard(element.get("buttons")))

    async def answer_callback_query(self, callback_query_id: str) -> None:
        await self.call("answer_callback_query", callback_query_id=callback_query_id)
