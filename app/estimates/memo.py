"""A small thread-safe LRU for engine results.

The engine is a pure function of its inputs, so an identical request on identical hardware gives an identical
answer: the live preview and procurement scripts repeat requests often. The key includes the full hardware spec,
so a catalog edit (new price, new TDP) is a different key, never a stale answer.
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
