"""The Telegram channel for Rasa 3.6, built on python-telegram-bot 22, split by concern.

==================  ==================================================================
module              what
==================  ==================================================================
``settings``        environment variable names, Telegram's limits, :class:`Settings`
``bot``             the ``Bot`` (made on first use), flood-control waits, safe error text
``updates``         one Telegram update -> the text and metadata Rasa gets (pure)
``sending``         Rasa's responses -> Telegram: split at 4096, keyboards, bounded retries
``dispatch``        each update once, one user's updates in order, errors contained
``keyboards``       which inline keyboards are live, the share-contact keyboard (memory/Redis)
``presses``         a press before Rasa: the choice marked with ✓, a stale press "already done"
``texts``           the channel's own texts (``utter_already_done``, menu) from the domain
``commands``        the command menu per language (setMyCommands ky, ru, default)
``polling``         getUpdates inside the Rasa server (``TELEGRAM_POLLING=1``)
``channel``         ``TelegramInput``, the input channel named in credentials.yml (webhook)
``webhook_cli``     ``python -m akyikatchy.telegram.webhook_cli``: setWebhook and its secret
``polling_cli``     ``python -m akyikatchy.telegram.polling_cli`` (``make telegram``)
==================  ==================================================================

Only private chats are served.  This package is not a training input: editing it never
retrains the model.  Importing it imports nothing (the CLIs stay light).
"""
