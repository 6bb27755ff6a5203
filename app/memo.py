"""A small thread-safe LRU for results of pure computations.

Used for engine answers (the engine is a pure function of request and hardware spec; the key includes the full
spec, so a catalog edit is a new key, never a stale answer) and for reports of saved plans (immutable).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


class LruMemo:
    def __init__(self, maxsize: int = 1024) -> None:
        self._data: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._maxsize = maxsize

    def peek(self, key: str) -> Any | None:
        """The stored value, or None (no computing)."""
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        return None

    def get_or_compute(self, key: str, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        value = compute()  # outside the lock: engine work runs in parallel threads
        with self._lock:
            self._data[key] = value
            if len(self._data) > self._maxsize:
                self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
