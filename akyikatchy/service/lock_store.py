"""``ConversationLockStore``: one message of a conversation at a time (named in endpoints.yml).

Rasa's Redis lock store when ``REDIS_HOST`` is set (database ``REDIS_LOCK_DB``, keys prefixed
``akyikatchy``), so that several Rasa processes or replicas never work on one conversation
at once; Rasa's in-memory lock store otherwise (one process).  Rasa builds it with
``ConversationLockStore(endpoint_config=...)``; ``__new__`` returns the chosen store.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore

from akyikatchy.service.settings import KEY_PREFIX, Redis

logger = logging.getLogger(__name__)

SOCKET_TIMEOUT = 5.0


class ConversationLockStore(LockStore):
    def __new__(cls, endpoint_config: Any = None) -> LockStore:  # type: ignore[misc]
        redis = Redis.from_env()
        if redis is None:
            logger.info("Conversation locks are kept in memory (REDIS_HOST is not set)")
            return InMemoryLockStore()
        logger.info("Conversation locks are kept in Redis (%s:%s, db %s)", redis.host, redis.port, redis.db)
        return RedisLockStore(**redis.connection(), key_prefix=KEY_PREFIX, socket_timeout=SOCKET_TIMEOUT)
