"""A tiny client for Rasa's REST channel, as a user on a phone would talk."""

from __future__ import annotations

import json
import urllib.request
from typing import Any, Optional


def say(base_url: str, sender: str, text: str, metadata: Optional[dict[str, Any]] = None) -> list[dict]:
    body: dict[str, Any] = {"sender": sender, "message": text}
    if metadata:
        body["metadata"] = metadata
    request = urllib.request.Request(
        base_url + "/webhooks/rest/webhook",
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def payloads(replies: list[dict]) -> list[str]:
    return [b["payload"] for r in replies for b in r.get("buttons") or []]


def tracker(base_url: str, sender: str) -> dict:
    with urllib.request.urlopen(f"{base_url}/conversations/{sender}/tracker", timeout=30) as response:
        return json.load(response)
