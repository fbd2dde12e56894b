"""Handing updates to Rasa: each ``update_id`` once, one user's updates in arrival order.

Webhook and polling feed the same :class:`Dispatcher`.  It parses an update, drops repeats
(remembered in memory, per process: the last ``DEDUP_SIZE`` ids; and, with Redis, claimed
once across every replica: :mod:`akyikatchy.telegram.shared_ids`), and processes it in a
background task, so the webhook can answer 200 at once and a slow or failing update never
makes Telegram redeliver it.  A user's update waits for that user's previous one; at most
``MAX_CONCURRENT_UPDATES`` are inside Rasa at a time.  Errors are logged without personal
data and never stop other updates.

Never dropped: at most ``MAX_PENDING_UPDATES`` (env ``TELEGRAM_MAX_PENDING``) accepted
updates wait or run at a time; beyond that :attr:`Dispatcher.full` is true and the webhook
answers 503, so Telegram delivers the update again later.  On a graceful stop every accepted
update is processed (:meth:`Dispatcher.drain`, up to ``STOP_GRACE`` seconds, env
``TELEGRAM_STOP_GRACE``); the counts drained and, if any, abandoned are logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Optional

from rasa.core.channels.channel import UserMessage
from telegram import Bot, Update

from akyikatchy.telegram.sending import TelegramOutput
from akyikatchy.telegram.settings import env_float
from akyikatchy.telegram.shared_ids import SharedUpdateIds
from akyikatchy.telegram.updates import Inbound, convert_update

logger = logging.getLogger(__name__)

DEDUP_SIZE = 10_000
MAX_CONCURRENT_UPDATES = 32
MAX_PENDING_UPDATES = int(env_float("TELEGRAM_MAX_PENDING", 256))
STOP_GRACE = env_float("TELEGRAM_STOP_GRACE", 60.0)  # seconds to finish accepted updates at stop
TYPING_TIMEOUT = 2.0  # the "typing..." action never delays an update by more than this

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class UpdateIds:
    """The last ``size`` update ids seen by this process (bounded, in memory)."""

    def __init__(self, size: int = DEDUP_SIZE) -> None:
        self.size = size
        self._seen: OrderedDict[int, None] = OrderedDict()

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


class Dispatcher:
    """Turns raw update JSON into Rasa ``UserMessage``s, once each and in order per user."""

    def __init__(
        self,
        channel_name: str,
        output: TelegramOutput,
        bot_provider: Callable[[], Optional[Bot]],
        shared: Optional[SharedUpdateIds] = None,
        max_pending: int = MAX_PENDING_UPDATES,
    ) -> None:
        self.channel_name = channel_name
        self.output = output
        self.bot_provider = bot_provider
        self.seen = UpdateIds()
        self.shared = shared or SharedUpdateIds()
        self.max_pending = max_pending
        self.counts = {"accepted": 0, "processed": 0, "duplicates": 0, "refused_full": 0, "failed": 0}
        self._tasks: set[asyncio.Task] = set()
        self._tails: dict[str, asyncio.Task] = {}  # last task per user, for ordering
        self._semaphore: Optional[asyncio.Semaphore] = None

    def accept(self, data: Any, on_new_message: OnNewMessage) -> Optional[asyncio.Task]:
        """Parse one update, drop repeats, and process it in a background task.

        Returns the task, or None when the update was unparseable or already seen.  Updates
        of one user are processed one at a time in the order accepted here.  The caller
        checks :attr:`full` first (the webhook answers 503 then).
        """
        try:
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("no integer update_id")
            inbound = convert_update(Update.de_json(data, None))
        except Exception as error:  # noqa: BLE001 - anything unparseable is dropped
            logger.warning("Telegram: unparseable update dropped (%s)", type(error).__name__)
            return None
        if not self.seen.add(inbound.update_id):
            logger.info("Telegram: update %d already processed; ignored", inbound.update_id)
            self.counts["duplicates"] += 1
            return None
        self.counts["accepted"] += 1
        key = inbound.sender_id or f"chat:{inbound.chat_id}"
        previous = self._tails.get(key)
        task = asyncio.get_running_loop().create_task(self.process(inbound, on_new_message, previous))
        self._tails[key] = task
        self._tasks.add(task)

        def done(finished: asyncio.Task) -> None:
            self._tasks.discard(finished)
            if self._tails.get(key) is finished:
                del self._tails[key]

        task.add_done_callback(done)
        return task

    @property
    def pending(self) -> int:
        return sum(1 for task in self._tasks if not task.done())

    @property
    def full(self) -> bool:
        """No room for another update: the webhook answers 503 and Telegram retries."""
        if self.pending >= self.max_pending:
            self.counts["refused_full"] += 1
            if self.counts["refused_full"] in (1, 10, 100) or self.counts["refused_full"] % 1000 == 0:
                logger.warning(
                    "Telegram: %d updates pending; refused with 503 (%d so far)",
                    self.pending,
                    self.counts["refused_full"],
                )
            return True
        return False

    async def process(
        self,
        inbound: Inbound,
        on_new_message: OnNewMessage,
        previous: Optional[asyncio.Future] = None,
    ) -> None:
        """Hand one update to Rasa. Never raises: errors are logged without personal data."""
        if not await self.shared.claim(inbound.update_id):
            logger.info("Telegram: update %d taken by another replica; ignored", inbound.update_id)
            self.counts["duplicates"] += 1
            if previous is not None and not previous.done():
                await asyncio.wait([previous])
            return
        if inbound.callback_query_id:
            # First, so the button's spinner stops whatever happens next.
            await self.output.answer_callback_query(inbound.callback_query_id)
        if previous is not None and not previous.done():
            await asyncio.wait([previous])  # the same user's earlier update goes first
        if inbound.text is None:
            logger.info("Telegram: update %d ignored: %s", inbound.update_id, inbound.reason)
            return
        if not await self.output.admit(inbound):
            return  # a stale button press, answered "already done" (sending.TelegramOutput.admit)
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(MAX_CONCURRENT_UPDATES)
        try:
            async with self._semaphore:
                await self._typing(inbound.chat_id)
                await on_new_message(
                    UserMessage(
                        inbound.text,
                        self.output,
                        inbound.sender_id,
                        input_channel=self.channel_name,
                        message_id=f"tg-{inbound.update_id}",
                        metadata=inbound.metadata,
                    )
                )
            self.counts["processed"] += 1
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - one bad update must not stop others
            self.counts["failed"] += 1
            logger.error(
                "Telegram: update %d failed in processing (%s)", inbound.update_id, type(error).__name__
            )
            logger.debug("Telegram: processing error", exc_info=True)

    async def _typing(self, chat_id: Optional[int]) -> None:
        """Best effort "typing..." while Rasa works."""
        bot = self.bot_provider()
        if bot is None or chat_id is None:
            return
        with contextlib.suppress(Exception):
            await asyncio.wait_for(bot.send_chat_action(chat_id=chat_id, action="typing"), TYPING_TIMEOUT)

    async def drain(self, timeout: float = STOP_GRACE) -> None:
        """Process every accepted update (bounded by ``timeout``), then cancel what is left."""
        pending = [t for t in self._tasks if not t.done()]
        if pending:
            logger.info("Telegram: finishing %d accepted updates before stopping", len(pending))
            _, still = await asyncio.wait(pending, timeout=timeout)
            for task in still:
                task.cancel()
            if still:
                await asyncio.gather(*still, return_exceptions=True)
                logger.error(
                    "Telegram: %d accepted updates abandoned after %.0f s at stop", len(still), timeout
                )
        logger.info("Telegram: update counts %s", self.counts)
