"""Telegram channel for Rasa 3.6, built on python-telegram-bot 22.

Named in ``credentials.yml`` as ``akyikatchy.telegram_channel.TelegramInput`` (no secrets
there).  Everything secret or deployment-specific comes from environment variables:

``TELEGRAM_BOT_TOKEN``
    The bot's token.  Without it the channel stays registered but inert: the webhook answers
    503 (logged once) and nothing is sent.
``TELEGRAM_SECRET_TOKEN``
    Webhook mode: every request must carry it in ``X-Telegram-Bot-Api-Secret-Token``
    (compared in constant time); otherwise 403 and nothing is processed.  Unset means every
    webhook request is refused.  Register it with ``python -m akyikatchy.telegram_webhook``.
``TELEGRAM_API_BASE_URL``
    Bot API base, default ``https://api.telegram.org/bot`` (the tests point it to a fake).
``TELEGRAM_POLLING=1``
    Long polling inside the Rasa server (started after the server starts: deleteWebhook, then
    getUpdates with an offset; stopped when the server stops).  ``TELEGRAM_POLL_TIMEOUT``
    (seconds, default 25) bounds each long poll.

The webhook lives at ``/webhooks/telegram/webhook``.  It answers 200 at once and processes
the update in a background task, so a slow or failing update never makes Telegram redeliver
it; each ``update_id`` is processed at most once (remembered in memory, per process: the
last ``DEDUP_SIZE`` ids).  Updates of one user are processed in the order they arrived.

Only private chats are served; updates from groups, supergroups and channels are dropped
(logged at info level, nothing is sent to Rasa or to the chat).

What goes to Rasa (``sender_id`` is the Telegram user id; metadata always holds
``telegram_user_id``, ``language_code``, ``chat_type`` and ``update_id``):

* commands ``/start /help /language /cancel /status`` -> ``/greet /help /switch_language
  /cancel /check_appeal_status``; other text as typed;
* a pressed inline button -> its callback data (the button's payload); the callback query is
  always answered, so the spinner stops even if processing fails;
* a shared contact -> the phone number with a leading ``+`` (metadata ``contact: true`` when
  it is the user's own contact; someone else's contact goes like a typed number);
* a photo (largest size) or document -> ``/attachment`` with metadata ``attachment``
  (file_id, file_unique_id, name, mime_type, size, kind; a caption is ignored); the limits
  (10 files, 20 MB each) are enforced by the action server, which answers past them;
* anything else a user can send (sticker, voice, location, ...) -> ``/unsupported_message``.

What goes to Telegram: plain text (never a parse_mode, so user input cannot inject
formatting), split at ``MESSAGE_LIMIT`` on paragraph, line or word boundaries; Rasa buttons
become an inline keyboard on the same message (one row for up to 3 buttons, else one button
per row); a response with ``custom: {"request_contact": "<title>"}`` gets a one-time reply
keyboard with a single "share my contact" button (Telegram hides it once used).  Sends are
retried a bounded number of times (``SEND_RETRIES``) on network errors, timeouts and flood
control, then logged (no texts, names or phone numbers; the token masked) and dropped.

Nothing is sent to Telegram at start-up: the Bot object is created on first use.
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import json
import logging
import os
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBUserWarning

logger = logging.getLogger(__name__)

# httpx logs every request URL at INFO level, and Bot API URLs contain the bot token.
logging.getLogger("httpx").setLevel(logging.WARNING)
# getUpdates goes through do_api_request on purpose (raw JSON, so that one unparseable update
# is dropped alone instead of failing the whole batch); PTB warns about that.
warnings.filterwarnings(
    "ignore", message=r".*Bot\.getUpdates.*", category=PTBUserWarning
)

ENV_TOKEN = "TELEGRAM_BOT_TOKEN"
ENV_SECRET = "TELEGRAM_SECRET_TOKEN"
ENV_BASE_URL = "TELEGRAM_API_BASE_URL"
ENV_POLLING = "TELEGRAM_POLLING"
ENV_POLL_TIMEOUT = "TELEGRAM_POLL_TIMEOUT"
ENV_WEBHOOK_URL = "TELEGRAM_WEBHOOK_URL"

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/webhooks/telegram/webhook"
ALLOWED_UPDATES = ["message", "callback_query"]

MESSAGE_LIMIT = 4096            # Telegram's limit on a message's text (UTF-16 code units)
CALLBACK_DATA_LIMIT = 64        # bytes of callback_data
MAX_FILE_SIZE = 20 * 1024 * 1024  # enforced by the action server; documented here
MAX_BUTTONS_IN_ONE_ROW = 3
DEDUP_SIZE = 10_000
SEND_RETRIES = 3                # retries after the first attempt
RETRY_BASE_DELAY = 0.5          # seconds; doubles per retry
MAX_RETRY_AFTER = 5.0           # cap on Telegram's flood-control wait, seconds
DEFAULT_POLL_TIMEOUT = 25.0
MAX_POLL_BACKOFF = 30.0
MAX_CONCURRENT_UPDATES = 32
STOP_GRACE = 10.0               # seconds given to updates in progress when the server stops

COMMANDS = {
    "start": "/greet",
    "help": "/help",
    "language": "/switch_language",
    "cancel": "/cancel",
    "status": "/check_appeal_status",
}
ATTACHMENT_TEXT = "/attachment"
UNSUPPORTED_TEXT = "/unsupported_message"
PRIVATE = "private"

# Message fields that mean "the user sent something we do not handle".
_UNSUPPORTED_CONTENT = (
    "sticker", "voice", "audio", "video", "video_note", "animation", "location", "venue",
    "poll", "dice", "game", "story", "paid_media", "checklist", "invoice",
)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


# ---------------------------------------------------------------------------------------
# Configuration and small helpers
# ---------------------------------------------------------------------------------------
def file_base_url(base_url: str) -> str:
    """The file download base matching a Bot API base: .../bot -> .../file/bot."""
    base = base_url.rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("/bot")] + "/file/bot"
    return base + "/file/bot"


def make_bot(token: str, base_url: Optional[str] = None) -> Bot:
    """A python-telegram-bot ``Bot`` on ``base_url``; makes no request by itself."""
    base_url = base_url or DEFAULT_BASE_URL
    return Bot(
        token,
        base_url=base_url,
        base_file_url=file_base_url(base_url),
        request=HTTPXRequest(
            connection_pool_size=32, connect_timeout=5.0, read_timeout=10.0,
            write_timeout=10.0, pool_timeout=5.0,
        ),
        # get_updates adds its long-poll timeout to this read timeout
        get_updates_request=HTTPXRequest(
            connection_pool_size=1, connect_timeout=5.0, read_timeout=10.0,
            write_timeout=10.0, pool_timeout=5.0,
        ),
    )


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "") or default)
    except ValueError:
        return default


def retry_after_seconds(error: RetryAfter) -> float:
    """Telegram's flood-control wait in seconds (int or timedelta, by PTB version)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _seconds(error.retry_after)


