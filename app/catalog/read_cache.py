"""In-process cache of rendered catalog reads (item and list responses).

Catalog reads dominate traffic and the catalog changes rarely. A response is kept for at most
`RACKPLAN_CATALOG_CACHE_SECONDS`; any commit that touched a catalog row clears this process's cache at once
(SQLAlchemy session events, so API, web forms and imports are all covered). Other worker processes see the
change when their entries expire, so a read may be at most that many seconds stale there; writes always
check the database (If-Match), never the cache. 0 disables the cache.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.catalog.models import CatalogRow


@dataclass(frozen=True)
class CachedResponse:
    body: bytes
    headers: dict[str, str]
    stored_at: float


class ReadCache:
    def __init__(self, max_entries: int = 2048) -> None:
        self._entries: dict[str, CachedResponse] = {}
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def lookup(self, key: str, ttl_s: float) -> CachedResponse | None:
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry.stored_at > ttl_s:
            return None
        return entry

    def store(self, key: str, body: bytes, headers: dict[str, str]) -> None:
        with self._lock:
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            self._entries[key] = CachedResponse(body, headers, time.monotonic())

    def invalidate(self) -> None:
        with self._lock:
            self._entries.clear()


CACHE = ReadCache()


@event.listens_for(Session, "after_flush")
def _mark_catalog_change(session: Session, _flush_context: Any) -> None:
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, CatalogRow) for obj in touched):
        session.info["catalog_changed"] = True


@event.listens_for(Session, "after_commit")
def _invalidate_on_commit(session: Session) -> None:
    if session.info.pop("catalog_changed", False):
        CACHE.invalidate()


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, _previous: Any) -> None:
    session.info.pop("catalog_changed", None)
