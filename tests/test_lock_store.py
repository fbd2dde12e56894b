"""The Redis lock store (akyikatchy/service/lock_store.py) against the real Redis: one
message of a conversation at a time across stores (replicas), in order, and a dead holder
does not block the conversation for longer than the lock lifetime."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from rasa.core.lock_store import LockError

from akyikatchy.service.lock_store import AtomicRedisLockStore
from akyikatchy.service.settings import Redis

REDIS = Redis(host="127.0.0.1", port=6379, db=14)


@pytest.fixture
def stores():
    import redis

    try:
        redis.Redis(host=REDIS.host, port=REDIS.port, socket_timeout=2).ping()
    except redis.exceptions.ConnectionError as error:
        pytest.skip(f"Redis unreachable: {error}")
    prefix = f"test-{uuid.uuid4().hex[:8]}"  # two replicas of one deployment share the prefix
    return [AtomicRedisLockStore(REDIS, key_prefix=prefix) for _ in range(2)]


def test_two_replicas_never_hold_one_conversation_at_once_and_serve_in_order(stores):
    inside, order, overlaps = set(), [], []

    async def message(i: int) -> None:
        await asyncio.sleep(i * 0.005)  # arrival order
        async with stores[i % 2].lock("conv", lock_lifetime=10):
            if inside:
                overlaps.append(i)
            inside.add(i)
            order.append(i)
            await asyncio.sleep(0.01)
            inside.discard(i)

    async def main() -> None:
        await asyncio.gather(*(message(i) for i in range(12)))

    asyncio.run(main())
    assert overlaps == []
    assert order == list(range(12))


def test_other_conversations_are_not_held_up(stores):
    async def main() -> float:
        async with stores[0].lock("busy", lock_lifetime=10):
            loop = asyncio.get_running_loop()
            started = loop.time()
            async with stores[1].lock("free", lock_lifetime=10):
                return loop.time() - started

    assert asyncio.run(main()) < 1.0


def test_a_dead_holder_is_waited_for_only_the_ticket_ttl(stores):
    survivor = AtomicRedisLockStore(REDIS, key_prefix=stores[0].prefix.split(":")[0], ticket_ttl=0.5)

    async def main() -> float:
        # A holder whose process died: its ticket is taken and never renewed or given back.
        ticket, first = await survivor.take_ticket("stuck")
        assert ticket == first
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with survivor.lock("stuck", lock_lifetime=30):
            return loop.time() - started

    assert 0.3 < asyncio.run(main()) < 5


def test_a_long_message_keeps_its_lock(stores):
    slow = AtomicRedisLockStore(REDIS, key_prefix=stores[0].prefix.split(":")[0], ticket_ttl=0.3)
    inside, overlaps = set(), []

    async def message(i: int, seconds: float) -> None:
        await asyncio.sleep(i * 0.01)
        async with slow.lock("long", lock_lifetime=10):
            if inside:
                overlaps.append(i)
            inside.add(i)
            await asyncio.sleep(seconds)  # longer than the ticket's ttl: renewed meanwhile
            inside.discard(i)

    async def main() -> None:
        await asyncio.gather(message(0, 1.2), message(1, 0.05))

    asyncio.run(main())
    assert overlaps == []


def test_the_keys_are_gone_after_the_last_message(stores):
    import redis

    async def main() -> None:
        async with stores[0].lock("tidy", lock_lifetime=10):
            pass

    asyncio.run(main())
    client = redis.Redis(host=REDIS.host, port=REDIS.port, db=REDIS.db)
    assert client.keys(stores[0].prefix + "tidy*") == []


def test_an_unreachable_redis_is_a_lock_error():
    store = AtomicRedisLockStore(Redis(host="127.0.0.1", port=1, db=0))

    async def main() -> None:
        async with store.lock("x", lock_lifetime=1):
            pass

    with pytest.raises(LockError):
        asyncio.run(main())
