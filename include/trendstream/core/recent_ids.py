"""Bounded memory of recently seen ids, shared by ingest dedupe and live-source reconnects."""

from __future__ import annotations

from collections import deque


class RecentIds:
    """Membership over the last ``capacity`` ids: a set plus a FIFO of insertion order."""

    __slots__ = ("capacity", "_set", "_order")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._set: set[str] = set()
        self._order: deque[str] = deque()

    def add(self, value: str) -> bool:
        """Add ``value``; False if it was already there."""
        if value in self._set:
            return False
        self._set.add(value)
        self._order.append(value)
        if len(self._order) > self.capacity:
            self._set.discard(self._order.popleft())
        return True
