"""Telegram update ids claimed once across every Rasa replica (Redis ``SET NX EX``).

With ``REDIS_HOST`` set (:mod:`akyikatchy.service.settings`) the first replica to claim an
``update_id`` processes it; a second delivery, to this or another replica, is skipped.  Keys
live ``CLAIM_TTL`` seconds (Telegram stops redelivering long before).  Without Redis, or
when Redis fails, :meth:`SharedUpdateIds.claim` says yes: the per-process memory
(:class:`akyikatchy.telegram.dispatch.UpdateIds`) still drops repeats, and an update is never
dropped because Redis is sick.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from akyikatchy.service.settings import KEY_PREFIX, Redis

logger = logging.getLogger(__name__)

CLAIM_TTL = 24 * 3600
TIMEOUT = 2.0


class SharedUpdateIds:
    def __init__(self, redis: Optional[Redis] = None, bot_key: str = "bot") -> None:
        self.redis = redis
        self.prefix = f"{KEY_PREFIX}:telegram:update:{bot_key}:"
        self._client: Any = None

    @classmethod
    def from_env(cls, token: Optional[str]) -> SharedUpdateIds:
        bot_key = (token or "none").split(":", 1)[0]  # the bot's numeric id, never the secret
        return cls(Redis.from_env(), bot_key)

    @property
    def shared(self) -> bool:
        return self.redis is not None

    def _redis(self) -> Any:
        if self._client is None and self.redis is not None:
            self._client = self.redis.async_client(TIMEOUT)
        return self._client

    async def claim(self, update_id: int) -> bool:
        """True if this process should process ``update_id`` (first claim, or no Redis)."""
        client = self._redis()
        if client is None:
            return True
        try:
            return bool(await client.set(f"{self.prefix}{update_id}", b"1", nx=True, ex=CLAIM_TTL))
        except Exception as error:  # noqa: BLE001 - never drop an update because Redis is sick
            logger.warning(
                "Telegram: shared de-duplication unavailable (%s); processing", type(error).__name__
            )
            return True

    async def release(self, update_id: int) -> None:
        """Forget a claim (the update was refused before processing, so it will come again)."""
        client = self._redis()
        if client is None:
            return
        try:
            await client.delete(f"{self.prefix}{update_id}")
        except Exception:  # noqa: BLE001
            pass

    async def close(self) -> None:
        if self._client is not None:
            try:
                await self._client.close()
            except Exception:  # noqa: BLE001
                pass
            self._client = None
