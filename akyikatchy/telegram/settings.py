"""The Telegram channel's settings: environment variable names, Telegram's limits, timings.

Everything secret or deployment-specific comes from environment variables, read once when
Rasa builds the channel (:meth:`Settings.from_env`); nothing is read from credentials.yml.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from akyikatchy.service.settings import env_number

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

MESSAGE_LIMIT = 4096  # Telegram's limit on a message's text (UTF-16 code units)
CALLBACK_DATA_LIMIT = 64  # bytes of callback_data
MAX_FILE_SIZE = 20 * 1024 * 1024  # enforced by the action server; documented here
DEFAULT_POLL_TIMEOUT = 25.0


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def env_float(name: str, default: float) -> float:
    return env_number(name, default, float)


@dataclass(frozen=True)
class Settings:
    """What the channel needs to know; ``token`` None leaves the channel inert."""

    token: Optional[str] = None
    secret_token: Optional[str] = None
    base_url: str = DEFAULT_BASE_URL
    polling: bool = False
    poll_timeout: float = DEFAULT_POLL_TIMEOUT

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            token=os.environ.get(ENV_TOKEN) or None,
            secret_token=os.environ.get(ENV_SECRET) or None,
            base_url=os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL,
            polling=env_flag(ENV_POLLING),
            poll_timeout=env_float(ENV_POLL_TIMEOUT, DEFAULT_POLL_TIMEOUT),
        )
