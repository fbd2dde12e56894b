"""The outbox sender as a real process against the fake Bot API (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from appeals import history
from appeals.db import make_engine
from tests.support.console import FakeTelegram, add_account, add_appeal, pg_database, rows

ROOT = Path(__file__).resolve().parent.parent


def notifier(url, fake, *args, extra=None, wait=True, timeout=60):
    env = dict(
        os.environ,
        DATABASE_URL=url,
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_API_BASE_URL=fake.base_url,
        NOTIFIER_POLL_S="0.2",
        NOTIFIER_LOG_LEVEL="WARNING",
        **(extra or {}),
    )
    p = subprocess.Popen([sys.executable, "-m", "notifier", *args], cwd=ROOT, env=env)
    if wait:
        p.wait(timeout)
    return p


def change(url, ref, status="in_review", note="Текшерүүдө"):
    engine = make_engine(url)
    try:
        who = rows(url, "SELECT id, username FROM staff_accounts")[0]
        history.change_status(engine, ref, status, note, dict(who))
    finally:
        engine.dispose()


@pytest.fixture
def fake():
    with FakeTelegram() as f:
        yield f


def test_killed_before_sending_then_restarted_delivers_once(db, fake):
    ref = add_appeal(db, 1, language="ky")
    add_account(db, "oper")
    change(db, ref)
    p = notifier(db, fake, "--once", extra={"NOTIFIER_TEST_CRASH_BEFORE_SEND": "1", "NOTIFIER_LEASE_S": "1"})
    assert p.returncode == 9
    assert fake.sent() == []
    time.sleep(1.2)  # the dead sender's lease expires
    assert notifier(db, fake, "--once").returncode == 0
    sent = fake.sent()
    assert len(sent) == 1 and str(sent[0]["chat_id"]) == "500001"
    assert sent[0]["text"].startswith(f"Кайрылуу {ref}: каралууда.")
    assert notifier(db, fake, "--once").returncode == 0
    assert len(fake.sent()) == 1
    assert rows(db, "SELECT state FROM outbox")[0]["state"] == "sent"


def test_two_senders_at_once_never_send_the_same_message(db, fake):
    add_account(db, "oper")
    refs = [add_appeal(db, i, language="ru") for i in range(1, 31)]
    for ref in refs:
        change(db, ref, note="Заметка")
    procs = [notifier(db, fake, "--once", wait=False) for _ in range(2)]
    for p in procs:
        p.wait(90)
        assert p.returncode == 0
    chats = [str(s["chat_id"]) for s in fake.sent()]
    assert len(chats) == 30 and len(set(chats)) == 30
    assert {r["state"] for r in rows(db, "SELECT state FROM outbox")} == {"sent"}


def test_blocked_bot_marks_undeliverable_and_failures_are_retried(db, fake):
    add_account(db, "oper")
    blocked = add_appeal(db, 1)
    flaky = add_appeal(db, 2)
    change(db, blocked)
    fake.fail_next("sendMessage", 1, 403, "Forbidden: bot was blocked by the user")
    assert notifier(db, fake, "--once").returncode == 0
    assert (
        rows(db, "SELECT delivery FROM appeals WHERE reference = :r", r=blocked)[0]["delivery"] == "blocked"
    )
    assert rows(db, "SELECT state FROM outbox")[0]["state"] == "undeliverable"
    change(db, flaky)
    fake.fail_next("sendMessage", 1, 502, "Bad Gateway")
    p = notifier(db, fake, wait=False)
    try:
        fake.wait_for(
            lambda f: (
                [s for s in f.sent() if str(s["chat_id"]) == "500002"]
                and len(f.calls_since(0, "sendMessage")) >= 3
            ),
            timeout=20,
        )
    finally:
        p.terminate()
        p.wait(10)
    assert len([s for s in fake.sent() if str(s["chat_id"]) == "500002"]) == 2  # 502, then ok
    state = rows(
        db,
        "SELECT o.state FROM outbox o JOIN appeals a ON a.id = o.appeal_id WHERE a.reference = :r",
        r=flaky,
    )[0]["state"]
    assert state == "sent"


def test_new_appeals_are_announced_in_the_staff_chat_without_personal_data(db, fake):
    ref = add_appeal(db, 1, language="ru", category="courts")
    staff_chat = "-1001234567890"
    extra = {"STAFF_CHAT_ID": staff_chat, "STAFF_CHAT_LANGUAGE": "ru"}
    assert notifier(db, fake, "--once", extra=extra).returncode == 0
    sent = fake.sent(chat_id=staff_chat)
    assert [m["text"] for m in sent] == [f"Новое обращение {ref}. Категория: Суды."]
    assert fake.sent(chat_id=500001) == []  # nothing to the citizen: no status change
    assert notifier(db, fake, "--once", extra=extra).returncode == 0
    assert len(fake.sent(chat_id=staff_chat)) == 1  # announced once
    assert notifier(db, fake, "--once").returncode == 0  # without STAFF_CHAT_ID: no announcements
    assert len(fake.sent()) == 1


class Proxy:
    """A TCP proxy to PostgreSQL that can be cut and restored: the database 'goes down'."""

    def __init__(self, target=("127.0.0.1", 5432)):
        self.target = target
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.conns = []
        self.server = None

    def up(self):
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", self.port))
        self.server.listen(50)
        threading.Thread(target=self._accept, args=(self.server,), daemon=True).start()

    def down(self):
        try:
            self.server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        except OSError:
            pass
        self.server.close()
        for c in self.conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
                c.close()
            except OSError:
                pass
        self.conns = []

    def _accept(self, server):
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass


def test_database_briefly_down_then_delivered_once(fake):
    url, drop = pg_database()
    try:
        from appeals.db import migrate

        migrate(url)
        add_account(url, "oper")
        ref = add_appeal(url, 1, language="ru")
        proxy = Proxy()
        proxy.up()
        via = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        p = notifier(via, fake, wait=False)
        time.sleep(3)  # running, connected, idle
        proxy.down()
        change(url, ref, note="Передано в прокуратуру")  # written while the sender can't reach the db
        time.sleep(3)
        assert fake.sent() == []
        proxy.up()
        fake.wait_for(lambda f: f.sent(), timeout=40)
        time.sleep(1.5)
        p.terminate()
        p.wait(10)
        sent = fake.sent()
        assert len(sent) == 1 and "Передано в прокуратуру" in sent[0]["text"]
        assert rows(url, "SELECT state FROM outbox")[0]["state"] == "sent"
    finally:
        drop()
