"""Lazy readers for tweet archives: JSONL, JSON documents, optionally gzip-compressed.

Unparseable records come out raw with their position, so they can be dead-lettered.
Design: docs/sources.md#archives
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from trendstream.core.schema import DEFAULT_LIMITS

Record = dict[str, Any] | bytes
_CHUNK = 1 << 20


def open_archive(path: Path | str) -> IO[bytes]:
    """The file as a binary stream, transparently gunzipped (by magic bytes, not suffix)."""
    path = Path(path)
    raw = path.open("rb")
    if raw.peek(2)[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw


def iter_records(
    path: Path | str, *, max_record_bytes: int = DEFAULT_LIMITS.max_record_bytes
) -> Iterator[tuple[Record, str]]:
    """Every record of the archive at ``path`` with its position, lazily."""
    path = Path(path)
    with open_archive(path) as stream:
        buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(stream)
        layout = _layout(buffered)
        if layout == "array":
            yield from _iter_json_array(buffered, path.name)
        elif layout == "document":
            yield from _iter_document(buffered.read(), path.name)
        else:
            yield from iter_lines(buffered, path.name, max_record_bytes)


def _layout(stream: io.BufferedReader) -> str:
    """ "array" (top-level JSON list), "document" (pretty-printed object) or "lines"."""
    head = stream.peek(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] == b"[":
        return "array"
    if head.split(b"\n", 1)[0].strip() == b"{":
        return "document"
    return "lines"


def is_jsonl(path: Path | str) -> bool:
    """True for line-per-record archives (what :func:`jsonl_blocks` can split)."""
    with open_archive(path) as stream:
        buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(stream)
        return _layout(buffered) == "lines"


def jsonl_blocks(path: Path | str, block_bytes: int = 2 << 20) -> Iterator[tuple[int, bytes]]:
    """``(first line number, block of whole lines)`` of a JSONL archive, for parallel parsing.

    Raises ``ValueError`` for JSON documents/arrays, which only :func:`iter_records` reads.
    """
    with open_archive(path) as stream:
        buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(stream)
        if _layout(buffered) != "lines":
            raise ValueError(f"{path} is not JSONL")
        line = 1
        carry = b""
        while chunk := buffered.read(block_bytes):
            block = carry + chunk
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                carry = block
                continue
            carry = block[cut:]
            yield line, block[:cut]
            line += block.count(b"\n", 0, cut)
        if carry:
            yield line, carry


def iter_lines(
    lines: Iterable[bytes],
    name: str,
    max_record_bytes: int = DEFAULT_LIMITS.max_record_bytes,
    first_line: int = 1,
) -> Iterator[tuple[Record, str]]:
    """JSONL lines → records; ``first_line`` numbers positions when reading a block."""
    loads = orjson.loads
    lineno = first_line - 1
    for line in lines:
        lineno += 1
        if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        stripped = line.strip()
        if not stripped:
            continue
        if len(stripped) > max_record_bytes:
            yield stripped, f"{name}:{lineno}"
            continue
        try:
            obj = loads(stripped)
        except orjson.JSONDecodeError:
            yield stripped, f"{name}:{lineno}"
            continue
        if type(obj) is dict and not _is_page(obj):
            yield obj, f"{name}:{lineno}"  # the common case, without a generator hop
        else:
            yield from _records_of(obj, stripped, f"{name}:{lineno}")


def _records_of(obj: Any, raw: bytes, where: str) -> Iterator[tuple[Record, str]]:
    """A decoded top-level value → records: a page splits (``where#i``), an object passes,
    anything else stays raw for the dead-letter topic."""
    if isinstance(obj, dict) and _is_page(obj):
        for index, record in enumerate(_expand_page(obj)):
            yield record, f"{where}#{index}"
    elif isinstance(obj, dict):
        yield obj, where
    else:
        yield raw, where


def _is_page(obj: dict[str, Any]) -> bool:
    return isinstance(obj.get("data"), list) or isinstance(obj.get("statuses"), list)


def _expand_page(obj: dict[str, Any]) -> Iterator[Record]:
    """One v2 response page (tweets + includes) or v1.1 search page → single records."""
    if isinstance(obj.get("statuses"), list):
        for status in obj["statuses"]:
            yield status if isinstance(status, dict) else orjson.dumps(status)
        return
    users: dict[str, Any] = {}
    includes = obj.get("includes")
    if isinstance(includes, dict) and isinstance(includes.get("users"), list):
        users = {str(u.get("id")): u for u in includes["users"] if isinstance(u, dict)}
    for tweet in obj["data"]:
        if not isinstance(tweet, dict):
            yield orjson.dumps(tweet)
            continue
        user = users.get(str(tweet.get("author_id")))
        yield {"data": tweet, "includes": {"users": [user] if user else []}}


def _iter_document(data: bytes, name: str) -> Iterator[tuple[Record, str]]:
    """A whole (pretty-printed) JSON object: a response page or a single record."""
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError:
        yield data, name
        return
    yield from _records_of(obj, data, name)


def _iter_json_array(stream: IO[bytes], name: str) -> Iterator[tuple[Record, str]]:
    """Elements of a top-level JSON array, decoded one at a time from 1 MB chunks.

    An element that cannot be decoded ends the walk: the rest of the file is yielded
    raw as one bad record, since a JSON array cannot be resynchronised reliably.
    """
    decoder = json.JSONDecoder()
    reader = io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape")
    buf = reader.read(_CHUNK).lstrip("\ufeff \t\r\n")[1:]  # drop the "["
    eof = False
    index = 0
    while True:
        pos = _skip(buf, 0)
        if pos < len(buf) and buf[pos] == "]":
            return
        try:
            value, end = decoder.raw_decode(buf, pos)
        except json.JSONDecodeError:
            if not eof:
                more = reader.read(_CHUNK)
                eof = not more
                buf = buf[pos:] + more
                continue
            rest = buf[pos:].encode("utf-8", errors="surrogateescape").strip()
            if rest:
                yield rest, f"{name}#{index}"
            return
        if end >= len(buf) and not eof:  # a bare number may continue in the next chunk
            more = reader.read(_CHUNK)
            eof = not more
            buf = buf[pos:] + more
            continue
        record: Record = value if isinstance(value, dict) else orjson.dumps(value)
        yield record, f"{name}#{index}"
        index += 1
        buf = buf[end:]
        if len(buf) < _CHUNK // 2 and not eof:
            more = reader.read(_CHUNK)
            eof = not more
            buf += more


def _skip(buf: str, pos: int) -> int:
    """Past whitespace and the separating comma."""
    n = len(buf)
    while pos < n and buf[pos] in " \t\r\n,":
        pos += 1
    return pos
