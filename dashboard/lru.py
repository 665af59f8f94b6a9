"""A bounded map that forgets the least recently used entry first, safe across threads: the
server's memory of what it has already made for a snapshot (light pages, feeds, histories).
Keys hold the snapshot id, so a new publication is simply a miss and the old snapshot's
entries age out."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable


class LRU:
    """At most `budget` units of `size(value)` (default: one per entry)."""

    def __init__(self, budget: int, size: Callable[[object], int] = lambda value: 1):
        self.budget, self.size = budget, size
        self._items: OrderedDict = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()  # filled from request threads, read on the event loop

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._used -= self.size(old)
            self._items[key] = value
            self._used += self.size(value)
            while self._used > self.budget and len(self._items) > 1:
                _, dropped = self._items.popitem(last=False)
                self._used -= self.size(dropped)

    def __len__(self) -> int:
        return len(self._items)