def _seconds(value: Any) -> float:
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    try:
        return float(value)
    except (TypeError, ValueError):
        return 1.0


def describe_error(error: BaseException, token: Optional[str] = None) -> str:
    """Error class and message for a log line, the bot token masked."""
    text = f"{type(error).__name__}: {error}"
    if token:
        text = text.replace(token, "<token>")
    return text[:300]


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


def split_text(text: Optional[str], limit: int = MESSAGE_LIMIT) -> List[str]:
    """Cut ``text`` into chunks of at most ``limit`` (UTF-16 units, as Telegram counts).

    Cuts at the last paragraph break, else line break, else space, in the second half of the
    allowed window (falling back to any such boundary, then to a hard cut).
    """
    text = (text or "").strip()
    chunks: List[str] = []
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


def inline_keyboard(buttons: Optional[List[Dict[str, Any]]]) -> Optional[InlineKeyboardMarkup]:
    """Rasa buttons as an inline keyboard: one row for up to 3 buttons, else one per row."""
    made: List[InlineKeyboardButton] = []
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
                len(data.encode("utf-8")), CALLBACK_DATA_LIMIT,
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


# ---------------------------------------------------------------------------------------
# Update -> what Rasa gets
# ---------------------------------------------------------------------------------------
@dataclass
class Inbound:
    """What one Telegram update means for Rasa.

    ``text`` is None when nothing goes to Rasa; ``reason`` then says why (for the log).
    """

    update_id: int
    text: Optional[str] = None
    sender_id: Optional[str] = None
    chat_id: Optional[int] = None
    chat_type: Optional[str] = None
    metadata: Dict[str, Any] = field(default_factory=dict)
    callback_query_id: Optional[str] = None
    reason: Optional[str] = None


