"""Helpers of tests/test_replicas.py: processes that can be killed and restarted, a pausable
TCP proxy in front of PostgreSQL, and a client that files a whole appeal by answering the
question the assistant asks (recognised from the texts in domain/).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

from devserver.servers import BIN, MODEL, ROOT, base_env, wait_http

REFERENCE = re.compile(r"AK-\d{4}-\d{6}")
FORM_ORDER = [
    "consent",
    "full_name",
    "phone",
    "region",
    "address",
    "category",
    "respondent",
    "incident_date",
    "description",
    "confirm",
]
ANSWERS = {
    "ky": {
        "start": "кайрылуу бергим келет",
        "consent": "ооба",
        "full_name": "Асанов Бакыт",
        "phone": "0700 12 34 56",
        "region": "Ош шаары",
        "address": "Ош шаары, Ленин көчөсү 12",
        "category": "эмгек акы",
        "respondent": "мектептин директору",
        "incident_date": "кечээ",
        "description": "Мектептин директору үч айдан бери айлык акыны төлөбөй жатат.",
        "confirm": "ооба",
    },
    "ru": {
        "start": "хочу подать жалобу",
        "consent": "да",
        "full_name": "Иванова Мария",
        "phone": "+996 555 123 456",
        "region": '/inform{"region":"bishkek"}',
        "address": "г. Бишкек, ул. Киевская 10, кв. 5",
        "category": "здравоохранение",
        "respondent": "главврач больницы",
        "incident_date": "вчера",
        "description": "В больнице отказали в бесплатной операции и потребовали деньги.",
        "confirm": "да",
    },
}


def _prefixes() -> dict[str, str]:
    """First words of every question (and apology) text in domain/ -> what it asks."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "domain").glob("*.yml")):
        responses = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {}
        for name, variants in responses.items():
            slot = name[len("utter_ask_") :] if name.startswith("utter_ask_") else None
            if slot not in FORM_ORDER and name not in ("utter_action_failed", "utter_service_unavailable"):
                continue
            for variant in variants or []:
                text = (variant.get("text") or "").split("{")[0].strip()[:40]
                if text:
                    found[text] = slot or "retry"
    return found


PREFIXES = _prefixes()


def classify(replies: list[dict]) -> tuple[Optional[str], bool, Optional[str]]:
    """(slot asked by the last question, whether a "try again" was said, reference)."""
    asked, retry, reference = None, False, None
    for reply in replies:
        text = (reply.get("text") or "").strip()
        match = REFERENCE.search(text)
        if match:
            reference = match.group(0)
        for prefix, what in PREFIXES.items():
            if text.startswith(prefix):
                if what == "retry":
                    retry = True
                else:
                    asked = what
    return asked, retry, reference


class Process:
    """A server process that can be killed (SIGKILL) and started again on the same port."""

    def __init__(self, name: str, command: list[str], health: str, env: dict[str, str], logs: Path) -> None:
        self.name, self.command, self.health, self.env, self.logs = name, command, health, env, logs
        self.process: Optional[subprocess.Popen] = None
        self.starts = 0

    def start(self, timeout: float = 400) -> None:
        self.starts += 1
        log = open(self.logs / f"{self.name}.{self.starts}.log", "wb")
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=base_env(self.env), stdout=log, stderr=subprocess.STDOUT
        )
        wait_http(self.health, timeout, self.process)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def pid(self) -> Optional[int]:
        return self.process.pid if self.process is not None else None


def action_command(port: int) -> list[str]:
    if (ROOT / "actions" / "__main__.py").exists():
        return [sys.executable, "-m", "actions", "--port", str(port)]
    return [str(BIN / "rasa"), "run", "actions", "--port", str(port)]


def rasa_command(port: int, endpoints: Path, credentials: Path, model: Path = MODEL) -> list[str]:
    return [
        str(BIN / "rasa"),
        "run",
        "--enable-api",
        "-i",
        "127.0.0.1",
        "-p",
        str(port),
        "--model",
        str(model),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(credentials),
    ]


def endpoints_with_token(directory: Path) -> Path:
    """endpoints.yml, with the action server's Authorization header if it has none yet."""
    text = (ROOT / "endpoints.yml").read_text(encoding="utf-8")
    if "Authorization: Bearer ${ACTION_SERVER_TOKEN}" not in text:
        text = text.replace(
            "  url: ${ACTION_SERVER_URL}\n",
            "  url: ${ACTION_SERVER_URL}\n  headers:\n    Authorization: Bearer ${ACTION_SERVER_TOKEN}\n",
            1,
        )
    path = directory / "endpoints.yml"
    path.write_text(text, encoding="utf-8")
    return path


class PausableProxy:
    """A TCP proxy on loopback; :meth:`pause` drops every connection and refuses new ones."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port: Optional[int] = None
        self.paused = False
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> PausableProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        with contextlib.suppress(Exception):
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.paused:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        self._writers -= {writer, up_writer}

    def _drop_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def pause(self) -> None:
        self.paused = True
        self._loop.call_soon_threadsafe(self._drop_all)

    def resume(self) -> None:
        self.paused = False

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._drop_all)
        self._loop.call_soon_threadsafe(self._loop.stop)


@dataclass
class Conversation:
    sender: str
    language: str
    reference: Optional[str] = None
    requests: int = 0
    retries: int = 0
    lost_answers: int = 0  # connection cut mid-request (a replica killed)
    max_wait: float = 0.0
    asked: list[str] = field(default_factory=list)
    regressions: list[str] = field(default_factory=list)
    erased: bool = False


async def post(
    session: Any, urls: list[str], sender: str, text: str, conversation: Conversation
) -> list[dict]:
    """One message to a random replica; a replica that is down is skipped like nginx does."""
    import aiohttp

    deadline = time.monotonic() + 120
    while True:
        url = random.choice(urls)
        started = time.monotonic()
        try:
            async with session.post(
                f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
            ) as response:
                body = await response.json(content_type=None) if response.status == 200 else None
            conversation.max_wait = max(conversation.max_wait, time.monotonic() - started)
            conversation.requests += 1
            if body is not None:
                return body
        except aiohttp.ClientConnectorError:
            pass  # replica down: the proxy would skip it at once
        except (aiohttp.ClientError, asyncio.TimeoutError):
            conversation.lost_answers += 1  # killed while answering: ask again
            conversation.max_wait = max(conversation.max_wait, time.monotonic() - started)
        if time.monotonic() > deadline:
            raise TimeoutError(f"no replica answered {sender} for 120 s")
        await asyncio.sleep(0.2)


async def file_appeal(session: Any, urls: list[str], conversation: Conversation, think: float) -> None:
    """Answer whatever the assistant asks until it gives a reference (or the store has one)."""
    answers = ANSWERS[conversation.language]
    text = answers["start"]
    done_index = -1
    for _ in range(60):
        replies = await post(session, urls, conversation.sender, text, conversation)
        asked, retry, reference = classify(replies)
        if reference:
            conversation.reference = reference
            return
        if retry:
            conversation.retries += 1
        if asked in FORM_ORDER:
            index = FORM_ORDER.index(asked)
            if index < done_index:
                conversation.regressions.append(f"asked {asked} after {FORM_ORDER[done_index]}")
            done_index = max(done_index, index - 1)
            conversation.asked.append(asked)
            text = answers[asked]
        # otherwise (an apology, "not understood" after a lost answer): say the same again
        await asyncio.sleep(think * random.uniform(0.5, 1.5))
    raise AssertionError(f"{conversation.sender} never got a reference; asked {conversation.asked}")


def env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, "") or default)
    except ValueError:
        return default
