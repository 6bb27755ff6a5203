"""In-process cache of catalog reads: rendered item and list responses, and engine specs of catalog rows.

Catalog reads dominate traffic and the catalog changes rarely. Any commit that touched a catalog row clears this
process's cache at once (SQLAlchemy session events, so API, web forms and imports are all covered). Other worker
processes notice within `RACKPLAN_CATALOG_CACHE_SECONDS`: at most that often each worker reads a fingerprint of
the catalog (row counts, latest update, version sums: one small query) and clears its cache when it changed. So
a read is at most that many seconds stale in another worker; writes always check the database (If-Match), never
the cache. 0 disables the cache.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.catalog import repository
from app.catalog.models import CatalogRow


@dataclass(frozen=True)
class Entry:
    value: Any
    stored_at: float


MAX_AGE_S = 600.0  # safety net: no entry outlives this, whatever the fingerprint says


class ReadCache:
    def __init__(self, max_entries: int = 2048) -> None:
        self._entries: dict[str, Entry] = {}
        self._lock = threading.Lock()
        self._max_entries = max_entries
        self._fingerprint: Any = None
        self._checked_at = -math.inf

    def refresh_due(self, interval_s: float) -> bool:
        return time.monotonic() - self._checked_at >= interval_s

    def observe(self, fingerprint: Any) -> None:
        """Record the catalog's current fingerprint; a different one than last time clears the cache."""
        with self._lock:
            if fingerprint != self._fingerprint:
                self._entries.clear()
                self._fingerprint = fingerprint
            self._checked_at = time.monotonic()

    def lookup(self, key: str, ttl_s: float = MAX_AGE_S) -> Any | None:
        """The value stored under `key` if it is younger than `ttl_s`, else None."""
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry.stored_at > ttl_s:
            return None
        return entry.value

    def store(self, key: str, value: Any) -> None:
        with self._lock:
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            self._entries[key] = Entry(value, time.monotonic())

    def invalidate(self) -> None:
        with self._lock:
            self._entries.clear()


CACHE = ReadCache()


def refresh(session_factory: Callable[[], Session], interval_s: float) -> None:
    """Compare the catalog fingerprint at most every `interval_s` (writes by other processes clear the cache)."""
    if interval_s > 0 and CACHE.refresh_due(interval_s):
        with session_factory() as session:
            CACHE.observe(repository.catalog_fingerprint(session))


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
