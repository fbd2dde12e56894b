"""The Telegram input channel Rasa loads: ``akyikatchy.telegram.channel.TelegramInput``.

Named in ``credentials.yml`` without any setting: everything comes from the environment
(:mod:`akyikatchy.telegram.settings`).  The webhook lives at ``/webhooks/telegram/webhook``:

* no ``TELEGRAM_BOT_TOKEN``: the channel stays registered but inert, the webhook answers 503
  (logged once) and nothing is sent;
* every request must carry ``TELEGRAM_SECRET_TOKEN`` in ``X-Telegram-Bot-Api-Secret-Token``
  (compared in constant time); otherwise 403 and nothing is parsed.  Unset means every
  request is refused.  Register it with ``python -m akyikatchy.telegram.webhook_cli``;
* when ``TELEGRAM_MAX_PENDING`` accepted updates are still waiting or running: 503, nothing
  is recorded, and Telegram delivers the update again later;
* otherwise 200 at once, also for an unparseable update (logged and dropped, so that
  Telegram does not redeliver it forever); the update is processed in the background
  (:mod:`akyikatchy.telegram.dispatch`), once across replicas when Redis is configured, and
  every accepted update is processed before the server stops.

With ``TELEGRAM_POLLING=1`` the channel also long-polls (:mod:`akyikatchy.telegram.polling`)
from server start to server stop.  Nothing is sent to Telegram at start-up: the Bot object
is created on first use.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from typing import Any, Optional

from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot

from akyikatchy.telegram.bot import make_bot
from akyikatchy.telegram.dispatch import STOP_GRACE, Dispatcher, OnNewMessage, UpdateIds
from akyikatchy.telegram.polling import Poller
from akyikatchy.telegram.sending import TelegramOutput
from akyikatchy.telegram.settings import (
    DEFAULT_BASE_URL,
    DEFAULT_POLL_TIMEOUT,
    ENV_SECRET,
    ENV_TOKEN,
    SECRET_HEADER,
    Settings,
)
from akyikatchy.telegram.shared_ids import SharedUpdateIds

logger = logging.getLogger(__name__)

# Keys that would be secrets if someone put them in credentials.yml.
_SECRET_KEYS = {"access_token", "token", "bot_token", "secret_token", "secret", "verify"}


class TelegramInput(InputChannel):
    """Telegram input channel: webhook (secret-checked) and optional long polling."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> InputChannel:
        if credentials and _SECRET_KEYS & set(credentials):
            logger.warning(
                "Telegram: secrets in credentials.yml are ignored; use %s and %s", ENV_TOKEN, ENV_SECRET
            )
        settings = Settings.from_env()
        return cls(
            token=settings.token,
            secret_token=settings.secret_token,
            base_url=settings.base_url,
            polling=settings.polling,
            poll_timeout=settings.poll_timeout,
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
        self._bot: Optional[Bot] = None
        self._output = TelegramOutput(self.get_bot, token)
        self.dispatcher = Dispatcher(
            self.name(), self._output, self.get_bot, shared=SharedUpdateIds.from_env(token)
        )
        self.poller = Poller(self.get_bot, token, poll_timeout)
        self._logged_once: set[str] = set()

    @property
    def seen(self) -> UpdateIds:
        return self.dispatcher.seen

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
                "no-secret",
                logging.ERROR,
                "Telegram: %s is not set; every webhook request is refused",
                ENV_SECRET,
            )
            return False
        if presented is None:
            return False
        return hmac.compare_digest(presented.encode("utf-8"), self.secret_token.encode("utf-8"))

    # -- updates (webhook and polling) ---------------------------------------------------
    def accept(self, data: Any, on_new_message: OnNewMessage) -> Optional[asyncio.Task]:
        """See :meth:`Dispatcher.accept`."""
        return self.dispatcher.accept(data, on_new_message)

    async def drain(self, timeout: float = STOP_GRACE) -> None:
        await self.dispatcher.drain(timeout)

    async def start_polling(self, on_new_message: OnNewMessage) -> None:
        self.poller.wait_for_room = self._wait_for_room
        await self.poller.start(lambda data: self.accept(data, on_new_message))

    async def _wait_for_room(self) -> None:
        """Polling asks Telegram for more only when the bounded queue has room."""
        while self.dispatcher.pending >= self.dispatcher.max_pending:
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        """Stop polling, let updates in progress finish (bounded), close the HTTP clients."""
        await self.poller.stop()
        await self.drain()
        await self.dispatcher.shared.close()
        if self._bot is not None:
            with contextlib.suppress(Exception):
                await self._bot.shutdown()
            self._bot = None

    def handle_webhook(
        self, secret_header: Optional[str], body: Optional[bytes], on_new_message: OnNewMessage
    ) -> tuple[int, dict[str, Any]]:
        """Status and JSON body for one webhook request; schedules the update's processing."""
        if not self.token:
            self._log_once(
                "no-token", logging.ERROR, "Telegram: %s is not set; webhook answers 503", ENV_TOKEN
            )
            return 503, {"error": "telegram channel not configured"}
        if not self.secret_ok(secret_header):
            logger.warning("Telegram: webhook request without a valid secret token refused")
            return 403, {"error": "forbidden"}
        if self.dispatcher.full:
            return 503, {"error": "busy, retry later"}
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
            self._output.agent_provider = lambda: getattr(app.ctx, "agent", None)
            if self.polling:
                await self.start_polling(on_new_message)

        @telegram_webhook.listener("before_server_stop")
        async def stop(app: Any, loop: Any) -> None:
            await self.stop()

        return telegram_webhook
