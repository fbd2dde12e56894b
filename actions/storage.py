"""One appeals store per action-server process (configured by DATABASE_URL)."""

from __future__ import annotations

import threading
from typing import Optional

from appeals.config import database_url
from appeals.store import AppealStore

_store: Optional[AppealStore] = None
_lock = threading.Lock()


def get_store() -> AppealStore:
    global _store
    if _store is None:
        with _lock:
            if _store is None:
                _store = AppealStore(database_url())
    return _store
