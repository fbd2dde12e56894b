"""Which of a chat's inline keyboards are still live, and whether the share-contact keyboard
must go: the channel decides a pressed button's fate here, before Rasa sees it.

A keyboard (the inline buttons of one bot message) is *live* from when it is sent until

* one of its buttons is pressed (the first press goes to Rasa; the message is then edited to
  show the choice with ✓ and loses its keyboard);
* a newer keyboard is sent in a later turn (keyboards sent while answering one update are one
  batch: all of them stay live);
* for an *answer* keyboard (yes/no, a region, a category, a field to correct: any payload that
  is not a menu command, :data:`MENU_INTENTS`), the user sends anything else, e.g. types the
  answer instead of pressing.

A press on a keyboard that is not live (a double tap on "send", an old consent button after the
form moved on, a button older than the latest keyboard) is *stale*: the channel answers
``utter_already_done`` and Rasa never sees it.  A chat the store knows nothing about (a new
process with the in-memory store) lets the press through, as before.

The share-contact reply keyboard: once the user answered after it was shown (typed a number or
shared the contact), the next message the bot sends removes it (``ReplyKeyboardRemove``).

Two stores behind one small interface, :class:`KeyboardState`: :class:`MemoryKeyboardState`
(per process, bounded) and :class:`RedisKeyboardState` (shared by every Rasa replica, atomic
on the press, so two replicas never both take the same press; entries expire).
"""

from __future__ import annotations

import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Optional, Protocol

logger = logging.getLogger(__name__)

LIVE, STALE, UNKNOWN = "live", "stale", "unknown"
# Payload intents that open something rather than answer the question just asked.
MENU_INTENTS = frozenset({"/file_appeal", "/check_appeal_status", "/help", "/switch_language", "/greet"})
MEMORY_CHATS = 100_000  # chats remembered by the in-memory store
REDIS_TTL = 30 * 24 * 3600  # seconds a chat's keyboard state is kept in Redis
REDIS_PREFIX = "akyikatchy:telegram:keyboards:"
REDIS_TIMEOUT = 2.0


def is_answer_payload(payload: str) -> bool:
    """True for a button that answers the question asked (not a menu command)."""
    head = payload.split("{", 1)[0].strip()
    return head not in MENU_INTENTS


class KeyboardState(Protocol):
    """Per chat: the live keyboards and the share-contact keyboard (async, never raises)."""

    async def inbound(self, chat_id: int, pressed: Optional[int]) -> str:
        """An update from the user is about to go to Rasa (``pressed``: the message id of the
        pressed button's message, None for anything typed or sent).  Returns LIVE, STALE or
        UNKNOWN for a press (LIVE for anything else); only a non-stale update changes state."""

    async def keyboard_sent(self, chat_id: int, message_id: int, answers: bool) -> None:
        """The bot sent ``message_id`` with an inline keyboard (``answers``: an answer keyboard)."""

    async def contact_sent(self, chat_id: int) -> None:
        """The bot showed the share-contact reply keyboard."""

    async def take_contact_removal(self, chat_id: int) -> bool:
        """True (once) when the bot's next message must remove the share-contact keyboard."""


# contact keyboard states
_NONE, _OPEN, _ANSWERED = 0, 1, 2


@dataclass
class _Chat:
    turn: int = 0
    batch_turn: int = -1
    live: dict[int, bool] = field(default_factory=dict)  # message_id -> answer keyboard
    contact: int = _NONE


class MemoryKeyboardState:
    """In one process; the last :data:`MEMORY_CHATS` chats (oldest forgotten first)."""

    def __init__(self, size: int = MEMORY_CHATS) -> None:
        self.size = size
        self._chats: OrderedDict[int, _Chat] = OrderedDict()

    def _get(self, chat_id: int, create: bool = True) -> Optional[_Chat]:
        chat = self._chats.get(chat_id)
        if chat is None and create:
            chat = self._chats[chat_id] = _Chat()
            if len(self._chats) > self.size:
                self._chats.popitem(last=False)
        elif chat is not None:
            self._chats.move_to_end(chat_id)
        return chat

    async def inbound(self, chat_id: int, pressed: Optional[int]) -> str:
        known = chat_id in self._chats
        chat = self._get(chat_id)
        verdict = LIVE
        if pressed is not None:
            if pressed in chat.live:
                del chat.live[pressed]
            elif known and chat.batch_turn >= 0:
                return STALE
            else:
                verdict = UNKNOWN
        else:
            chat.live = {m: answers for m, answers in chat.live.items() if not answers}
        chat.turn += 1
        if chat.contact == _OPEN:
            chat.contact = _ANSWERED
        return verdict

    async def keyboard_sent(self, chat_id: int, message_id: int, answers: bool) -> None:
        chat = self._get(chat_id)
        if chat.batch_turn != chat.turn:
            chat.live, chat.batch_turn = {}, chat.turn
        chat.live[message_id] = answers

    async def contact_sent(self, chat_id: int) -> None:
        self._get(chat_id).contact = _OPEN

    async def take_contact_removal(self, chat_id: int) -> bool:
        chat = self._get(chat_id, create=False)
        if chat is not None and chat.contact == _ANSWERED:
            chat.contact = _NONE
            return True
        return False


