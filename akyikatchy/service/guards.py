"""Never silent, never leaking: three small guards around Rasa 3.6.21, applied once.

:func:`apply` is called where the speed fixes are (``akyikatchy.nlg.LanguageAwareNLG``), so
every Rasa server of the project runs with them; refused on another Rasa version like
:mod:`akyikatchy.rasa_patches`.

1. ``Agent.handle_message`` (every channel: REST, Telegram, polling):
   * a message longer than ``MESSAGE_LIMIT`` (4096, Telegram's own limit) is cut **before**
     understanding and the user is told (``utter_message_truncated``);
   * when the lock store or the tracker store fails (Redis or PostgreSQL down), or anything
     else escapes Rasa, the user gets ``utter_service_unavailable`` ("try again") in the
     language of the message instead of silence; replies of the unsaved turn are withdrawn
     from a collecting (REST) channel so the client never sees progress that was not kept.
2. ``RemoteAction.run``: when the action server is down or an action fails, Rasa would log
   and say nothing.  The guard answers ``utter_action_failed`` in the user's language; for a
   form's validation action it also puts back the slots this message had set, so the form
   asks the same question again and no unvalidated value is kept.
   ``ActionExecutionRejection`` is Rasa's own control flow and passes through.
3. Logging: Rasa logs the full message text (e.g. ``rest.message.received.failure`` at ERROR
   when a client disconnects).  A structlog processor and a logging filter replace message
   texts with their length.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from akyikatchy.rasa_patches import Originals, check_rasa_version

logger = logging.getLogger(__name__)

MESSAGE_LIMIT = 4096
TEXT_KEYS = frozenset(
    {
        "text",
        "message",
        "user_text",
        "response_text",
        "parse_data_text",
        "tracker_latest_message",
        "user_message",
        "json_message",
        "slot_values",
        "slot_candidates",
        "prefilled_slots",
        "parse_data_entities",
        "rasa_event",
        "rasa_events",
        "prediction_events",
    }
)

originals = Originals()


def redact_event_dict(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: message texts become ``<redacted: N chars>``."""
    for key in TEXT_KEYS & set(event_dict):
        value = event_dict[key]
        size = len(value) if isinstance(value, (str, list, dict)) else 0
        event_dict[key] = f"<redacted: {size}>"
    return event_dict


class RedactTextFilter(logging.Filter):
    """Drops the arguments of Rasa's logs that quote a user's message."""

    MARKERS = ("Received user message", "user message", "UserUttered", "text=")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg if isinstance(record.msg, str) else ""
        if record.name.startswith("rasa") and any(m in message for m in self.MARKERS):
            record.msg = f"{message.split(chr(10))[0][:60]} <message text redacted>"
            record.args = ()
        return True


def install_log_redaction() -> None:
    import structlog

    config = structlog.get_config()
    processors = list(config.get("processors") or [])
    if redact_event_dict not in processors:
        structlog.configure(processors=[redact_event_dict, *processors])
    redact = RedactTextFilter()
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactTextFilter) for f in handler.filters):
            handler.addFilter(redact)


async def _tell(agent: Any, message: Any, response: str, ask_store: bool = False) -> Optional[dict[str, Any]]:
    """Send one domain response in the conversation's language (else the message's); never raises."""
    import asyncio

    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from akyikatchy.rasa_language import LANGUAGE_SLOT

    try:
        processor = agent.processor
        tracker = DialogueStateTracker(message.sender_id or "unknown", processor.domain.slots)
        if ask_store:
            try:
                stored = await asyncio.wait_for(processor.tracker_store.retrieve(message.sender_id), 2.0)
            except Exception:  # noqa: BLE001 - the language of the message will do
                stored = None
            if stored is not None and stored.get_slot(LANGUAGE_SLOT):
                tracker.update(SlotSet(LANGUAGE_SLOT, stored.get_slot(LANGUAGE_SLOT)))
        tracker.update(UserUttered(message.text, metadata=message.metadata))
        output = message.output_channel
        draft = await processor.nlg.generate(response, tracker, output.name())
        if draft:
            draft = {**draft, "utter_action": response}
            await output.send_response(message.sender_id, draft)
        return draft
    except Exception as error:  # noqa: BLE001 - a guard must not fail
        logger.error("Could not send %s (%s)", response, type(error).__name__)
        return None


async def handle_message(self: Any, message: Any) -> Any:
    """``Agent.handle_message`` that cuts long messages and never leaves the user silent."""
    import asyncio

    from rasa.core.channels.channel import CollectingOutputChannel

    if isinstance(message.text, str) and len(message.text) > MESSAGE_LIMIT:
        logger.info("Message of %d characters cut to %d", len(message.text), MESSAGE_LIMIT)
        message.text = message.text[:MESSAGE_LIMIT]
        await _tell(self, message, "utter_message_truncated", ask_store=True)
    output = message.output_channel
    already = len(output.messages) if isinstance(output, CollectingOutputChannel) else 0
    try:
        return await originals["handle_message"](self, message)
    except asyncio.CancelledError:
        raise
    except Exception as error:  # noqa: BLE001 - the user must hear something
        logger.error("Message not processed (%s); the user is asked to try again", type(error).__name__)
        if isinstance(output, CollectingOutputChannel):
            del output.messages[already:]  # that turn was not saved: do not show it
        await _tell(self, message, "utter_service_unavailable")
        return output.messages if isinstance(output, CollectingOutputChannel) else None


async def remote_action_run(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> Any:
    """``RemoteAction.run`` that apologises instead of failing silently."""
    from rasa.core.actions.action import ActionExecutionRejection, create_bot_utterance
    from rasa.shared.core.events import SlotSet, UserUttered

    try:
        return await originals["remote_action_run"](self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise
    except Exception as error:  # noqa: BLE001 - action server down, timeout, bad answer
        logger.error(
            "Action %s failed (%s); the user is told to try again", self.name(), type(error).__name__
        )
        events: list[Any] = []
        if self.name().startswith("validate_"):
            latest = max(
                (i for i, e in enumerate(tracker.events) if isinstance(e, UserUttered)), default=None
            )
            if latest is not None:
                set_now = {e.key for e in list(tracker.events)[latest:] if isinstance(e, SlotSet)}
                before: dict[str, Any] = {}
                for event in list(tracker.events)[:latest]:
                    if isinstance(event, SlotSet):
                        before[event.key] = event.value
                events += [
                    SlotSet(name, before.get(name)) for name in sorted(set_now) if name != "requested_slot"
                ]
        try:
            draft = await nlg.generate("utter_action_failed", tracker, output_channel.name())
        except Exception:  # noqa: BLE001
            draft = None
        if draft:
            events.insert(0, create_bot_utterance({**draft, "utter_action": "utter_action_failed"}))
        return events


def applied() -> bool:
    return bool(originals)


def apply() -> None:
    """Install the guards; idempotent.  Refused on another Rasa version."""
    check_rasa_version()
    install_log_redaction()
    if applied():
        return
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent

    originals.replace("handle_message", Agent, "handle_message", handle_message)
    originals.replace("remote_action_run", RemoteAction, "run", remote_action_run)


def undo() -> None:
    """Put Rasa's original functions back (for tests)."""
    originals.restore()
