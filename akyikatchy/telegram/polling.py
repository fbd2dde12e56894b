"""Long polling inside the Rasa server (``TELEGRAM_POLLING=1``, ``make telegram``).

After the server starts: deleteWebhook, setMyCommands (the command menu per language,
:mod:`akyikatchy.telegram.commands`), then getUpdates with an offset until the server stops,
each poll bounded by ``TELEGRAM_POLL_TIMEOUT`` seconds.  Every update goes to the same handler
as a webhook request.  Network errors, conflicts and server errors back off
(doubling, at most ``MAX_POLL_BACKOFF`` seconds); a rejected token stops polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Optional

from telegram import Bot
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from akyikatchy.telegram.bot import describe_error, retry_after_seconds
from akyikatchy.telegram.commands import set_commands
from akyikatchy.telegram.settings import (
    ALLOWED_UPDATES,
    DEFAULT_POLL_TIMEOUT,
    ENV_POLLING,
    ENV_TOKEN,
)

logger = logging.getLogger(__name__)

MAX_POLL_BACKOFF = 30.0

OnUpdate = Callable[[Any], Any]  # gets each update's raw JSON


class Poller:
    """getUpdates in a background task; ``start`` and ``stop`` from the server's listeners."""

    def __init__(
        self,
        bot_provider: Callable[[], Optional[Bot]],
        token: Optional[str] = None,
        timeout: float = DEFAULT_POLL_TIMEOUT,
    ) -> None:
        self.bot_provider = bot_provider
        self.token = token
        self.timeout = max(0.0, timeout)
        self.task: Optional[asyncio.Task] = None
        # Set by the channel: waits while its bounded queue of accepted updates is full.
        self.wait_for_room: Optional[Callable[[], Awaitable[None]]] = None

    async def start(self, on_update: OnUpdate) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.poll(on_update))

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
            self.task = None

    async def poll(self, on_update: OnUpdate) -> None:
        """deleteWebhook, then getUpdates with an offset until cancelled."""
        bot = self.bot_provider()
        if bot is None:
            logger.error("Telegram: %s=1 but %s is not set; polling not started", ENV_POLLING, ENV_TOKEN)
            return
        try:
            await bot.delete_webhook(drop_pending_updates=False)
        except TelegramError as error:
            logger.warning("Telegram: deleteWebhook failed (%s)", describe_error(error, self.token))
        await set_commands(bot, self.token)  # the command menu, per language
        logger.info("Telegram: long polling started")
        try:
            await self._loop(bot, on_update)
        finally:
            logger.info("Telegram: long polling stopped")

    async def _loop(self, bot: Bot, on_update: OnUpdate) -> None:
        offset: Optional[int] = None
        backoff = 1.0
        while True:
            if self.wait_for_room is not None:
                await self.wait_for_room()  # the channel's bounded queue
            try:
                params: dict[str, Any] = {
                    "timeout": max(1, int(self.timeout)),
                    "allowed_updates": ALLOWED_UPDATES,
                }
                if offset is not None:
                    params["offset"] = offset
                updates = await bot.do_api_request(
                    "getUpdates", api_kwargs=params, read_timeout=max(1.0, self.timeout) + 10.0
                )
                backoff = 1.0
            except asyncio.CancelledError:
                raise
            except InvalidToken as error:
                logger.error(
                    "Telegram: polling stopped, token rejected (%s)", describe_error(error, self.token)
                )
                return
            except RetryAfter as error:
                await asyncio.sleep(min(max(retry_after_seconds(error), 1.0), MAX_POLL_BACKOFF))
                continue
            except Exception as error:  # noqa: BLE001 - Conflict, network, server errors
                level = logging.WARNING if isinstance(error, (Conflict, NetworkError)) else logging.ERROR
                logger.log(
                    level,
                    "Telegram: getUpdates failed (%s); retrying in %.0f s",
                    describe_error(error, self.token),
                    backoff,
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
                on_update(data)