def command_text(text: str) -> str:
    """Map the bot's commands to Rasa payloads; any other text unchanged."""
    stripped = text.strip()
    if stripped.startswith("/"):
        head = stripped.split(maxsplit=1)[0][1:]
        command = head.split("@", 1)[0].lower()
        if command in COMMANDS:
            return COMMANDS[command]
    return text


def normalize_contact_phone(phone: str) -> str:
    phone = (phone or "").strip()
    if phone and not phone.startswith("+"):
        phone = "+" + phone
    return phone


def attachment_of(message: Any) -> Optional[Dict[str, Any]]:
    """The attachment metadata of a photo (largest size) or document message."""
    if message.photo:
        photo = max(
            message.photo,
            key=lambda p: (p.file_size or 0, (p.width or 0) * (p.height or 0)),
        )
        return {
            "file_id": photo.file_id,
            "file_unique_id": photo.file_unique_id,
            "name": None,
            "mime_type": "image/jpeg",
            "size": photo.file_size,
            "kind": "photo",
        }
    document = message.document
    if document is not None:
        return {
            "file_id": document.file_id,
            "file_unique_id": document.file_unique_id,
            "name": document.file_name,
            "mime_type": document.mime_type,
            "size": document.file_size,
            "kind": "document",
        }
    return None


def convert_update(update: Update) -> Inbound:
    """Turn a parsed Telegram update into the text and metadata Rasa gets (pure)."""
    inbound = Inbound(update_id=update.update_id)
    query = update.callback_query
    if query is not None:
        inbound.callback_query_id = query.id
        user = query.from_user
        chat = query.message.chat if query.message is not None else None
        message = None
    elif update.message is not None:
        message = update.message
        user = message.from_user
        chat = message.chat
    else:
        inbound.reason = "update type not handled"
        return inbound

    inbound.chat_id = chat.id if chat is not None else None
    inbound.chat_type = chat.type if chat is not None else None
    if chat is None or chat.type != PRIVATE:
        inbound.reason = f"not a private chat ({inbound.chat_type or 'unknown'})"
        return inbound
    if user is None or user.is_bot:
        inbound.reason = "no human sender"
        return inbound

    inbound.sender_id = str(user.id)
    inbound.metadata = {
        "telegram_user_id": user.id,
        "language_code": user.language_code,
        "chat_type": chat.type,
        "update_id": update.update_id,
    }

    if query is not None:
        if not query.data:
            inbound.reason = "callback query without data"
            return inbound
        inbound.text = query.data
        return inbound

    if message.text is not None:
        inbound.text = command_text(message.text)
        if not inbound.text.strip():
            inbound.text = None
            inbound.reason = "empty text"
    elif message.contact is not None:
        contact = message.contact
        inbound.text = normalize_contact_phone(contact.phone_number)
        if contact.user_id is not None and contact.user_id == user.id:
            inbound.metadata["contact"] = True
        if not inbound.text:
            inbound.text = None
            inbound.reason = "contact without phone number"
    elif message.photo or message.document is not None:
        inbound.text = ATTACHMENT_TEXT
        inbound.metadata["attachment"] = attachment_of(message)
    elif any(getattr(message, name, None) for name in _UNSUPPORTED_CONTENT):
        inbound.text = UNSUPPORTED_TEXT
    else:
        inbound.reason = "service message"
    return inbound


