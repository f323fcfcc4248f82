"""A background writer: chunk N is written while the caller prepares chunk N+1.

Its ``with`` block ends only when every submitted chunk is written, so a ``foreachBatch``
sink that writes through it still returns (and lets Spark commit) after its writes.
Design: docs/stream.md#sink
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")
_STOP = object()


class BackgroundWriter(Generic[T]):
    """Runs ``write`` on each submitted item, in order, on one thread of its own.

    The queue holds at most ``depth`` items, so a slow writer holds the producer back
    instead of letting chunks pile up in memory. The first failure stops further writes
    (later items are dropped) and is raised by :meth:`submit` or when the block ends.
    """

    def __init__(self, write: Callable[[T], int], *, depth: int = 1, name: str = "writer") -> None:
        self._write = write
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self.written = 0
        self.busy_s = 0.0  # time spent writing: how much work the overlap hid
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self) -> BackgroundWriter[T]:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._queue.put(_STOP)
        self._thread.join()
        if exc is None:  # the caller's own error wins over the writer's
            self._raise()

    def submit(self, item: T) -> None:
        """Queue ``item`` (blocks while the queue is full); raises a failed write's error."""
        self._raise()
        self._queue.put(item)

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (item := self._queue.get()) is not _STOP:
            if self._error is not None:
                continue  # keep draining so submit never blocks on a dead writer
            started = time.perf_counter()
            try:
                self.written += self._write(item)  # type: ignore[arg-type]
            except BaseException as exc:  # re-raised in the caller's thread
                self._error = exc
            self.busy_s += time.perf_counter() - started