class RedisKeyboardState:
    """The same state in Redis (``redis.asyncio`` client), shared by every Rasa replica.

    Per chat two hashes: ``<prefix><chat>`` (turn, batch_turn, contact) and
    ``<prefix><chat>:live`` (message_id -> 1 for an answer keyboard, 0 for a menu).  Taking a
    press is one HDEL, so of two replicas handling a double tap only one gets LIVE.  Redis
    errors are logged and let the update through (UNKNOWN), as without a store.
    """

    def __init__(
        self, client: Any = None, prefix: str = REDIS_PREFIX, ttl: int = REDIS_TTL, settings: Any = None
    ):
        self._client = client
        self._settings = settings  # akyikatchy.service.settings.Redis: the client is made on first use
        self.prefix = prefix
        self.ttl = ttl

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._settings.async_client(REDIS_TIMEOUT)
        return self._client

    def _keys(self, chat_id: int) -> tuple[str, str]:
        base = f"{self.prefix}{chat_id}"
        return base, base + ":live"

    async def _touch(self, chat_id: int) -> None:
        base, live = self._keys(chat_id)
        pipe = self.client.pipeline()
        pipe.expire(base, self.ttl)
        pipe.expire(live, self.ttl)
        await pipe.execute()

    async def inbound(self, chat_id: int, pressed: Optional[int]) -> str:
        base, live = self._keys(chat_id)
        try:
            verdict = LIVE
            if pressed is not None:
                if await self.client.hdel(live, str(pressed)):
                    verdict = LIVE
                elif await self.client.hexists(base, "batch_turn"):
                    return STALE
                else:
                    verdict = UNKNOWN
            else:
                for message_id, answers in (await self.client.hgetall(live)).items():
                    if _text(answers) == "1":
                        await self.client.hdel(live, message_id)
            await self.client.hincrby(base, "turn", 1)
            # contact: open -> answered (a compare-and-set is enough: only this chat writes it)
            if _text(await self.client.hget(base, "contact")) == str(_OPEN):
                await self.client.hset(base, "contact", _ANSWERED)
            await self._touch(chat_id)
            return verdict
        except Exception as error:  # noqa: BLE001 - a store problem must not lose the update
            logger.warning(
                "Telegram: keyboard state unavailable (%s); update let through", type(error).__name__
            )
            return UNKNOWN

    @contextlib.asynccontextmanager
    async def _recording(self, chat_id: int) -> AsyncIterator[None]:
        """Around the record of what was sent: the chat's keys are touched after it, and a Redis
        failure is logged, never raised (the message is out already; its send must not fail)."""
        try:
            yield
            await self._touch(chat_id)
        except Exception as error:  # noqa: BLE001
            logger.warning("Telegram: keyboard state not recorded (%s)", type(error).__name__)

    async def keyboard_sent(self, chat_id: int, message_id: int, answers: bool) -> None:
        base, live = self._keys(chat_id)
        async with self._recording(chat_id):
            turn = _text(await self.client.hget(base, "turn")) or "0"
            if _text(await self.client.hget(base, "batch_turn")) != turn:
                pipe = self.client.pipeline()
                pipe.delete(live)
                pipe.hset(base, "batch_turn", turn)
                await pipe.execute()
            await self.client.hset(live, str(message_id), "1" if answers else "0")

    async def contact_sent(self, chat_id: int) -> None:
        base, _ = self._keys(chat_id)
        async with self._recording(chat_id):
            await self.client.hset(base, "contact", _OPEN)

    async def take_contact_removal(self, chat_id: int) -> bool:
        base, _ = self._keys(chat_id)
        try:
            if _text(await self.client.hget(base, "contact")) == str(_ANSWERED):
                await self.client.hset(base, "contact", _NONE)
                return True
        except Exception as error:  # noqa: BLE001
            logger.warning("Telegram: keyboard state unavailable (%s)", type(error).__name__)
        return False


def _text(value: Any) -> Optional[str]:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return None if value is None else str(value)


def keyboard_state_from_env() -> KeyboardState:
    """Redis when ``REDIS_HOST`` is set (the store the channel's de-duplication shares), else memory."""
    try:
        from akyikatchy.service.settings import KEY_PREFIX, Redis

        settings = Redis.from_env()
    except Exception:  # noqa: BLE001 - no shared store: per-process memory
        return MemoryKeyboardState()
    if settings is None:
        return MemoryKeyboardState()
    return RedisKeyboardState(settings=settings, prefix=f"{KEY_PREFIX}:telegram:keyboards:")
