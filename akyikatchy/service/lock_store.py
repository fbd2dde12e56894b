"""``ConversationLockStore``: one message of a conversation at a time (named in endpoints.yml).

In Redis when ``REDIS_HOST`` is set (database ``REDIS_LOCK_DB``, keys prefixed
``akyikatchy``), so that several Rasa processes or replicas never work on one conversation
at once; Rasa's in-memory lock store otherwise (one process). Rasa builds it with
``ConversationLockStore(endpoint_config=...)``; ``__new__`` returns the chosen store.

Why not Rasa's ``RedisLockStore``: it reads a ticket list, changes it in Python and writes it
back (up to six blocking round trips per message, on the event loop), so two replicas issuing
a ticket at the same moment can overwrite each other's. Here each step is one Lua script, run
atomically by Redis: taking a ticket (which also says whether it is already this ticket's
turn), checking the turn while waiting, and giving the ticket back. Tickets are served in
order. A ticket is renewed while its process waits or works, and expires ``TICKET_TTL``
seconds after its process died (Rasa's expires only after the whole lock lifetime, 60 s).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore

from akyikatchy.service.settings import KEY_PREFIX, Redis

logger = logging.getLogger(__name__)

SOCKET_TIMEOUT = 5.0
WAIT_STEP = 0.02  # seconds between looks at the queue while another message is served
# A ticket lives this long unless its process renews it (a holder every third of it, a
# waiter at each look): a replica killed mid-message holds its conversations up for at
# most this long, not Rasa's whole lock lifetime (60 s).
TICKET_TTL = float(os.environ.get("LOCK_TICKET_TTL", "") or 6.0)

# KEYS: ticket counter, queue (ticket -> expiry in ms). ARGV: now ms, ttl ms.
# Drops expired tickets, adds a new one; returns {ticket, lowest ticket alive}.
_TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
local ticket = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], tonumber(ARGV[1]) + tonumber(ARGV[2]), ticket)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
local by_number = redis.call('SORT', KEYS[2], 'LIMIT', 0, 1)
return {ticket, tonumber(by_number[1])}
"""
# KEYS: ticket counter, queue. ARGV: now ms, ticket, ttl ms. Renews the ticket; returns 1
# when it is the lowest one alive, 0 while an earlier one is served, -1 when it expired.
_TURN = """
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
if not redis.call('ZSCORE', KEYS[2], ARGV[2]) then return -1 end
redis.call('ZADD', KEYS[2], 'XX', tonumber(ARGV[1]) + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
local by_number = redis.call('SORT', KEYS[2], 'LIMIT', 0, 1)
if tonumber(by_number[1]) == tonumber(ARGV[2]) then return 1 end
return 0
"""
# KEYS: ticket counter, queue. ARGV: ticket. Gives the ticket back; the last one out
# removes both keys.
_GIVE_BACK = """
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('ZCARD', KEYS[2]) == 0 then redis.call('DEL', KEYS[1], KEYS[2]) end
return 1
"""


class AtomicRedisLockStore(LockStore):
    """Ticket locks in Redis, each step one atomic script (module docstring)."""

    def __init__(self, redis: Redis, key_prefix: str = KEY_PREFIX, ticket_ttl: float = TICKET_TTL) -> None:
        self.client = redis.async_client(SOCKET_TIMEOUT)
        self.prefix = f"{key_prefix}:lock:"
        self.ticket_ttl = ticket_ttl
        self._take = self.client.register_script(_TAKE)
        self._turn = self.client.register_script(_TURN)
        self._give_back = self.client.register_script(_GIVE_BACK)

    def _keys(self, conversation_id: str) -> list[str]:
        base = self.prefix + conversation_id
        return [base + ":ticket", base + ":queue"]

    async def take_ticket(self, conversation_id: str) -> tuple[int, int]:
        """A new ticket and the lowest ticket alive (the one being served)."""
        ttl_ms = int(self.ticket_ttl * 1000)
        try:
            ticket, first = await self._take(keys=self._keys(conversation_id), args=[_now_ms(), ttl_ms])
        except Exception as error:  # noqa: BLE001 - any Redis failure
            raise LockError(f"Could not take a ticket ({type(error).__name__})") from error
        return int(ticket), int(first)

    async def _renew(self, conversation_id: str, ticket: int) -> int:
        ttl_ms = int(self.ticket_ttl * 1000)
        try:
            return int(await self._turn(keys=self._keys(conversation_id), args=[_now_ms(), ticket, ttl_ms]))
        except Exception as error:  # noqa: BLE001
            raise LockError(f"Could not check the lock ({type(error).__name__})") from error

    @asynccontextmanager
    async def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1
    ) -> AsyncIterator[TicketLock]:
        ticket, first = await self.take_ticket(conversation_id)
        keeper = None
        try:
            if first != ticket:
                await self._wait_for_turn(conversation_id, ticket, lock_lifetime)
            keeper = asyncio.ensure_future(self._keep_alive(conversation_id, ticket))
            yield TicketLock(conversation_id)
        finally:
            if keeper is not None:
                keeper.cancel()
            try:
                await self._give_back(keys=self._keys(conversation_id), args=[ticket])
            except Exception as error:  # noqa: BLE001 - the ticket expires by itself
                logger.warning("Could not give a lock ticket back (%s)", type(error).__name__)

    async def _keep_alive(self, conversation_id: str, ticket: int) -> None:
        """Renew the held ticket while the message is processed."""
        while True:
            await asyncio.sleep(self.ticket_ttl / 3)
            try:
                await self._renew(conversation_id, ticket)
            except LockError:
                logger.warning("Could not renew a held lock ticket; retrying")

    async def _wait_for_turn(self, conversation_id: str, ticket: int, lock_lifetime: float) -> None:
        give_up = time.monotonic() + lock_lifetime
        while time.monotonic() < give_up:
            await asyncio.sleep(WAIT_STEP)
            turn = await self._renew(conversation_id, ticket)
            if turn == 1:
                return
            if turn == -1:
                break
        raise LockError(f"Ticket {ticket} expired before its turn")

    # Rasa's LockStore interface; the ticket logic above replaces the stored TicketLock.
    def get_lock(self, conversation_id: str) -> None:
        return None

    def delete_lock(self, conversation_id: str) -> None:
        return None

    def save_lock(self, lock: TicketLock) -> None:
        return None


def _now_ms() -> int:
    return int(time.time() * 1000)


class ConversationLockStore(LockStore):
    def __new__(cls, endpoint_config: Any = None) -> LockStore:  # type: ignore[misc]
        redis = Redis.from_env()
        if redis is None:
            logger.info("Conversation locks are kept in memory (REDIS_HOST is not set)")
            return InMemoryLockStore()
        logger.info("Conversation locks are kept in Redis (%s:%s, db %s)", redis.host, redis.port, redis.db)
        return AtomicRedisLockStore(redis)
