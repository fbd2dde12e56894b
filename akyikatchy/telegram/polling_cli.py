"""Run the assistant on Telegram by long polling (``make telegram``).

Needs only ``TELEGRAM_BOT_TOKEN``: no public URL, no webhook secret.  Starts the action
server (127.0.0.1:$ACTION_PORT, default 5055; log in results/action_server.log), then runs
``rasa run`` in the foreground on 127.0.0.1:$RASA_PORT (default 5005) with
``TELEGRAM_POLLING=1``.  Inside the Rasa server the channel deletes any webhook and long-polls
getUpdates, feeding the same handler as the webhook.  Ctrl-C stops both.

    python -m akyikatchy.telegram.polling_cli [--no-action-server] [--credentials FILE]
                                              [--model FILE] [--action-log FILE]

Exit codes: Rasa's exit code, or 2 for missing settings (token, model, channel entry).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

import yaml

from akyikatchy.telegram.settings import ENV_POLLING, ENV_TOKEN
from devserver.servers import BIN, MODEL, ROOT, action_server, base_env, stop

# How credentials.yml names the channel (the class path of channel.TelegramInput).
CHANNEL_KEY = "akyikatchy.telegram.channel.TelegramInput"
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m akyikatchy.telegram.polling_cli",
        description=f"Run Rasa on Telegram by long polling ({ENV_TOKEN}).",
    )
    p.add_argument("--credentials", type=Path, default=None, help="default: credentials.yml")
    p.add_argument("--model", type=Path, default=None, help="default: models/akyikatchy.tar.gz")
    p.add_argument(
        "--no-action-server",
        action="store_true",
        help="use the action server at $ACTION_SERVER_URL instead of starting one",
    )
    p.add_argument(
        "--action-log",
        type=Path,
        default=None,
        help="action server log (default: results/action_server.log)",
    )
    return p


def _names_channel(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and CHANNEL_KEY in data


@contextlib.contextmanager
def _actions(start: bool, log_path: Optional[Path]) -> Iterator[str]:
    if not start:
        yield os.environ.get("ACTION_SERVER_URL", "http://127.0.0.1:5055/webhook")
        return
    port = int(os.environ.get("ACTION_PORT", "5055"))
    log_path = log_path or ROOT / "results" / "action_server.log"
    log_path.parent.mkdir(exist_ok=True)
    with open(log_path, "ab") as log, action_server(port, log=log) as url:
        print(f"Action server ready at {url} (log: {log_path}).", flush=True)
        yield url


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Optional[list[str]] = None) -> int:
    args = _parser().parse_args(argv)

    if not os.environ.get(ENV_TOKEN, "").strip():
        print(f"error: {ENV_TOKEN} not set (the bot token from @BotFather)", file=sys.stderr)
        return EXIT_USAGE
    model = args.model or MODEL
    if not model.exists():
        print(f"error: no model at {model}: run `make train` first", file=sys.stderr)
        return EXIT_USAGE
    credentials = args.credentials or ROOT / "credentials.yml"
    if not _names_channel(credentials):
        print(f"error: {credentials} does not name {CHANNEL_KEY}", file=sys.stderr)
        return EXIT_USAGE

    port = os.environ.get("RASA_PORT", "5005")
    with _actions(not args.no_action_server, args.action_log) as action_url:
        command = [
            str(BIN / "rasa"),
            "run",
            "-i",
            "127.0.0.1",
            "-p",
            port,
            "--model",
            str(model),
            "--endpoints",
            str(ROOT / "endpoints.yml"),
            "--credentials",
            str(credentials),
        ]
        env = base_env({"ACTION_SERVER_URL": action_url, ENV_POLLING: "1"})
        print(f"Rasa on 127.0.0.1:{port}, polling Telegram. Ctrl-C stops.", flush=True)
        process = subprocess.Popen(command, cwd=ROOT, env=env)
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            return process.wait()
        except KeyboardInterrupt:
            stop(process)  # SIGINT (Rasa stops cleanly: polling ends), kill after 15 s
            return 128 + signal.SIGINT
        finally:
            if process.poll() is None:
                stop(process)


if __name__ == "__main__":
    sys.exit(main())
