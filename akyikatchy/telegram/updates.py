"""One Telegram update -> the text and metadata Rasa gets (pure: no network, no Rasa).

* commands ``/start /help /language /cancel /status`` -> ``/greet /help /switch_language
  /cancel /check_appeal_status``; other text as typed;
* a pressed inline button -> its callback data (the button's payload); :class:`Pressed` keeps
  the message it was on (id, text, the button's title) so the channel can mark the choice;
* a shared contact -> the phone number with a leading ``+`` (metadata ``contact: true`` when
  it is the user's own contact; someone else's contact goes like a typed number);
* a photo (largest size) or document -> ``/attachment`` with metadata ``attachment``
  (file_id, file_unique_id, name, mime_type, size, kind; a caption is ignored);
* anything else a user can send (sticker, voice, location, ...) -> ``/unsupported_message``;
* nothing from groups, supergroups, channels or bots, and no service messages (``reason``
  says why).

Metadata always holds ``telegram_user_id``, ``language_code``, ``chat_type`` and
``update_id``; ``sender_id`` is the Telegram user id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from telegram import Update

COMMANDS = {
    "start": "/greet",
    "help": "/help",
    "language": "/switch_language",
    "cancel": "/cancel",
    "status": "/check_appeal_status",
}
ATTACHMENT_TEXT = "/attachment"
UNSUPPORTED_TEXT = "/unsupported_message"
PRIVATE = "private"

# Message fields that mean "the user sent something we do not handle".
_UNSUPPORTED_CONTENT = (
    "sticker",
    "voice",
    "audio",
    "video",
    "video_note",
    "animation",
    "location",
    "venue",
    "poll",
    "dice",
    "game",
    "story",
    "paid_media",
    "checklist",
    "invoice",
)


@dataclass
class Pressed:
    """The bot message whose inline button was pressed."""

    message_id: int
    text: Optional[str] = None  # the message's text (None for a caption or an inaccessible message)
    title: Optional[str] = None  # the pressed button's title, when the keyboard is in the update


@dataclass
class Inbound:
    """What one Telegram update means for Rasa.

    ``text`` is None when nothing goes to Rasa; ``reason`` then says why (for the log).
    """

    update_id: int
    text: Optional[str] = None
    sender_id: Optional[str] = None
    chat_id: Optional[int] = None
    chat_type: Optional[str] = None
    metadata: dict[str, Any] = field(default_factory=dict)
    callback_query_id: Optional[str] = None
    pressed: Optional[Pressed] = None
    reason: Optional[str] = None


def command_text(text: str) -> str:
    """Map the bot's commands to Rasa payloads; any other text unchanged."""
    stripped = text.strip()
    if stripped.startswith("/"):
        head = stripped.split(maxsplit=1)[0][1:]
        command = head.split("@", 1)[0].lower()
        if command in COMMANDS:
            return COMMANDS[command]
    return text


def normalize_contact_phone(phone: str) -> str:
    phone = (phone or "").strip()
    if phone and not phone.startswith("+"):
        phone = "+" + phone
    return phone


def attachment_of(message: Any) -> Optional[dict[str, Any]]:
    """The attachment metadata of a photo (largest size) or document message."""
    if message.photo:
        photo = max(
            message.photo,
            key=lambda p: (p.file_size or 0, (p.width or 0) * (p.height or 0)),
        )
        return {
            "file_id": photo.file_id,
            "file_unique_id": photo.file_unique_id,
            "name": None,
            "mime_type": "image/jpeg",
            "size": photo.file_size,
            "kind": "photo",
        }
    document = message.document
    if document is not None:
        return {
            "file_id": document.file_id,
            "file_unique_id": document.file_unique_id,
            "name": document.file_name,
            "mime_type": document.mime_type,
            "size": document.file_size,
            "kind": "document",
        }
    return None


def pressed_of(query: Any) -> Optional[Pressed]:
    """The message a callback query's button was on, and the pressed button's title."""
    message = query.message
    if message is None or not getattr(message, "message_id", None):
        return None
    title = None
    markup = getattr(message, "reply_markup", None)
    for row in getattr(markup, "inline_keyboard", None) or ():
        for button in row:
            if button.callback_data == query.data:
                title = button.text
                break
        if title is not None:
            break
    return Pressed(message.message_id, getattr(message, "text", None), title)


def convert_update(update: Update) -> Inbound:
    """Turn a parsed Telegram update into the text and metadata Rasa gets (pure)."""
    inbound = Inbound(update_id=update.update_id)
    query = update.callback_query
    if query is not None:
        inbound.callback_query_id = query.id
        user = query.from_user
        chat = query.message.chat if query.message is not None else None
        message = None
    elif update.message is not None:
        message = update.message
        user = message.from_user
        chat = message.chat
    else:
        inbound.reason = "update type not handled"
        return inbound

    inbound.chat_id = chat.id if chat is not None else None
    inbound.chat_type = chat.type if chat is not None else None
    if chat is None or chat.type != PRIVATE:
        inbound.reason = f"not a private chat ({inbound.chat_type or 'unknown'})"
        return inbound
    if user is None or user.is_bot:
        inbound.reason = "no human sender"
        return inbound

    inbound.sender_id = str(user.id)
    inbound.metadata = {
        "telegram_user_id": user.id,
        "language_code": user.language_code,
        "chat_type": chat.type,
        "update_id": update.update_id,
    }

    if query is not None:
        if not query.data:
            inbound.reason = "callback query without data"
            return inbound
        inbound.text = query.data
        inbound.pressed = pressed_of(query)
        return inbound

    if message.text is not None:
        inbound.text = command_text(message.text)
        if not inbound.text.strip():
            inbound.text = None
            inbound.reason = "empty text"
    elif message.contact is not None:
        contact = message.contact
        inbound.text = normalize_contact_phone(contact.phone_number)
        if contact.user_id is not None and contact.user_id == user.id:
            inbound.metadata["contact"] = True
        if not inbound.text:
            inbound.text = None
            inbound.reason = "contact without phone number"
    elif message.photo or message.document is not None:
        inbound.text = ATTACHMENT_TEXT
        inbound.metadata["attachment"] = attachment_of(message)
    elif any(getattr(message, name, None) for name in _UNSUPPORTED_CONTENT):
        inbound.text = UNSUPPORTED_TEXT
    else:
        inbound.reason = "service message"
    return inbound
