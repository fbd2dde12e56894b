"""Button presses before Rasa: the first press of a live keyboard marks the choice on its message
(``✓ <title>``, keyboard removed) and goes on; a stale or repeated press is answered with
``utter_already_done`` in the conversation's language and goes no further.

:class:`PressHandling` is mixed into :class:`akyikatchy.telegram.sending.TelegramOutput` (it
uses its ``call``, ``send_text``, ``keyboards`` and ``agent_provider``); the keyboard state
itself is :mod:`akyikatchy.telegram.keyboards`.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from akyikatchy.telegram.keyboards import STALE
from akyikatchy.telegram.settings import MESSAGE_LIMIT
from akyikatchy.telegram.texts import domain_responses, responses_of_agent, text_for
from akyikatchy.telegram.updates import Inbound, Pressed
from core.language import DEFAULT_LANGUAGE, LANGUAGE_SLOT, LANGUAGES

logger = logging.getLogger(__name__)

CHOSEN_MARK = "\u2713"  # shown before the pressed button's title on its message
ALREADY_DONE = "utter_already_done"


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def chosen_text(text: Optional[str], title: Optional[str]) -> Optional[str]:
    """The pressed message's text with the choice appended, or None when it cannot be shown."""
    if not text or not title:
        return None
    edited = f"{text}\n\n{CHOSEN_MARK} {title}"
    return edited if _utf16_len(edited) <= MESSAGE_LIMIT else None


class PressHandling:
    """What TelegramOutput does with a button press before Rasa sees it."""

    async def admit(self, inbound: Inbound) -> bool:
        """Whether ``inbound`` goes on to Rasa (False: a stale press, already answered here).

        Never raises: a problem lets the update through, as before keyboards were tracked.
        """
        if inbound.chat_id is None:
            return True
        try:
            pressed = inbound.pressed if inbound.callback_query_id else None
            verdict = await self.keyboards.inbound(inbound.chat_id, pressed.message_id if pressed else None)
            if verdict == STALE:
                logger.info(
                    "Telegram: update %d is a stale button press; not sent to Rasa", inbound.update_id
                )
                await self.send_already_done(inbound)
                return False
            if pressed is not None:
                await self.mark_chosen(inbound.chat_id, pressed)
        except Exception as error:  # noqa: BLE001 - never lose an update over its keyboard
            logger.warning("Telegram: keyboard check failed (%s); update let through", type(error).__name__)
        return True

    async def mark_chosen(self, chat_id: int, pressed: Pressed) -> None:
        """Edit the pressed button's message: the choice shown with ✓, the keyboard removed."""
        text = chosen_text(pressed.text, pressed.title)
        if text is not None:
            done = await self.call(
                "edit_message_text", chat_id=chat_id, message_id=pressed.message_id, text=text
            )
            if done is not None:
                return
        await self.call("edit_message_reply_markup", chat_id=chat_id, message_id=pressed.message_id)

    async def send_already_done(self, inbound: Inbound) -> None:
        language = await self.conversation_language(inbound.sender_id, inbound.metadata)
        agent = self.agent_provider() if self.agent_provider else None
        responses = responses_of_agent(agent) or domain_responses()
        text = text_for(responses, ALREADY_DONE, language)
        if text:
            await self.send_text(str(inbound.chat_id), text)
        else:
            logger.error("Telegram: no %s response in the domain", ALREADY_DONE)

    async def conversation_language(self, sender_id: Optional[str], metadata: Any) -> str:
        """The ``language`` slot once set, else Telegram's language_code, else Kyrgyz."""
        agent = self.agent_provider() if self.agent_provider else None
        store = getattr(agent, "tracker_store", None)
        if store is not None and sender_id:
            try:
                tracker = await store.retrieve(sender_id)
            except Exception as error:  # noqa: BLE001
                logger.warning("Telegram: tracker not read (%s)", type(error).__name__)
                tracker = None
            if tracker is not None:
                was_set = any(getattr(e, "key", None) == LANGUAGE_SLOT for e in tracker.events)
                language = tracker.get_slot(LANGUAGE_SLOT)
                if was_set and language in LANGUAGES:
                    return language
        code = metadata.get("language_code") if isinstance(metadata, dict) else None
        code = code.lower()[:2] if isinstance(code, str) else None
        return code if code in LANGUAGES else DEFAULT_LANGUAGE
