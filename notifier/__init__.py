"""The outbox sender: delivers staff news to citizens (and announcements to a staff chat)
over the Telegram Bot API.  Run with ``python -m notifier``; see :mod:`notifier.sender`."""