# ---------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------
class TelegramOutput(OutputChannel):
    """Sends Rasa's responses to a private Telegram chat (chat id = user id)."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    def __init__(self, bot_provider: Callable[[], Optional[Bot]], token: Optional[str] = None):
        self._bot_provider = bot_provider
        self._token = token

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
                    method, describe_error(error, self._token),
                )
                return None
            except NetworkError as error:  # includes TimedOut
                delay = RETRY_BASE_DELAY * 2 ** (attempt - 1)
                problem = describe_error(error, self._token)
            except TelegramError as error:
                logger.error(
                    "Telegram: %s failed, not retried (%s)",
                    method, describe_error(error, self._token),
                )
                return None
            if attempt == attempts:
                logger.error(
                    "Telegram: %s dropped after %d attempts (%s)", method, attempts, problem
                )
                return None
            logger.warning(
                "Telegram: %s attempt %d/%d failed (%s); retrying in %.1f s",
                method, attempt, attempts, problem, delay,
            )
            await asyncio.sleep(delay)
        return None

    @staticmethod
    def _chat_id(recipient_id: Text) -> Optional[int]:
        try:
            return int(str(recipient_id))
        except (TypeError, ValueError):
            logger.warning("Telegram: recipient is not a Telegram chat id; message dropped")
            return None

    async def send_text(self, recipient_id: Text, text: Optional[Text], reply_markup: Any = None) -> None:
        """Plain text (no parse mode), split at Telegram's limit; markup on the last part."""
        chat_id = self._chat_id(recipient_id)
        if chat_id is None:
            return
        chunks = split_text(text)
        if not chunks:
            if reply_markup is None:
                return
            chunks = ["\u2b07\ufe0f"]  # a keyboard needs some text to hang on
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            await self.call(
                "send_message",
                chat_id=chat_id,
                text=chunk,
                reply_markup=reply_markup if last else None,
            )

    # -- Rasa's OutputChannel API -------------------------------------------------------
    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
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

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_text(recipient_id, text)

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self.send_text(recipient_id, text, inline_keyboard(buttons))

    async def send_quick_replies(
        self, recipient_id: Text, text: Text, quick_replies: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self.send_text(recipient_id, text, inline_keyboard(quick_replies))

    async def send_custom_json(
        self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any
    ) -> None:
        title = _contact_title(json_message)
        if title:
            text = json_message.get("text") if isinstance(json_message.get("text"), str) else None
            await self.send_text(recipient_id, text or title, contact_keyboard(title))
        else:
            logger.debug("Telegram: custom payload without a known key ignored")

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        chat_id = self._chat_id(recipient_id)
        if chat_id is not None:
            await self.call("send_photo", chat_id=chat_id, photo=str(image))

    async def send_attachment(self, recipient_id: Text, attachment: Any, **kwargs: Any) -> None:
        if isinstance(attachment, str):
            await self.send_text(recipient_id, attachment)

    async def send_elements(self, recipient_id: Text, elements: Any, **kwargs: Any) -> None:
        for element in elements or []:
            if not isinstance(element, dict):
                continue
            title = " - ".join(
                str(element[k]) for k in ("title", "subtitle") if element.get(k)
            )
            await self.send_text(recipient_id, title, inline_keyboard(element.get("buttons")))

    async def answer_callback_query(self, callback_query_id: str) -> None:
        await self.call("answer_callback_query", callback_query_id=callback_query_id)


# ---------------------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------------------
class UpdateIds:
    """The last ``size`` update ids seen by this process (bounded, in memory)."""

    def __init__(self, size: int = DEDUP_SIZE) -> None:
        self.size = size
        self._seen: "OrderedDict[int, None]" = OrderedDict()

    def add(self, update_id: int) -> bool:
        """Record ``update_id``; False if it was already seen."""
        if update_id in self._seen:
            self._seen.move_to_end(update_id)
            return False
        self._seen[update_id] = None
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True

    def __contains__(self, update_id: int) -> bool:
        return update_id in self._seen

    def __len__(self) -> int:
        return len(self._seen)


class TelegramInput(InputChannel):
    """Telegram input channel: webhook (secret-checked) and optional long polling."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        secrets = {"access_token", "token", "bot_token", "secret_token", "secret", "verify"}
        if credentials and secrets & set(credentials):
            logger.warning(
                "Telegram: secrets in credentials.yml are ignored; use %s and %s",
                ENV_TOKEN, ENV_SECRET,
            )
        return cls(
            token=os.environ.get(ENV_TOKEN) or None,
            secret_token=os.environ.get(ENV_SECRET) or None,
            base_url=os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL,
            polling=_env_flag(ENV_POLLING),
            poll_timeout=_env_float(ENV_POLL_TIMEOUT, DEFAULT_POLL_TIMEOUT),
        )

    def __init__(
        self,
        token: Optional[str] = None,
        secret_token: Optional[str] = None,
        base_url: str = DEFAULT_BASE_URL,
        polling: bool = False,
        poll_timeout: float = DEFAULT_POLL_TIMEOUT,
    ) -> None:
        self.token = token
        self.secret_token = secret_token
        self.base_url = base_url
        self.polling = polling
        self.poll_timeout = max(0.0, poll_timeout)
        self.seen = UpdateIds()
        self._bot: Optional[Bot] = None
        self._output = TelegramOutput(self.get_bot, token)
        self._tasks: "set[asyncio.Task]" = set()
        self._tails: Dict[str, asyncio.Task] = {}  # last task per user, for ordering
        self._semaphore: Optional[asyncio.Semaphore] = None
        self._poller: Optional[asyncio.Task] = None
        self._logged_once: "set[str]" = set()

    # -- shared state -------------------------------------------------------------------
    def get_bot(self) -> Optional[Bot]:
        """The Bot, created on first use (inside the running loop); None without a token."""
        if not self.token:
            return None
        if self._bot is None:
            self._bot = make_bot(self.token, self.base_url)
        return self._bot

    def get_output_channel(self) -> TelegramOutput:
        return self._output

    def _log_once(self, key: str, level: int, message: str, *args: Any) -> None:
        if key not in self._logged_once:
            self._logged_once.add(key)
            logger.log(level, message, *args)

    def secret_ok(self, presented: Optional[str]) -> bool:
        """Constant-time check of the webhook secret header."""
        if not self.secret_token:
            self._log_once(
                "no-secret", logging.ERROR,
                "Telegram: %s is not set; every webhook request is refused", ENV_SECRET,
            )
            return False
        if presented is None:
            return False
        return hmac.compare_digest(
            presented.encode("utf-8"), self.secret_token.encode("utf-8")
        )

    # -- update handling (webhook and polling) ------------------------------------------
    def accept(self, data: Any, on_new_message: OnNewMessage) -> Optional[asyncio.Task]:
        """Parse one update, drop repeats, and process it in a background task.

        Returns the task, or None when the update was unparseable or already seen.  Updates
        of one user are processed one at a time in the order accepted here.
        """
        try:
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("no integer update_id")
            inbound = convert_update(Update.de_json(data, None))
        except Exception as error:  # noqa: BLE001 - anything unparseable is dropped
            logger.warning(
                "Telegram: unparseable update dropped (%s)", type(error).__name__
            )
            return None
        if not self.seen.add(inbound.update_id):
            logger.info("Telegram: update %d already processed; ignored", inbound.update_id)
            return None
        key = inbound.sender_id or f"chat:{inbound.chat_id}"
        previous = self._tails.get(key)
        task = asyncio.get_running_loop().create_task(
            self.process(inbound, on_new_message, previous)
        )
        self._tails[key] = task
        self._tasks.add(task)

        def done(finished: asyncio.Task) -> None:
            self._tasks.discard(finished)
            if self._tails.get(key) is finished:
                del self._tails[key]

        task.add_done_callback(done)
        return task

    async def process(
        self,
        inbound: Inbound,
        on_new_message: OnNewMessage,
        previous: Optional[asyncio.Future] = None,
    ) -> None:
        """Hand one update to Rasa. Never raises: errors are logged without personal data."""
        if inbound.callback_query_id:
            # First, so the button's spinner stops whatever happens next.
            await self._output.answer_callback_query(inbound.callback_query_id)
        if previous is not None and not previous.done():
            await asyncio.wait([previous])  # the same user's earlier update goes first
        if inbound.text is None:
            logger.info("Telegram: update %d ignored: %s", inbound.update_id, inbound.reason)
            return
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(MAX_CONCURRENT_UPDATES)
        try:
            async with self._semaphore:
                await self._typing(inbound.chat_id)
                await on_new_message(
                    UserMessage(
                        inbound.text,
                        self._output,
                        inbound.sender_id,
                        input_channel=self.name(),
                        message_id=f"tg-{inbound.update_id}",
                        metadata=inbound.metadata,
                    )
                )
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - one bad update must not stop others
            logger.error(
                "Telegram: update %d failed in processing (%s)",
                inbound.update_id, type(error).__name__,
            )
            logger.debug("Telegram: processing error", exc_info=True)

    async def _typing(self, chat_id: Optional[int]) -> None:
        """Best effort "typing..." while Rasa works; never delays an update by more than 2 s."""
        bot = self.get_bot()
        if bot is None or chat_id is None:
            return
        with contextlib.suppress(Exception):
            await asyncio.wait_for(bot.send_chat_action(chat_id=chat_id, action="typing"), 2.0)

    async def drain(self, timeout: float = STOP_GRACE) -> None:
        """Wait for updates in progress (bounded), then cancel what is left."""
        pending = [t for t in self._tasks if not t.done()]
        if not pending:
            return
        _, still = await asyncio.wait(pending, timeout=timeout)
        for task in still:
            task.cancel()
        if still:
            await asyncio.gather(*still, return_exceptions=True)

    # -- long polling -------------------------------------------------------------------
    async def poll(self, on_new_message: OnNewMessage) -> None:
        """deleteWebhook, then getUpdates with an offset until cancelled."""
        bot = self.get_bot()
        if bot is None:
            logger.error("Telegram: %s=1 but %s is not set; polling not started", ENV_POLLING, ENV_TOKEN)
            return
        try:
            await bot.delete_webhook(drop_pending_updates=False)
        except TelegramError as error:
            logger.warning("Telegram: deleteWebhook failed (%s)", describe_error(error, self.token))
        logger.info("Telegram: long polling started")
        try:
            await self._poll_loop(bot, on_new_message)
        finally:
            logger.info("Telegram: long polling stopped")

    async def _poll_loop(self, bot: Bot, on_new_message: OnNewMessage) -> None:
        offset: Optional[int] = None
        backoff = 1.0
        while True:
            try:
                params: Dict[str, Any] = {
                    "timeout": max(1, int(self.poll_timeout)),
                    "allowed_updates": ALLOWED_UPDATES,
                }
                if offset is not None:
                    params["offset"] = offset
                updates = await bot.do_api_request(
                    "getUpdates", api_kwargs=params, read_timeout=max(1.0, self.poll_timeout) + 10.0,
                )
                backoff = 1.0
            except asyncio.CancelledError:
                raise
            except InvalidToken as error:
                logger.error(
                    "Telegram: polling stopped, token rejected (%s)",
                    describe_error(error, self.token),
                )
                return
            except RetryAfter as error:
                await asyncio.sleep(min(max(retry_after_seconds(error), 1.0), MAX_POLL_BACKOFF))
                continue
            except Exception as error:  # noqa: BLE001 - Conflict, network, server errors
                level = logging.WARNING if isinstance(error, (Conflict, NetworkError)) else logging.ERROR
                logger.log(
                    level, "Telegram: getUpdates failed (%s); retrying in %.0f s",
                    describe_error(error, self.token), backoff,
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_POLL_BACKOFF)
                continue
            if not isinstance(updates, list):
                continue
            for data in updates:
                update_id = data.get("update_id") if isinstance(data, dict) else None
                if isinstance(update_id, int):
                    offset = max(offset or 0, update_id + 1)
                self.accept(data, on_new_message)

    async def start_polling(self, on_new_message: OnNewMessage) -> None:
        if self._poller is None or self._poller.done():
            self._poller = asyncio.get_running_loop().create_task(self.poll(on_new_message))

    async def stop(self) -> None:
        """Stop polling, let updates in progress finish (bounded), close the HTTP clients."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._poller
            self._poller = None
        await self.drain()
        if self._bot is not None:
            with contextlib.suppress(Exception):
                await self._bot.shutdown()
            self._bot = None

    # -- webhook -------------------------------------------------------------------------
    def handle_webhook(
        self, secret_header: Optional[str], body: Optional[bytes], on_new_message: OnNewMessage
    ) -> Tuple[int, Dict[str, Any]]:
        """Status and JSON body for one webhook request; schedules the update's processing.

        503 without a bot token (logged once), 403 without the right secret (nothing is
        parsed), otherwise 200 at once, also for an unparseable update (logged and dropped,
        so that Telegram does not redeliver it forever).
        """
        if not self.token:
            self._log_once(
                "no-token", logging.ERROR,
                "Telegram: %s is not set; webhook answers 503", ENV_TOKEN,
            )
            return 503, {"error": "telegram channel not configured"}
        if not self.secret_ok(secret_header):
            logger.warning("Telegram: webhook request without a valid secret token refused")
            return 403, {"error": "forbidden"}
        try:
            data = json.loads(body or b"")
        except (ValueError, UnicodeDecodeError):
            data = None
        self.accept(data, on_new_message)
        return 200, {"ok": True}

    # -- Sanic ---------------------------------------------------------------------------
    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        telegram_webhook = Blueprint("akyikatchy_telegram", __name__)

        @telegram_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            status, body = self.handle_webhook(
                request.headers.get(SECRET_HEADER), request.body, on_new_message
            )
            return response.json(body, status=status)

        @telegram_webhook.listener("after_server_start")
        async def start(app: Any, loop: Any) -> None:
            if self.polling:
                await self.start_polling(on_new_message)

        @telegram_webhook.listener("before_server_stop")
        async def stop(app: Any, loop: Any) -> None:
            await self.stop()

        return telegram_webhook
