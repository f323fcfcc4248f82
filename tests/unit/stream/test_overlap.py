"""BackgroundWriter: in-order writes off the caller's thread, all done when the block ends."""

from __future__ import annotations

import threading
import time

import pytest

from trendstream.stream.overlap import BackgroundWriter


def test_every_item_is_written_in_order_before_the_block_ends() -> None:
    written: list[int] = []

    def write(item: int) -> int:
        time.sleep(0.01)  # slower than the producer: the queue must hold it back
        written.append(item)
        return 1

    with BackgroundWriter(write) as writer:
        for i in range(20):
            writer.submit(i)
    assert written == list(range(20))
    assert writer.written == 20
    assert writer.busy_s >= 20 * 0.01


def test_writes_run_on_another_thread_while_the_caller_works() -> None:
    threads: set[int] = set()
    started = threading.Event()

    def write(_item: str) -> int:
        threads.add(threading.get_ident())
        started.set()
        return 1

    with BackgroundWriter(write) as writer:
        writer.submit("a")
        assert started.wait(5.0)  # written while the block is still open
    assert threads and threading.get_ident() not in threads


def test_a_failed_write_is_raised_and_stops_later_writes() -> None:
    written: list[int] = []

    def write(item: int) -> int:
        if item == 1:
            raise ConnectionError("milvus down")
        written.append(item)
        return 1

    with pytest.raises(ConnectionError, match="milvus down"):
        with BackgroundWriter(write) as writer:
            for i in range(5):
                writer.submit(i)
    assert written == [0]


def test_the_callers_error_wins_and_the_writer_is_still_joined() -> None:
    writer = BackgroundWriter(lambda _item: 1)
    with pytest.raises(ValueError, match="encode failed"):
        with writer:
            writer.submit(0)
            raise ValueError("encode failed")
    assert writer.written == 1
