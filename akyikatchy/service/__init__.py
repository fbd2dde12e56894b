"""The Rasa server as a service: stores, failure guards, retention.

==================  ==================================================================
module              what
==================  ==================================================================
``settings``        the environment variables (``POSTGRES_*``, ``REDIS_*``, retention)
``tracker_store``   ``ConversationTrackerStore``: PostgreSQL when configured, else memory;
                    database work off the event loop, bounded retries; erasure of history
``lock_store``      ``ConversationLockStore``: Redis when configured, else memory
``guards``          never silent: apology on action failure, "try again" when a store is
                    down, messages cut at 4096 characters, message text kept out of logs
``purge``           ``python -m akyikatchy.service.purge --days N``: idle conversations
==================  ==================================================================

Not a training input (the Makefile retrains on ``akyikatchy/*.py`` only).
"""
