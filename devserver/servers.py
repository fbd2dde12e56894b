"""Start the action server and the Rasa server as child processes, on loopback.

Shared by `make run`, the end-to-end tests and the benchmark so all three run the
assistant the same way.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "akyikatchy.tar.gz"

#: The shared secret between Rasa and the action server (``Authorization: Bearer …``, see
#: endpoints.yml and actions/server.py): ACTION_SERVER_TOKEN from the environment, else a
#: random one made up once per run and passed to every process started here.
ACTION_SERVER_TOKEN = os.environ.get("ACTION_SERVER_TOKEN") or secrets.token_hex(32)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float, process: Optional[subprocess.Popen] = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def base_env(extra: Optional[dict[str, str]] = None) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["SANIC_HOST"] = "127.0.0.1"
    env.setdefault("ACTION_SERVER_TOKEN", ACTION_SERVER_TOKEN)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra or {})
    return env


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def _serving(command: list[str], env: dict[str, str], log, ready_url: str, timeout: float) -> Iterator[None]:
    """Run ``command`` as a child process until the block ends, once ``ready_url`` answers.

    Both servers start, wait and stop the same way (output to ``log``, SIGINT then kill),
    also when the caller's block raises."""
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=base_env(env),
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_http(ready_url, timeout, process)
        yield
    finally:
        stop(process)


@contextlib.contextmanager
def action_server(
    port: int, env: Optional[dict[str, str]] = None, log=None, host: str = "127.0.0.1"
) -> Iterator[str]:
    """The project's action server (``python -m actions``), authenticated by the token of
    :func:`base_env` (or ``env["ACTION_SERVER_TOKEN"]``), bound to ``host``."""
    with _serving(
        [sys.executable, "-m", "actions", "--port", str(port)],
        {"ACTION_HOST": host, **(env or {})},
        log,
        ready_url=f"http://127.0.0.1:{port}/health",
        timeout=120,
    ):
        yield f"http://127.0.0.1:{port}/webhook"


@contextlib.contextmanager
def rasa_server(
    port: int,
    action_url: str,
    model: Path = MODEL,
    credentials: Optional[Path] = None,
    env: Optional[dict[str, str]] = None,
    log=None,
) -> Iterator[str]:
    command = [
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
        str(ROOT / "endpoints.yml"),
        "--credentials",
        str(credentials or ROOT / "credentials.yml"),
    ]
    with _serving(
        command,
        {"ACTION_SERVER_URL": action_url, **(env or {})},
        log,
        ready_url=f"http://127.0.0.1:{port}/status",
        timeout=300,
    ):
        yield f"http://127.0.0.1:{port}"
