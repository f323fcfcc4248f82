"""Where a transactional file ingest stands: one compacted record per file.

Written in the same transaction as the file's records, so a re-run resumes exactly.
Design: docs/kafka.md#ingest-progress
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from trendstream.core.settings import Settings
from trendstream.kafka.admin import ingest_progress_topic
from trendstream.kafka.reader import read_all

_EDGE_BYTES = 1 << 20


def file_key(settings: Settings, path: Path) -> str:
    """A file's identity for resuming: size, first and last MiB (a copy or a renamed file
    resumes; a changed one starts over), and the topics its records go to."""
    digest = hashlib.blake2b(digest_size=16)
    size = path.stat().st_size
    digest.update(str(size).encode())
    with path.open("rb") as stream:
        digest.update(stream.read(_EDGE_BYTES))
        if size > _EDGE_BYTES:
            stream.seek(max(_EDGE_BYTES, size - _EDGE_BYTES))
            digest.update(stream.read(_EDGE_BYTES))
    k = settings.kafka
    digest.update(f"{k.tweets_topic}\0{k.engagements_topic}\0{k.dead_letter_topic}".encode())
    return digest.hexdigest()


def transactional_id(keys: list[str]) -> str:
    """The ingest's transactional.id: the same files into the same topics get the same id,
    so a re-run fences a dead predecessor and aborts its open transaction."""
    return (
        "trendstream-ingest-"
        + hashlib.blake2b("\0".join(keys).encode(), digest_size=16).hexdigest()
    )


@dataclass(frozen=True)
class FileProgress:
    key: str
    name: str
    records: int
    complete: bool

    def record(self) -> tuple[bytes, bytes]:
        """``(key, value)`` of this progress as a record of the progress topic."""
        value = {
            "name": self.name,
            "records": self.records,
            "complete": self.complete,
            "updated_at": time.time(),
        }
        return self.key.encode(), orjson.dumps(value)


def read_progress(
    settings: Settings, keys: list[str], *, timeout: float = 30.0
) -> dict[str, FileProgress]:
    """The latest committed progress of each of ``keys`` found in the progress topic."""
    wanted, found = set(keys), {}
    for message in read_all(settings, ingest_progress_topic(settings), timeout=timeout):
        key = message.key().decode()
        if key in wanted:
            value = orjson.loads(message.value())
            found[key] = FileProgress(key, value["name"], value["records"], value["complete"])
    return found
