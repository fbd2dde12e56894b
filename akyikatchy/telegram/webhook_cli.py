"""Register the Telegram webhook and its secret (``make telegram-webhook``).

    TELEGRAM_BOT_TOKEN=... TELEGRAM_SECRET_TOKEN=... \\
    TELEGRAM_WEBHOOK_URL=https://example.org/webhooks/telegram/webhook \\
        python -m akyikatchy.telegram.webhook_cli            # setWebhook
    python -m akyikatchy.telegram.webhook_cli --delete       # deleteWebhook (back to polling)
    python -m akyikatchy.telegram.webhook_cli --info         # getWebhookInfo

setWebhook also sets the command menu per language (setMyCommands for ``ky``, ``ru`` and the
default; descriptions from the domain, :mod:`akyikatchy.telegram.commands`).

setWebhook is called with ``secret_token`` (Telegram then sends it in the
``X-Telegram-Bot-Api-Secret-Token`` header, which the channel checks) and
``allowed_updates=["message", "callback_query"]``.  ``TELEGRAM_API_BASE_URL`` overrides the
Bot API base (tests).  Neither the token nor the secret is ever printed.

Exit codes: 0 ok, 1 Telegram refused or could not be reached, 2 missing or invalid settings.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from typing import Optional

from telegram.error import TelegramError

from akyikatchy.telegram.bot import describe_error, make_bot
from akyikatchy.telegram.commands import set_commands
from akyikatchy.telegram.settings import (
    ALLOWED_UPDATES,
    DEFAULT_BASE_URL,
    ENV_BASE_URL,
    ENV_SECRET,
    ENV_TOKEN,
    ENV_WEBHOOK_URL,
    WEBHOOK_PATH,
)

EXIT_OK, EXIT_TELEGRAM, EXIT_USAGE = 0, 1, 2
# Telegram's rule for secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -.
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m akyikatchy.telegram.webhook_cli",
        description=(f"Register the Telegram webhook ({ENV_TOKEN}, {ENV_WEBHOOK_URL}, {ENV_SECRET})."),
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument("--delete", action="store_true", help="remove the webhook instead")
    group.add_argument("--info", action="store_true", help="show the current webhook")
    p.add_argument(
        "--drop-pending-updates",
        action="store_true",
        help="discard updates Telegram has queued for the bot",
    )
    return p


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _check_settings(args: argparse.Namespace) -> Optional[str]:
    """The first problem with the environment, or None."""
    names = [ENV_TOKEN] if (args.delete or args.info) else [ENV_TOKEN, ENV_WEBHOOK_URL, ENV_SECRET]
    missing = [name for name in names if not os.environ.get(name, "").strip()]
    if missing:
        return f"{', '.join(missing)} not set (see README: Telegram)"
    if args.delete or args.info:
        return None
    if not SECRET_PATTERN.match(os.environ[ENV_SECRET].strip()):
        return f"{ENV_SECRET} must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
    url = os.environ[ENV_WEBHOOK_URL].strip()
    if not re.match(r"^https?://[^\s/]+", url):
        return f"{ENV_WEBHOOK_URL} must be an absolute URL (https://host{WEBHOOK_PATH})"
    return None


async def _run(args: argparse.Namespace) -> int:
    token = os.environ[ENV_TOKEN].strip()
    bot = make_bot(token, os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL)
    try:
        if args.info:
            info = await bot.get_webhook_info()
            print(f"url: {info.url or '(none: polling)'}")
            print(f"pending updates: {info.pending_update_count}")
            if info.allowed_updates:
                print(f"allowed updates: {', '.join(info.allowed_updates)}")
            if info.last_error_message:
                print(f"last error: {info.last_error_message}")
            return EXIT_OK
        if args.delete:
            ok = await bot.delete_webhook(drop_pending_updates=args.drop_pending_updates)
            print("webhook deleted" if ok else "deleteWebhook returned false")
            return EXIT_OK if ok else EXIT_TELEGRAM
        url = os.environ[ENV_WEBHOOK_URL].strip()
        ok = await bot.set_webhook(
            url=url,
            secret_token=os.environ[ENV_SECRET].strip(),
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=args.drop_pending_updates,
        )
        if not ok:
            print("setWebhook returned false", file=sys.stderr)
            return EXIT_TELEGRAM
        print(f"webhook set: {url} (allowed updates: {', '.join(ALLOWED_UPDATES)}; secret token set)")
        if not await set_commands(bot, token):
            print("error: setMyCommands failed: the command menu is not set", file=sys.stderr)
            return EXIT_TELEGRAM
        print("command menu set (ky, ru, default)")
        return EXIT_OK
    except TelegramError as error:
        print(f"error: Telegram refused: {describe_error(error, token)}", file=sys.stderr)
        return EXIT_TELEGRAM
    finally:
        await bot.shutdown()


def main(argv: Optional[list[str]] = None) -> int:
    args = _parser().parse_args(argv)
    problem = _check_settings(args)
    if problem:
        return _error(problem)
    url = os.environ.get(ENV_WEBHOOK_URL, "").strip()
    if not (args.delete or args.info):
        if not url.startswith("https://"):
            print("warning: Telegram accepts only https:// webhook URLs", file=sys.stderr)
        if not url.rstrip("/").endswith(WEBHOOK_PATH):
            print(f"warning: the channel listens on {WEBHOOK_PATH}", file=sys.stderr)
    return asyncio.run(_run(args))


if __name__ == "__main__":
    sys.exit(main())
