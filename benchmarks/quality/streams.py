"""Generated streams for the quality harness, parsed and embedded once and cached.

The harness scores the engine on posts embedded in-process with the configured offline
model (the same model and the same ``clean_text`` the stream job uses), so a seed's
embeddings are computed once and reused from ``CACHE_DIR`` on later runs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trendstream.core.schema import Tweet, parse_event
from trendstream.core.settings import ModelSettings
from trendstream.encode.text import clean_text
from trendstream.sources.generator import GeneratorConfig, generate_stream
from trendstream.trends.posts import Posts

CACHE_DIR = Path(__file__).resolve().parents[1] / "results" / ".cache"


@dataclass(frozen=True)
class EmbeddedStream:
    seed: int
    posts: Posts
    ground_truth: dict[str, Any]


def embedded_stream(
    seed: int,
    minutes: float,
    rate: float,
    model: ModelSettings,
    cache_dir: Path = CACHE_DIR,
    profile: str = "clean",
) -> EmbeddedStream:
    """Generate a stream, parse every tweet with the one validator, embed ``clean_text``."""
    generated = generate_stream(
        GeneratorConfig(seed=seed, minutes=minutes, rate=rate, profile=profile)
    )
    tweets = [e for e in (parse_event(line) for line in generated.tweets) if isinstance(e, Tweet)]
    texts = [clean_text(t.text) for t in tweets]
    vectors = cached_embeddings(texts, model, cache_dir)
    posts = Posts(
        ids=[t.id for t in tweets],
        vectors=vectors,
        created_ms=np.array([int(t.created_at.timestamp() * 1000) for t in tweets], np.int64),
        texts=[t.text for t in tweets],
        hashtags=[tuple(h.lower() for h in t.hashtags) for t in tweets],
        engagement=np.array(
            [
                t.metrics.like_count
                + t.metrics.retweet_count
                + t.metrics.reply_count
                + t.metrics.quote_count
                for t in tweets
            ],
            np.float64,
        ),
        author_ids=[t.author_id for t in tweets],
        likes=np.array([t.metrics.like_count for t in tweets], np.float64),
        quotes=np.array([t.metrics.quote_count for t in tweets], np.float64),
    )
    return EmbeddedStream(seed=seed, posts=posts, ground_truth=generated.ground_truth)


def cached_embeddings(
    texts: list[str], model: ModelSettings, cache_dir: Path = CACHE_DIR
) -> np.ndarray:
    """Embeddings by text, from a per-model cache of unique texts (templated posts repeat
    a lot, and the cache survives changes to the generator); only new texts are encoded."""
    model_key = hashlib.sha256(
        json.dumps(
            [model.name, model.path, model.max_seq_length, model.backend, model.quantize]
        ).encode()
    ).hexdigest()[:12]
    path = cache_dir / f"texts-{model_key}.npz"
    known: dict[str, np.ndarray] = {}
    if path.is_file():
        with np.load(path) as stored:
            known = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=False))
    keys = [hashlib.sha1(text.encode()).hexdigest() for text in texts]
    missing = list(dict.fromkeys(k for k in keys if k not in known))
    if missing:
        from trendstream.encode.model import encode_texts

        first_text = {k: t for k, t in zip(keys, texts, strict=False)}
        fresh = encode_texts([first_text[k] for k in missing], model)
        known.update(zip(missing, fresh, strict=False))
        cache_dir.mkdir(parents=True, exist_ok=True)
        np.savez(path, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
    return np.stack([known[k] for k in keys]).astype(np.float32)
