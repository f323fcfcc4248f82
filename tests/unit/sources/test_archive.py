"""Archive readers: every supported layout, lazily, with positions for bad records."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from trendstream.sources.archive import iter_records

TWEET = {"id": "1", "author_id": "9", "text": "hi", "created_at": "2025-06-01T00:00:00Z"}


def test_jsonl_yields_dicts_and_raw_bad_lines_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"a": 1}\n\n{broken\n[1, 2]\n\xff\xfe\n{"b": 2}\r\n')
    assert list(iter_records(path)) == [
        ({"a": 1}, "a.jsonl:1"),
        (b"{broken", "a.jsonl:3"),
        (b"[1, 2]", "a.jsonl:4"),
        (b"\xff\xfe", "a.jsonl:5"),
        ({"b": 2}, "a.jsonl:6"),
    ]


def test_oversized_lines_stay_raw(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    big = json.dumps({"text": "x" * 5000}).encode()
    path.write_bytes(big + b"\n")
    assert list(iter_records(path, max_record_bytes=1000)) == [(big, "big.jsonl:1")]


def test_gzip_is_detected_by_content(tmp_path: Path) -> None:
    path = tmp_path / "c.data"
    path.write_bytes(gzip.compress(b'{"a": 1}\n{"b": 2}\n'))
    assert [r for r, _ in iter_records(path)] == [{"a": 1}, {"b": 2}]


def test_json_array_of_v1_statuses_and_bad_tail(tmp_path: Path) -> None:
    path = tmp_path / "statuses.json"
    path.write_text(json.dumps([{"id_str": "1"}, 5, {"id_str": "2"}], indent=2))
    assert list(iter_records(path)) == [
        ({"id_str": "1"}, "statuses.json#0"),
        (b"5", "statuses.json#1"),
        ({"id_str": "2"}, "statuses.json#2"),
    ]
    broken = tmp_path / "broken.json"
    broken.write_text('[{"a": 1}, {"b": tru')
    assert list(iter_records(broken)) == [
        ({"a": 1}, "broken.json#0"),
        (b'{"b": tru', "broken.json#1"),
    ]


def test_large_array_is_read_in_chunks(tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    items = [{"id": str(i), "text": "y" * 300} for i in range(10000)]  # ~3.5 MB, > chunk size
    path.write_text(json.dumps(items))
    out = list(iter_records(path))
    assert [r["id"] for r, _ in out] == [str(i) for i in range(10000)]
    assert out[-1][1] == "many.json#9999"


def test_v2_response_page_is_split_with_its_author(tmp_path: Path) -> None:
    page = {
        "data": [TWEET, {**TWEET, "id": "2", "author_id": "8"}],
        "includes": {"users": [{"id": "9", "username": "nine"}]},
        "meta": {"result_count": 2},
    }
    pretty = tmp_path / "page.json"
    pretty.write_text(json.dumps(page, indent=2))
    lines = tmp_path / "pages.jsonl"
    lines.write_text(json.dumps(page) + "\n" + json.dumps({"statuses": [{"id_str": "3"}]}) + "\n")
    assert list(iter_records(pretty)) == [
        ({"data": TWEET, "includes": {"users": [{"id": "9", "username": "nine"}]}}, "page.json#0"),
        (
            {"data": {**TWEET, "id": "2", "author_id": "8"}, "includes": {"users": []}},
            "page.json#1",
        ),
    ]
    assert [p for _, p in iter_records(lines)] == [
        "pages.jsonl:1#0",
        "pages.jsonl:1#1",
        "pages.jsonl:2#0",
    ]


def test_reading_is_lazy(tmp_path: Path) -> None:
    path = tmp_path / "lazy.jsonl"
    path.write_bytes(b'{"a": 1}\n' * 1000)
    records = iter_records(path)
    assert next(records) == ({"a": 1}, "lazy.jsonl:1")  # a generator, nothing read ahead


def test_jsonl_blocks_keep_whole_lines_and_line_numbers(tmp_path: Path) -> None:
    from trendstream.sources.archive import is_jsonl, iter_lines, jsonl_blocks

    path = tmp_path / "blocks.jsonl"
    lines = [json.dumps({"n": i, "pad": "p" * (i % 7)}).encode() for i in range(500)]
    path.write_bytes(b"\n".join(lines) + b"\n{torn")
    array = tmp_path / "array.json"
    array.write_text("[1]")
    assert is_jsonl(path) and not is_jsonl(array)
    records = []
    for first, block in jsonl_blocks(path, block_bytes=97):
        assert block.endswith(b"\n") or block == b"{torn"
        records.extend(iter_lines(block.split(b"\n"), path.name, first_line=first))
    assert records == list(iter_records(path))
    assert records[-1] == (b"{torn", "blocks.jsonl:501")
