"""One appeals store per action-server process, used off the event loop.

Every database call of an action goes through :func:`call_store`: it runs in a small
thread pool (``AKY_STORAGE_THREADS``), never on the event loop, so a slow or hanging
database cannot stall other conversations or the health check; and it is bounded overall
by ``AKY_STORAGE_TIMEOUT_S`` (default 5 s), after which the action gets a
:class:`StorageError` and tells the user to try again.  The store itself uses short
PostgreSQL statement and lock timeouts (:func:`appeals.config.interactive_timeouts`), so
the database gives up about when the user is told; a call that still finishes late is
harmless because submissions are idempotent on their key.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Optional, TypeVar

from appeals.config import database_url, interactive_timeouts, storage_call_timeout, storage_threads
from appeals.db import StorageError
from appeals.store import AppealStore

T = TypeVar("T")

_store: Optional[AppealStore] = None
_executor: Optional[ThreadPoolExecutor] = None
_lock = threading.Lock()


def get_store() -> AppealStore:
    global _store
    if _store is None:
        with _lock:
            if _store is None:
                _store = AppealStore(database_url(), timeouts=interactive_timeouts())
    return _store


def _get_executor() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        with _lock:
            if _executor is None:
                _executor = ThreadPoolExecutor(max_workers=storage_threads(), thread_name_prefix="appeals-db")
    return _executor


async def call_store(operation: Callable[[AppealStore], T], doing: str) -> T:
    """``operation(store)`` in a database thread, within the storage time limit.

    Raises :class:`StorageError` when the database fails or does not answer in time
    (``doing`` names the operation in the log line; it never holds personal data).
    """
    timeout = storage_call_timeout()

    def work() -> T:
        return operation(get_store())

    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(_get_executor(), work)
    try:
        return await asyncio.wait_for(future, timeout)
    except asyncio.TimeoutError:
        raise StorageError(f"database did not answer within {timeout:g} s while {doing}") from None
    except StorageError:
        raise
    except ValueError as error:  # invalid DATABASE_URL or input the store refuses
        raise StorageError(f"storage refused {doing} ({type(error).__name__})") from error
