"""The model's tokenizer without transformers: its ``tokenizer.json`` run by ``tokenizers``.

Hugging Face's fast tokenizer runs this same file's pipeline (normaliser, pre-tokeniser,
WordPiece, post-processor); loading it directly takes milliseconds where importing
transformers and sentence-transformers takes seconds, which every job start and Spark
executor would pay. Models without the file fall back to transformers' ``AutoTokenizer``.
Design: docs/encoding.md#tokenizer
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TOKENIZER_FILE = "tokenizer.json"
# texts -> each text's token ids (special tokens added, truncated to max_length, unpadded).
TokenIds = Callable[[list[str]], list[list[int]]]


@dataclass(frozen=True)
class Tokenizer:
    """What the encoder needs of a tokenizer: ids per text, and the id to pad batches with."""

    token_ids: TokenIds
    pad_id: int


def load_tokenizer(source: Path, max_length: int) -> Tokenizer:
    if not (source / TOKENIZER_FILE).is_file():
        return _auto_tokenizer(source, max_length)
    from tokenizers import Tokenizer as RustTokenizer

    backend = RustTokenizer.from_file(str(source / TOKENIZER_FILE))
    pad_token = (backend.padding or {}).get("pad_token") or _configured_pad_token(source)
    pad_id = backend.token_to_id(pad_token) if pad_token else None
    backend.no_padding()  # batches are padded per length bucket by the encoder
    backend.enable_truncation(max_length)

    def token_ids(texts: list[str]) -> list[list[int]]:
        return [e.ids for e in backend.encode_batch(texts, add_special_tokens=True)]

    return Tokenizer(token_ids, pad_id or 0)


def _configured_pad_token(source: Path) -> str | None:
    for name in ("special_tokens_map.json", "tokenizer_config.json"):
        path = source / name
        if path.is_file():
            token = json.loads(path.read_text()).get("pad_token")
            if isinstance(token, dict):  # {"content": "[PAD]", ...}
                token = token.get("content")
            if token:
                return token
    return None


def _auto_tokenizer(source: Path, max_length: int) -> Tokenizer:
    from transformers import AutoTokenizer

    return from_transformers(
        AutoTokenizer.from_pretrained(str(source), local_files_only=True), max_length
    )


def from_transformers(tokenizer: Any, max_length: int) -> Tokenizer:
    """A transformers tokenizer (e.g. a loaded SentenceTransformer's) with the same contract."""

    def token_ids(texts: list[str]) -> list[list[int]]:
        return tokenizer(
            texts,
            add_special_tokens=True,
            truncation=True,
            max_length=max_length,
            padding=False,
            return_attention_mask=False,
            return_token_type_ids=False,
        )["input_ids"]

    return Tokenizer(token_ids, tokenizer.pad_token_id or 0)
