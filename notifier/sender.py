"""Outbox sender.

    python -m notifier            # run until SIGTERM / Ctrl-C
    python -m notifier --once     # send what is due now, then exit

Environment: ``DATABASE_URL``, ``TELEGRAM_BOT_TOKEN`` (required), ``TELEGRAM_API_BASE_URL``
(default ``https://api.telegram.org/bot``), ``NOTIFIER_POLL_S`` (1), ``NOTIFIER_LEASE_S``
(60), ``STAFF_CHAT_ID`` and ``STAFF_CHAT_LANGUAGE`` (ky) for announcing new appeals
(reference and category only).

Limits: at most one message per second to a chat and 25 per second overall (Telegram
allows about 30); a 429 answer's ``retry_after`` pauses everything.  Errors: 403 (the
citizen blocked the bot) marks the notification undeliverable and the appeal ``blocked``;
other 4xx answers mark it undeliverable with the error; network errors, 5xx, 401/404 (a
wrong token or base URL) are retried with exponential backoff, forever.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Optional

import httpx
from sqlalchemy import exc

from appeals import outbox
from appeals.config import database_url
from appeals.db import make_engine, migrate
from core.labels import announcement

log = logging.getLogger("notifier")

GLOBAL_INTERVAL_S = 1 / 25
CHAT_INTERVAL_S = 1.0


class Sender:
    def __init__(
        self,
        url: str,
        token: str,
        base_url: str,
        lease_s: float = 60.0,
        poll_s: float = 1.0,
        staff_chat: Optional[str] = None,
        staff_language: str = "ky",
        sender_id: Optional[str] = None,
    ):
        self.engine = make_engine(url)
        self.token = token
        self.base_url = base_url.rstrip("/")
        self.lease_s = lease_s
        self.poll_s = poll_s
        self.staff_chat = staff_chat
        self.staff_language = staff_language
        self.id = sender_id or f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.http = httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0))
        self._last_global = 0.0
        self._last_chat: dict[str, float] = {}
        self._paused_until = 0.0
        self._db_failures = 0
        self._stop = False
        self.started = datetime.now(timezone.utc)

    def stop(self, *_args) -> None:
        self._stop = True

    # -- rate limits -------------------------------------------------------------
    def _wait_turn(self, chat_id: str) -> None:
        while True:
            now = time.monotonic()
            wait = max(
                self._paused_until - now,
                self._last_global + GLOBAL_INTERVAL_S - now,
                self._last_chat.get(chat_id, 0.0) + CHAT_INTERVAL_S - now,
            )
            if wait <= 0:
                break
            time.sleep(min(wait, 1.0))
        now = time.monotonic()
        self._last_global = now
        self._last_chat[chat_id] = now
        if len(self._last_chat) > 10000:
            self._last_chat = {k: v for k, v in self._last_chat.items() if v > now - 5}

    # -- one message -------------------------------------------------------------
    def _call(self, chat_id: str, text: str):
        return self.http.post(
            f"{self.base_url}{self.token}/sendMessage",
            json={
                "chat_id": int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id,
                "text": text,
                "disable_web_page_preview": True,
            },
        )

    def _record(self, fn, *args) -> None:
        """Write an outcome; the database may be briefly down: retry, never give up."""
        delay = 0.2
        while True:
            try:
                fn(self.engine, *args)
                return
            except exc.SQLAlchemyError as e:
                log.warning("recording an outcome failed (%s); retrying", type(e).__name__)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def send_one(self, row: dict) -> None:
        rid, chat = row["id"], row["chat_id"]
        self._wait_turn(chat)
        if not outbox.still_ours(self.engine, rid, self.id):
            log.info("outbox %d: lease lost before sending; skipped", rid)
            return
        if os.environ.get("NOTIFIER_TEST_CRASH_BEFORE_SEND") == "1":  # tests only
            os._exit(9)
        try:
            resp = self._call(chat, row["text"])
        except httpx.HTTPError as e:
            self._record(
                outbox.mark_retry, rid, self.id, f"network: {type(e).__name__}", None, row["attempts"]
            )
            return
        try:
            body = resp.json()
        except ValueError:
            body = {}
        if resp.status_code == 200 and body.get("ok"):
            message_id = (body.get("result") or {}).get("message_id")
            self._record(outbox.mark_sent, rid, self.id, message_id)
            log.info("outbox %d sent", rid)
            return
        code = resp.status_code
        description = str(body.get("description") or resp.reason_phrase)[:150]
        error = f"{code} {description}"
        if code == 429:
            retry_after = float(((body.get("parameters") or {}).get("retry_after")) or 1)
            self._paused_until = time.monotonic() + retry_after
            self._record(outbox.mark_retry, rid, self.id, error, retry_after, row["attempts"])
        elif code == 403:
            self._record(outbox.mark_undeliverable, rid, self.id, error, True)
            log.info("outbox %d: the bot is blocked by the chat; undeliverable", rid)
        elif 400 <= code < 500 and code not in (401, 404, 408):
            self._record(outbox.mark_undeliverable, rid, self.id, error, False)
            log.warning("outbox %d: undeliverable (%s)", rid, error)
        else:
            self._record(outbox.mark_retry, rid, self.id, error, None, row["attempts"])

    # -- loop --------------------------------------------------------------------
    def run_once(self) -> int:
        if self.staff_chat:
            since = self.started - timedelta(hours=24)
            outbox.enqueue_announcements(
                self.engine,
                self.staff_chat,
                lambda ref, cat: announcement(self.staff_language, ref, cat),
                since,
            )
        rows = outbox.claim(self.engine, self.id, limit=10, lease_s=self.lease_s)
        for row in rows:
            if self._stop:
                break
            self.send_one(row)
        return len(rows)

    def run(self, once: bool = False) -> None:
        while not self._stop:
            try:
                n = self.run_once()
                self._db_failures = 0
            except exc.SQLAlchemyError as e:
                self._db_failures += 1
                delay = min(30.0, 0.5 * 2 ** min(self._db_failures, 6))
                log.warning("database unavailable (%s); retrying in %.1f s", type(e).__name__, delay)
                time.sleep(delay)
                continue
            if once and n == 0:
                return
            if n == 0:
                time.sleep(self.poll_s)

    def close(self) -> None:
        self.http.close()
        self.engine.dispose()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m notifier")
    p.add_argument("--once", action="store_true", help="send what is due, then exit")
    args = p.parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("NOTIFIER_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        log.error("TELEGRAM_BOT_TOKEN is not set")
        return 2
    url = database_url()
    delay = 0.5
    while True:  # the database may not be up yet
        try:
            migrate(url)
            break
        except Exception as e:  # StorageError
            log.warning("database not ready (%s); retrying", e)
            time.sleep(delay)
            delay = min(delay * 2, 30)
    sender = Sender(
        url,
        token,
        os.environ.get("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot"),
        lease_s=float(os.environ.get("NOTIFIER_LEASE_S", "60")),
        poll_s=float(os.environ.get("NOTIFIER_POLL_S", "1")),
        staff_chat=os.environ.get("STAFF_CHAT_ID", "").strip() or None,
        staff_language=os.environ.get("STAFF_CHAT_LANGUAGE", "ky"),
    )
    signal.signal(signal.SIGTERM, sender.stop)
    signal.signal(signal.SIGINT, sender.stop)
    log.info("notifier %s started", sender.id)
    try:
        sender.run(once=args.once)
    finally:
        sender.close()
    return 0
