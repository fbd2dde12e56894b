"""A fake Telegram Bot API server on loopback, for the Telegram channel tests.

Real HTTP (aiohttp in a background thread): python-telegram-bot is pointed at it with
``Bot(base_url=fake.base_url)`` / ``TELEGRAM_API_BASE_URL``.  It answers
``/bot<token>/<method>`` (GET or POST; form, multipart or JSON parameters) for sendMessage,
sendPhoto, answerCallbackQuery, sendChatAction, getUpdates (long polling over queued updates,
honouring ``offset``), deleteWebhook, setWebhook, getWebhookInfo, getMe, getFile,
editMessageText and editMessageReplyMarkup (on the messages it sent), setMyCommands and
getMyCommands, with valid Bot API JSON, and records every call and its result.  Files put
with :meth:`FakeTelegram.add_file` are served,
as by Telegram, at ``/file/bot<token>/<file_path>`` (recorded as method ``"file"``).  A wrong
token gets 401, an unknown method 404.  Failures can be scripted with :meth:`FakeTelegram.fail_next`.

The ``*_update`` helpers build real Telegram update JSON for the webhook.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional

from aiohttp import web

DEFAULT_TOKEN = "0:test-token-not-a-real-bot"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Akyikatchy", "username": "akyikatchy_test_bot"}

# Parameters whose values are plain strings: never JSON-decoded.
_STRING_PARAMS = {
    "text",
    "callback_query_id",
    "secret_token",
    "url",
    "action",
    "parse_mode",
    "caption",
    "photo",
    "document",
    "ip_address",
    "language_code",
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str
    at: float = field(default_factory=time.monotonic)
    result: Any = None


class _BadRequest(Exception):
    """A method's 400 answer (its message is the description)."""


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: Optional[int]


