"""An appeal's attachment, fetched from Telegram and streamed to the staff member.

The files stay on Telegram's servers (the appeal keeps only their ``file_id``): the Bot API's
``getFile`` gives a ``file_path``, then the file is downloaded from
``<api>/file/bot<token>/<file_path>`` and passed on in 64 KiB chunks; nothing is written to
disk.  The bot token never appears in a page, a header or a log line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import quote

import httpx

from core.appeal import MAX_ATTACHMENT_BYTES

CHUNK = 64 * 1024
#: shown in the browser (sandboxed); anything else is only downloaded
INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"}


class FetchFailed(Exception):
    """Telegram did not give the file (the message names no token)."""


@dataclass
class Fetched:
    chunks: Iterator[bytes]
    content_type: str
    disposition: str
    length: Optional[int]


def file_url_base(api_base_url: str) -> str:
    """``https://api.telegram.org/bot`` -> ``https://api.telegram.org`` (files are under /file/)."""
    base = api_base_url.rstrip("/")
    return base[: -len("/bot")] if base.endswith("/bot") else base


def fetch(token: str, api_base_url: str, item: dict[str, Any], index: int, download: bool) -> Fetched:
    """Start streaming attachment ``item``; raises :class:`FetchFailed`."""
    if not token:
        raise FetchFailed("no TELEGRAM_BOT_TOKEN configured")
    base = api_base_url.rstrip("/")
    client = httpx.Client(timeout=httpx.Timeout(30.0, connect=5.0))
    try:
        answer = client.post(f"{base}{token}/getFile", json={"file_id": item["file_id"]})
        path = answer.json()["result"]["file_path"]
        request = client.build_request("GET", f"{file_url_base(base)}/file/bot{token}/{path}")
        upstream = client.send(request, stream=True)
    except (httpx.HTTPError, KeyError, TypeError, ValueError) as error:
        client.close()
        raise FetchFailed(f"getFile failed ({type(error).__name__})") from None
    if upstream.status_code != 200:
        upstream.close()
        client.close()
        raise FetchFailed(f"download answered {upstream.status_code}")

    def chunks() -> Iterator[bytes]:
        sent = 0
        try:
            for chunk in upstream.iter_bytes(CHUNK):
                sent += len(chunk)
                if sent > MAX_ATTACHMENT_BYTES:  # Telegram's own limit: something is wrong
                    return
                yield chunk
        finally:
            upstream.close()
            client.close()

    mime = str(item.get("mime_type") or "").lower()
    if not mime and item.get("kind") == "photo":
        mime = "image/jpeg"  # Telegram re-encodes photos as JPEG
    inline = mime in INLINE_TYPES and not download
    name = str(item.get("name") or f"file-{index + 1}").replace('"', "")
    length = upstream.headers.get("content-length")
    return Fetched(
        chunks=chunks(),
        content_type=mime if inline else "application/octet-stream",
        disposition=f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{quote(name)}",
        length=int(length) if length and length.isdigit() else None,
    )
