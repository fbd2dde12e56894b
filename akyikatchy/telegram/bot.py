"""The python-telegram-bot ``Bot`` and what every caller of it shares: its construction,
flood-control waits, and error descriptions safe to log (the token masked)."""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from typing import Any, Optional

from telegram import Bot
from telegram.error import RetryAfter
from telegram.request import HTTPXRequest
from telegram.warnings import PTBUserWarning

from akyikatchy.telegram.settings import DEFAULT_BASE_URL

# httpx logs every request URL at INFO level, and Bot API URLs contain the bot token.
logging.getLogger("httpx").setLevel(logging.WARNING)
# getUpdates goes through do_api_request on purpose (raw JSON, so that one unparseable update
# is dropped alone instead of failing the whole batch); PTB warns about that.
warnings.filterwarnings("ignore", message=r".*Bot\.getUpdates.*", category=PTBUserWarning)


def file_base_url(base_url: str) -> str:
    """The file download base matching a Bot API base: .../bot -> .../file/bot."""
    base = base_url.rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("/bot")] + "/file/bot"
    return base + "/file/bot"


def make_bot(token: str, base_url: Optional[str] = None) -> Bot:
    """A python-telegram-bot ``Bot`` on ``base_url``; makes no request by itself."""
    base_url = base_url or DEFAULT_BASE_URL
    timeouts = {"connect_timeout": 5.0, "read_timeout": 10.0, "write_timeout": 10.0, "pool_timeout": 5.0}
    return Bot(
        token,
        base_url=base_url,
        base_file_url=file_base_url(base_url),
        request=HTTPXRequest(connection_pool_size=32, **timeouts),
        # get_updates adds its long-poll timeout to this read timeout
        get_updates_request=HTTPXRequest(connection_pool_size=1, **timeouts),
    )


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
