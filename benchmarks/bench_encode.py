"""Model-only encode rate: sentence-transformers' default vs our bucketed path vs int8.

All paths encode the same generated tweet-like texts with the same model on the same
torch thread count, alternating round by round (the machine is shared, so only ratios
measured in one run mean anything):

* **fixed_pad**: every batch padded to ``max_seq_length`` (what the model's tokenizer.json
  does by default, ``padding: Fixed 128``, and what a naive HF pipeline does);
* **st_default**: ``SentenceTransformer.encode`` (sorts by characters, pads per batch);
* **bucketed**: :func:`trendstream.encode.model.encode_texts` (sorted by token count,
  padded per batch, forward through the model directly);
* **bucketed_int8**: the same with ``torch.ao`` dynamic int8 quantisation of Linear layers.

Quality of each path against fp32 (``st_default``): mean/min cosine of the same text's
vectors and the mean top-10 neighbour overlap (for each text, its 10 nearest other texts
by cosine in both vector sets). ``int8`` is recommended as the CPU default only when it is
>= 2x faster than ``st_default`` *and* keeps overlap >= 0.9.

    .venv/bin/python benchmarks/bench_encode.py [--texts 2000] [--rounds 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results" / "encode.json"
OVERLAP_BAR = 0.9
SPEEDUP_BAR = 2.0


def tweet_texts(n: int, seed: int = 11) -> list[str]:
    """``n`` texts from the synthetic stream (chatter, trends, decoys; several languages)."""
    import orjson

    from trendstream.sources.generator import GeneratorConfig, generate_stream

    minutes = max(1.0, n / (20 * 60) * 1.2)
    stream = generate_stream(GeneratorConfig(seed=seed, minutes=minutes, rate=20))
    texts = [orjson.loads(line)["data"]["text"] for line in stream.tweets]
    if len(texts) < n:
        raise RuntimeError(f"generator gave {len(texts)} texts, wanted {n}")
    return texts[:n]


def top_k_overlap(reference: np.ndarray, candidate: np.ndarray, k: int = 10) -> float:
    """Mean share of each row's k nearest neighbours (self excluded) that both sets agree on."""

    def neighbours(vectors: np.ndarray) -> np.ndarray:
        sims = vectors @ vectors.T
        np.fill_diagonal(sims, -np.inf)
        return np.argpartition(-sims, k, axis=1)[:, :k]

    ref, cand = neighbours(reference), neighbours(candidate)
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(ref, cand, strict=False)]))


def fixed_pad_encoder(model, max_len: int, batch_size: int) -> Callable[[list[str]], np.ndarray]:
    import torch

    def encode(texts: list[str]) -> np.ndarray:
        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                features = model.tokenizer(
                    texts[start : start + batch_size],
                    padding="max_length",
                    truncation=True,
                    max_length=max_len,
                    return_tensors="pt",
                )
                out.append(model(dict(features))["sentence_embedding"].numpy())
        return np.vstack(out)

    return encode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=2000, help="number of texts (default 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--batch-size", type=int, default=64, help="batch size (default 64)")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"JSON path ({RESULTS})")
    args = parser.parse_args()

    import torch

    from trendstream.core.settings import ModelSettings
    from trendstream.encode.model import get_encoder

    fp32_settings = ModelSettings(threads=args.threads, batch_size=args.batch_size, device="cpu")
    int8_settings = fp32_settings.model_copy(update={"quantize": "int8"})
    fp32, int8 = get_encoder(fp32_settings), get_encoder(int8_settings)
    torch.set_num_threads(args.threads)
    texts = tweet_texts(args.texts)
    tokens = [
        len(ids)
        for ids in fp32.model.tokenizer(texts, truncation=True, max_length=128)["input_ids"]
    ]
    paths: dict[str, Callable[[list[str]], np.ndarray]] = {
        "fixed_pad": fixed_pad_encoder(fp32.model, fp32_settings.max_seq_length, args.batch_size),
        "st_default": lambda t: fp32.model.encode(
            t, batch_size=args.batch_size, normalize_embeddings=True, convert_to_numpy=True
        ),
        "bucketed": fp32.encode,
        "bucketed_int8": int8.encode,
    }
    for encode in paths.values():  # warm-up: allocator, kernels, lazy init
        encode(texts[:64])

    rates: dict[str, list[float]] = {name: [] for name in paths}
    vectors: dict[str, np.ndarray] = {}
    for round_no in range(args.rounds):
        for name, encode in paths.items():
            started = time.perf_counter()
            vectors[name] = np.asarray(encode(texts), dtype=np.float32)
            rates[name].append(len(texts) / (time.perf_counter() - started))
            print(
                f"round {round_no + 1}: {name:14s} {rates[name][-1]:8.1f} sentences/s", flush=True
            )

    reference = vectors["st_default"]
    base_rate = statistics.median(rates["st_default"])
    results = {}
    for name in paths:
        cos = np.sum(reference * vectors[name], axis=1)
        rate = statistics.median(rates[name])
        results[name] = {
            "sentences_per_s": round(rate, 1),
            "rounds": [round(r, 1) for r in rates[name]],
            "speedup_vs_st_default": round(rate / base_rate, 3),
            "cosine_vs_fp32_mean": round(float(cos.mean()), 5),
            "cosine_vs_fp32_min": round(float(cos.min()), 5),
            "top10_overlap_vs_fp32": round(top_k_overlap(reference, vectors[name]), 4),
        }
    int8_result = results["bucketed_int8"]
    int8_meets = (
        int8_result["speedup_vs_st_default"] >= SPEEDUP_BAR
        and int8_result["top10_overlap_vs_fp32"] >= OVERLAP_BAR
    )
    report = {
        "benchmark": "encode",
        "model": fp32_settings.name,
        "threads": args.threads,
        "batch_size": args.batch_size,
        "texts": len(texts),
        "tokens_mean": round(statistics.mean(tokens), 1),
        "tokens_p95": int(np.percentile(tokens, 95)),
        "machine": {
            "cpu_count": len(__import__("os").sched_getaffinity(0)),
            "processor": platform.processor() or platform.machine(),
            "torch": torch.__version__,
        },
        "paths": results,
        "decision": {
            "bars": {"speedup_vs_st_default": SPEEDUP_BAR, "top10_overlap": OVERLAP_BAR},
            "int8_meets_both": int8_meets,
            "cpu_default_quantize": "int8" if int8_meets else "none",
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")

    print(f"\n{len(texts)} texts, mean {report['tokens_mean']} tokens, {args.threads} threads")
    print(
        f"{'path':15s} {'sent/s':>8s} {'x st':>6s} {'cos mean':>9s} {'cos min':>8s} {'top10':>6s}"
    )
    for name, r in results.items():
        print(
            f"{name:15s} {r['sentences_per_s']:8.1f} {r['speedup_vs_st_default']:6.2f} "
            f"{r['cosine_vs_fp32_mean']:9.4f} {r['cosine_vs_fp32_min']:8.4f} "
            f"{r['top10_overlap_vs_fp32']:6.3f}"
        )
    print(
        f"int8 meets both bars: {int8_meets} -> settings.model.quantize default "
        f"{report['decision']['cpu_default_quantize']!r}; wrote {args.output}"
    )


if __name__ == "__main__":
    main()
