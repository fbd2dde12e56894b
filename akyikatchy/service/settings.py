"""Where conversations live, from the environment (the names of ``deploy/.env.example``).

PostgreSQL (tracker store) is used when ``POSTGRES_HOST`` is set, Redis (lock store and the
Telegram de-duplication) when ``REDIS_HOST`` is set; otherwise both stay in memory, which is
right for a laptop and a single process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Optional, TypeVar

ENV_PG_HOST = "POSTGRES_HOST"
ENV_PG_PORT = "POSTGRES_PORT"
ENV_PG_DB = "POSTGRES_DB"
ENV_PG_USER = "POSTGRES_USER"
ENV_PG_PASSWORD = "POSTGRES_PASSWORD"
ENV_REDIS_HOST = "REDIS_HOST"
ENV_REDIS_PORT = "REDIS_PORT"
ENV_REDIS_PASSWORD = "REDIS_PASSWORD"
ENV_REDIS_DB = "REDIS_LOCK_DB"  # locks and Telegram de-duplication share this database
ENV_RETENTION_DAYS = "CONVERSATION_RETENTION_DAYS"

DEFAULT_RETENTION_DAYS = 90
KEY_PREFIX = "akyikatchy"

T = TypeVar("T")
Number = TypeVar("Number", int, float)


def env_number(name: str, default: Number, kind: type[Number]) -> Number:
    """The variable ``name`` as an ``int`` or a ``float`` (``kind``); ``default`` when it is
    unset, blank or not a number.

    Shared with the Telegram settings: a typo in a deployment's environment falls back to the
    default instead of stopping the server."""
    try:
        return kind(os.environ.get(name, "") or default)
    except ValueError:
        return default


def _configured(service: type[T], host_variable: str, **settings: Any) -> Optional[T]:
    """``service`` on the host named by ``host_variable``; None when that is unset or blank.

    The one rule for every store: a service without a host is not configured and stays in
    memory (module docstring)."""
    host = os.environ.get(host_variable, "").strip()
    return service(host=host, **settings) if host else None


@dataclass(frozen=True)
class Postgres:
    host: str
    port: int = 5432
    db: str = "akyikatchy"
    username: Optional[str] = None
    password: Optional[str] = None

    @classmethod
    def from_env(cls) -> Optional[Postgres]:
        return _configured(
            cls,
            ENV_PG_HOST,
            port=env_number(ENV_PG_PORT, 5432, int),
            db=os.environ.get(ENV_PG_DB) or "akyikatchy",
            username=os.environ.get(ENV_PG_USER) or None,
            password=os.environ.get(ENV_PG_PASSWORD) or None,
        )


@dataclass(frozen=True)
class Redis:
    host: str
    port: int = 6379
    db: int = 1
    password: Optional[str] = None

    @classmethod
    def from_env(cls) -> Optional[Redis]:
        return _configured(
            cls,
            ENV_REDIS_HOST,
            port=env_number(ENV_REDIS_PORT, 6379, int),
            db=env_number(ENV_REDIS_DB, 1, int),
            password=os.environ.get(ENV_REDIS_PASSWORD) or None,
        )

    def connection(self) -> dict[str, Any]:
        """Where to connect, as the keyword arguments every Redis client here takes (the lock
        store's and :meth:`async_client`)."""
        return {"host": self.host, "port": self.port, "db": self.db, "password": self.password}

    def async_client(self, timeout: float) -> Any:
        """A ``redis.asyncio`` client on these settings that gives up after ``timeout`` seconds.

        One way to connect for the Telegram de-duplication and keyboard state: both fall back
        rather than hang a message on a sick Redis.  ``redis`` is imported on first use, so a
        deployment without Redis never loads it."""
        import redis.asyncio as aioredis

        return aioredis.Redis(**self.connection(), socket_timeout=timeout, socket_connect_timeout=timeout)


def retention_days() -> int:
    return env_number(ENV_RETENTION_DAYS, DEFAULT_RETENTION_DAYS, int)
