"""`make run`: the action server in the background, `rasa shell` in the foreground."""

from __future__ import annotations

import os
import subprocess
import sys

from devserver.servers import BIN, MODEL, ROOT, action_server, base_env


def main() -> int:
    port = int(os.environ.get("ACTION_PORT", "5055"))
    log_path = ROOT / "results" / "action_server.log"
    log_path.parent.mkdir(exist_ok=True)
    with open(log_path, "ab") as log, action_server(port, log=log) as url:
        print(f"Action server ready at {url} (log: {log_path}). Type /stop to quit.")
        return subprocess.call(
            [
                str(BIN / "rasa"),
                "shell",
                "--model",
                str(MODEL),
                "--endpoints",
                str(ROOT / "endpoints.yml"),
                "-i",
                "127.0.0.1",
                "-p",
                os.environ.get("RASA_PORT", "5005"),
            ],
            cwd=ROOT,
            env=base_env({"ACTION_SERVER_URL": url}),
        )


if __name__ == "__main__":
    sys.exit(main())
