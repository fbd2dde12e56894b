"""The bot's command menu, per language: ``setMyCommands`` for Kyrgyz, Russian and the default.

The commands are those :mod:`akyikatchy.telegram.updates` maps; each description is the
``utter_command_<name>`` response of ``domain/dialogue.yml`` in that language.  Telegram shows a
user the list for their app's language (``language_code`` ``ky`` / ``ru``), else the default
one, in Kyrgyz (the state language; CONTRACT.md).  Set by the webhook CLI and when polling
starts; a failure is logged, never fatal.
"""

from __future__ import annotations

import logging
from typing import Optional

from telegram import Bot, BotCommand
from telegram.error import TelegramError

from akyikatchy.telegram.bot import describe_error
from akyikatchy.telegram.texts import Responses, domain_responses, text_for
from core.language import DEFAULT_LANGUAGE, LANGUAGES

logger = logging.getLogger(__name__)

# The menu's order; each must be a key of updates.COMMANDS.
MENU = ("start", "help", "status", "language", "cancel")


def menu_commands(language: str, responses: Optional[Responses] = None) -> list[BotCommand]:
    """The menu in ``language`` (a command without a description in the domain is left out)."""
    responses = responses if responses is not None else domain_responses()
    commands = []
    for command in MENU:
        description = text_for(responses, f"utter_command_{command}", language)
        if description:
            commands.append(BotCommand(command, description.strip()[:256]))
        else:
            logger.warning(
                "Telegram: no utter_command_%s in the domain; /%s not in the menu", command, command
            )
    return commands


def menus(responses: Optional[Responses] = None) -> list[tuple[Optional[str], list[BotCommand]]]:
    """(language_code, commands) for each language, then the default (None)."""
    out: list[tuple[Optional[str], list[BotCommand]]] = [
        (language, menu_commands(language, responses)) for language in LANGUAGES
    ]
    out.append((None, menu_commands(DEFAULT_LANGUAGE, responses)))
    return out


async def set_commands(bot: Bot, token: Optional[str] = None, responses: Optional[Responses] = None) -> bool:
    """setMyCommands for ky, ru and the default; True when Telegram accepted all three."""
    ok = True
    for language, commands in menus(responses):
        try:
            if language is None:
                accepted = await bot.set_my_commands(commands)
            else:
                accepted = await bot.set_my_commands(commands, language_code=language)
            ok = ok and bool(accepted)
        except TelegramError as error:
            ok = False
            logger.warning(
                "Telegram: setMyCommands (%s) failed (%s)",
                language or "default",
                describe_error(error, token),
            )
    return ok