class FakeTelegram:
    def __init__(self, token: str = DEFAULT_TOKEN) -> None:
        self.token = token
        self.port: Optional[int] = None
        self.calls: list[Call] = []
        self.webhook: dict[str, Any] = {}
        self.messages: dict[tuple[Any, int], dict[str, Any]] = {}  # (chat_id, message_id) -> message
        self.commands: dict[str, list[dict[str, Any]]] = {}  # language_code ("" = default) -> list
        self._updates: list[dict[str, Any]] = []
        self._failures: dict[str, list[_Failure]] = {}
        self._message_ids = itertools.count(1000)
        self._lock = threading.Condition()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._ready = threading.Event()
        self._runner: Optional[web.AppRunner] = None
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, content)

    # -- life cycle ----------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def start(self) -> FakeTelegram:
        self._thread = threading.Thread(target=self._serve, name="fake-telegram", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake Telegram server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

    # -- scripting and inspection (thread-safe) -------------------------------------------
    def queue_update(self, update: dict[str, Any]) -> None:
        """Serve ``update`` to the next getUpdates call (until confirmed by the offset)."""
        with self._lock:
            self._updates.append(update)
            self._lock.notify_all()

    def fail_next(
        self,
        method: str,
        times: int = 1,
        status: int = 502,
        description: str = "Bad Gateway",
        retry_after: Optional[int] = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail (e.g. 502, or 429 + retry_after)."""
        with self._lock:
            self._failures.setdefault(method, []).extend([_Failure(status, description, retry_after)] * times)

    def add_file(self, file_id: str, content: bytes, file_path: Optional[str] = None) -> str:
        """Make ``file_id`` downloadable (getFile, then /file/bot<token>/<path>); returns the path."""
        path = file_path or f"documents/file_{len(self.files)}.bin"
        with self._lock:
            self.files[file_id] = (path, content)
        return path

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._updates.clear()
            self._failures.clear()
            self.messages.clear()
            self.commands.clear()

    def mark(self) -> int:
        with self._lock:
            return len(self.calls)

    def calls_since(self, mark: int = 0, method: Optional[str] = None) -> list[Call]:
        with self._lock:
            calls = list(self.calls[mark:])
        return [c for c in calls if method is None or c.method == method]

    def sent_messages(self, chat_id: Optional[int] = None, mark: int = 0) -> list[dict[str, Any]]:
        """The messages sendMessage returned (with their message_id), as they are now."""
        out = []
        for c in self.calls_since(mark, "sendMessage"):
            if isinstance(c.result, dict) and (
                chat_id is None or str(c.params.get("chat_id")) == str(chat_id)
            ):
                with self._lock:
                    out.append(
                        dict(self.messages.get((c.result["chat"]["id"], c.result["message_id"]), c.result))
                    )
        return out

    def message(self, chat_id: Any, message_id: int) -> Optional[dict[str, Any]]:
        with self._lock:
            found = self.messages.get((chat_id, message_id))
            return dict(found) if found else None

    def methods(self, mark: int = 0) -> list[str]:
        return [c.method for c in self.calls_since(mark)]

    def sent(self, chat_id: Optional[int] = None, mark: int = 0) -> list[dict[str, Any]]:
        """Parameters of the sendMessage calls (to ``chat_id``) since ``mark``."""
        return [
            c.params
            for c in self.calls_since(mark, "sendMessage")
            if chat_id is None or str(c.params.get("chat_id")) == str(chat_id)
        ]

    def wait_for(self, predicate: Callable[[FakeTelegram], Any], timeout: float = 30.0) -> Any:
        """Wait until ``predicate(self)`` is truthy; return its value (TimeoutError if not)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                value = predicate(self)
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"fake Telegram: condition not met in {timeout:.0f} s")
                self._lock.wait(min(remaining, 0.2))

    # -- HTTP ----------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        content_type = request.content_type or ""
        if request.method == "POST" and request.can_read_body:
            if content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    raw.update(body)
                return raw
            form = await request.post()
            for key, value in form.items():
                if hasattr(value, "file"):  # an uploaded file
                    raw[key] = {"filename": value.filename, "size": len(value.file.read())}
                else:
                    raw[key] = value
        params: dict[str, Any] = {}
        for key, value in raw.items():
            if isinstance(value, str) and key not in _STRING_PARAMS:
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            params[key] = value
        return params

    @staticmethod
    def _error(status: int, description: str, retry_after: Optional[int] = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return web.json_response(body, status=status)

    async def _handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method = request.match_info["method"]
        params = await self._params(request)
        with self._lock:
            self.calls.append(Call(method, params, token))
            self._lock.notify_all()
            failure = None
            if token == self.token and self._failures.get(method):
                failure = self._failures[method].pop(0)
        if token != self.token:
            return self._error(401, "Unauthorized")
        if failure is not None:
            return self._error(failure.status, failure.description, failure.retry_after)
        handler = getattr(self, "_m_" + method, None)
        if handler is None:
            return self._error(404, "Not Found")
        try:
            result = await handler(params)
        except _BadRequest as bad:
            return self._error(400, str(bad))
        if isinstance(result, web.Response):
            return result
        with self._lock:
            for call in reversed(self.calls):
                if call.params is params:
                    call.result = result
                    break
            self._lock.notify_all()
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.StreamResponse:
        token, path = request.match_info["token"], request.match_info["path"]
        with self._lock:
            self.calls.append(Call("file", {"file_path": path}, token))
            self._lock.notify_all()
            content = next((c for p, c in self.files.values() if p == path), None)
        if token != self.token or content is None:
            return web.Response(status=404, text="Not Found")
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        response.content_length = len(content)
        await response.prepare(request)
        for start in range(0, len(content), 64 * 1024):  # in chunks, as a large file would come
            await response.write(content[start : start + 64 * 1024])
        await response.write_eof()
        return response

    # -- Bot API methods -------------------------------------------------------------------
    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {
                "id": chat_id,
                "type": "private" if isinstance(chat_id, int) and chat_id > 0 else "group",
            },
            "from": BOT_USER,
            **content,
        }
        if isinstance(params.get("reply_markup"), dict) and "inline_keyboard" in params["reply_markup"]:
            message["reply_markup"] = params["reply_markup"]
        with self._lock:
            self.messages[(chat_id, message["message_id"])] = message
        return message

    def _editable(self, params: dict[str, Any]) -> Any:
        key = (params.get("chat_id"), params.get("message_id"))
        with self._lock:
            message = self.messages.get(key)
        if message is None:
            return self._error(400, "Bad Request: message to edit not found")
        return message

    async def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        message = self._editable(params)
        if isinstance(message, web.Response):
            return message
        markup = params.get("reply_markup")
        markup = markup if isinstance(markup, dict) and "inline_keyboard" in markup else None
        text = str(params.get("text", ""))
        if text == message.get("text") and markup == message.get("reply_markup"):
            return self._error(400, "Bad Request: message is not modified")
        with self._lock:
            message["text"] = text
            message["edit_date"] = int(time.time())
            if markup is None:
                message.pop("reply_markup", None)
            else:
                message["reply_markup"] = markup
            return dict(message)

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        message = self._editable(params)
        if isinstance(message, web.Response):
            return message
        markup = params.get("reply_markup")
        markup = markup if isinstance(markup, dict) and markup.get("inline_keyboard") else None
        if markup == message.get("reply_markup"):
            return self._error(400, "Bad Request: message is not modified")
        with self._lock:
            if markup is None:
                message.pop("reply_markup", None)
            else:
                message["reply_markup"] = markup
            message["edit_date"] = int(time.time())
            return dict(message)

    async def _m_setMyCommands(self, params: dict[str, Any]) -> Any:
        with self._lock:
            self.commands[str(params.get("language_code") or "")] = list(params.get("commands") or [])
        return True

    async def _m_getMyCommands(self, params: dict[str, Any]) -> Any:
        with self._lock:
            return list(self.commands.get(str(params.get("language_code") or ""), []))

    async def _m_getMe(self, params: dict[str, Any]) -> Any:
        return BOT_USER

    async def _m_getFile(self, params: dict[str, Any]) -> Any:
        file_id = str(params.get("file_id") or "")
        with self._lock:
            found = self.files.get(file_id)
        if found is None:
            raise _BadRequest("Bad Request: invalid file_id")
        path, content = found
        return {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": len(content),
            "file_path": path,
        }

    async def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        return self._message(params, text=str(params.get("text", "")))

    async def _m_sendPhoto(self, params: dict[str, Any]) -> Any:
        return self._message(
            params,
            photo=[
                {
                    "file_id": "sent-photo",
                    "file_unique_id": "sent-photo-u",
                    "width": 1,
                    "height": 1,
                }
            ],
        )

    async def _m_sendChatAction(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_setWebhook(self, params: dict[str, Any]) -> Any:
        with self._lock:
            self.webhook = dict(params)
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        with self._lock:
            self.webhook = {}
        return True

    async def _m_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        with self._lock:
            url = self.webhook.get("url", "")
            allowed = self.webhook.get("allowed_updates")
        info: dict[str, Any] = {"url": url, "has_custom_certificate": False, "pending_update_count": 0}
        if allowed:
            info["allowed_updates"] = allowed
        return info

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = params.get("offset")
        timeout = min(float(params.get("timeout") or 0), 30.0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if isinstance(offset, int):
                    # Like Telegram: an offset confirms every update before it.
                    self._updates = [u for u in self._updates if u.get("update_id", 0) >= offset]
                pending = list(self._updates[:limit])
            if pending or time.monotonic() >= deadline:
                return pending
            await asyncio.sleep(0.05)


# -- Telegram update JSON ---------------------------------------------------------------------
_update_ids = itertools.count(int(time.time()) % 100_000 * 1000)
_message_ids = itertools.count(1)


def next_update_id() -> int:
    return next(_update_ids)


def user(user_id: int, language_code: Optional[str] = "ky", first_name: str = "Test") -> dict[str, Any]:
    data: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code is not None:
        data["language_code"] = language_code
    return data


def private_chat(user_id: int, first_name: str = "Test") -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": first_name}


def message_update(
    from_user: dict[str, Any],
    chat: Optional[dict[str, Any]] = None,
    update_id: Optional[int] = None,
    **content: Any,
) -> dict[str, Any]:
    """An update with a message; ``content`` is e.g. text=..., contact=..., document=..."""
    message = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": chat or private_chat(from_user["id"], from_user.get("first_name", "Test")),
        "from": from_user,
        **content,
    }
    if isinstance(content.get("text"), str) and content["text"].startswith("/"):
        command = content["text"].split()[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"update_id": update_id if update_id is not None else next_update_id(), "message": message}


def text_update(from_user: dict[str, Any], text: str, **kwargs: Any) -> dict[str, Any]:
    return message_update(from_user, text=text, **kwargs)


def callback_update(
    from_user: dict[str, Any],
    data: str,
    chat: Optional[dict[str, Any]] = None,
    update_id: Optional[int] = None,
    message: Optional[dict[str, Any]] = None,
) -> dict[str, Any]:
    """A press of the button ``data``; ``message`` is the bot message it was on (as the fake
    sent it: :meth:`FakeTelegram.sent_messages`), else a made-up one."""
    chat = chat or private_chat(from_user["id"], from_user.get("first_name", "Test"))
    if message is None:
        message = {"message_id": next(_message_ids), "date": int(time.time()), "chat": chat, "text": "…"}
    on = {"message_id": message["message_id"], "date": message.get("date") or int(time.time()), "chat": chat}
    on["from"] = BOT_USER
    on["text"] = message.get("text", "…")
    if message.get("reply_markup"):
        on["reply_markup"] = message["reply_markup"]
    return {
        "update_id": update_id if update_id is not None else next_update_id(),
        "callback_query": {
            "id": str(next_update_id()) + "7",
            "from": from_user,
            "chat_instance": "-4242",
            "data": data,
            "message": on,
        },
    }


def contact_update(from_user: dict[str, Any], phone: str, own: bool = True, **kwargs: Any) -> dict[str, Any]:
    contact: dict[str, Any] = {"phone_number": phone, "first_name": from_user.get("first_name", "Test")}
    contact["user_id"] = from_user["id"] if own else from_user["id"] + 1
    return message_update(from_user, contact=contact, **kwargs)


def document_update(
    from_user: dict[str, Any],
    file_name: str = "complaint.pdf",
    size: int = 12345,
    mime_type: str = "application/pdf",
    **kwargs: Any,
) -> dict[str, Any]:
    document = {
        "file_id": f"BQACAgIAAxkBAAI{next_update_id()}",
        "file_unique_id": f"AgAD{next_update_id()}",
        "file_name": file_name,
        "mime_type": mime_type,
        "file_size": size,
    }
    return message_update(from_user, document=document, **kwargs)


def photo_update(
    from_user: dict[str, Any], sizes=((90, 67, 1200), (320, 240, 15000), (1280, 960, 120000)), **kwargs: Any
) -> dict[str, Any]:
    base = next_update_id()
    photo = [
        {
            "file_id": f"AgACAgIAAxkBAAI{base}_{w}",
            "file_unique_id": f"AQAD{base}_{w}",
            "width": w,
            "height": h,
            "file_size": s,
        }
        for w, h, s in sizes
    ]
    return message_update(from_user, photo=photo, **kwargs)


def group_chat(chat_id: int = -1001234567890, kind: str = "supergroup") -> dict[str, Any]:
    return {"id": chat_id, "type": kind, "title": "Some group"}
