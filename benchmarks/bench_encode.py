"""Model-only encode rate: every CPU encode path vs sentence-transformers fp32, one run.

All paths encode the same generated tweet-like texts with the same model on the same
thread count (torch and onnxruntime intra-op threads = ``--threads``, default 2),
alternating round by round (the machine is shared, so only ratios measured in one run mean
anything); medians over rounds:

* **st_fp32**: ``SentenceTransformer.encode`` in fp32 torch (the baseline);
* **torch_fp32** / **torch_int8**: :class:`trendstream.encode.model.Encoder` with
  ``backend="torch"`` (sorted by token count, padded per batch; int8 = ``torch.ao`` dynamic
  quantisation of the Linear layers but ``*.output.dense``);
* **onnx_fp32** / **onnx_int8**: the same with ``backend="onnx"``: the model exported with
  torch.onnx, fused by onnxruntime's transformer optimiser, int8 = onnxruntime dynamic
  per-channel int8 MatMuls (VNNI), run by onnxruntime.

Quality of each path against fp32 (``st_fp32``): mean/min cosine of the same text's vectors
and the mean top-10 neighbour overlap (for each text, its 10 nearest other texts by cosine
in both vector sets). The fastest path with overlap >= 0.9 is the one the settings default
to (``settings.model.backend``/``quantize``); the JSON says whether they agree.

    .venv/bin/python benchmarks/bench_encode.py [--texts 2000] [--rounds 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results" / "encode.json"
OVERLAP_BAR = 0.9
SPEEDUP_BAR = 2.5
GOAL = f"≥ {SPEEDUP_BAR:g}× sentence-transformers fp32 at top-10 overlap ≥ {OVERLAP_BAR:g}"
BASELINE = "st_fp32"
# path name -> (settings.model.backend, settings.model.quantize)
PATHS = {
    "torch_fp32": ("torch", "none"),
    "torch_int8": ("torch", "int8"),
    "onnx_fp32": ("onnx", "none"),
    "onnx_int8": ("onnx", "int8"),
}


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

    base_settings = ModelSettings(threads=args.threads, batch_size=args.batch_size, device="cpu")
    torch.set_num_threads(args.threads)
    load_s: dict[str, float] = {}
    encoders = {}
    for name, (backend, quantize) in PATHS.items():
        started = time.perf_counter()
        settings = base_settings.model_copy(update={"backend": backend, "quantize": quantize})
        encoders[name] = get_encoder(settings)  # an ONNX path exports on first use (cached)
        load_s[name] = round(time.perf_counter() - started, 2)
    reference_model = encoders["torch_fp32"].model
    texts = tweet_texts(args.texts)
    tokens = [
        len(ids)
        for ids in reference_model.tokenizer(texts, truncation=True, max_length=128)["input_ids"]
    ]
    paths: dict[str, Callable[[list[str]], np.ndarray]] = {
        BASELINE: lambda t: reference_model.encode(
            t, batch_size=args.batch_size, normalize_embeddings=True, convert_to_numpy=True
        ),
        **{name: encoder.encode for name, encoder in encoders.items()},
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

    reference = vectors[BASELINE]
    base_rate = statistics.median(rates[BASELINE])
    results = {}
    for name in paths:
        cos = np.sum(reference * vectors[name], axis=1)
        rate = statistics.median(rates[name])
        results[name] = {
            "sentences_per_s": round(rate, 1),
            "rounds": [round(r, 1) for r in rates[name]],
            "speedup_vs_st_fp32": round(rate / base_rate, 3),
            "cosine_vs_fp32_mean": round(float(cos.mean()), 5),
            "cosine_vs_fp32_min": round(float(cos.min()), 5),
            "top10_overlap_vs_fp32": round(top_k_overlap(reference, vectors[name]), 4),
            "load_s": load_s.get(name),
        }
    holding = [n for n in PATHS if results[n]["top10_overlap_vs_fp32"] >= OVERLAP_BAR]
    fastest = max(holding, key=lambda n: results[n]["sentences_per_s"], default=None)
    default = next(
        n for n, bq in PATHS.items() if bq == (base_settings.backend, base_settings.quantize)
    )
    report = {
        "benchmark": "encode",
        "goal": GOAL,
        "baseline": BASELINE,
        "model": base_settings.name,
        "threads": args.threads,
        "batch_size": args.batch_size,
        "texts": len(texts),
        "tokens_mean": round(statistics.mean(tokens), 1),
        "tokens_p95": int(np.percentile(tokens, 95)),
        "machine": {
            "cpu_count": len(os.sched_getaffinity(0)),
            "processor": platform.processor() or platform.machine(),
            "torch": torch.__version__,
            "onnxruntime": __import__("onnxruntime").__version__,
        },
        "paths": results,
        "decision": {
            "bars": {"speedup_vs_st_fp32": SPEEDUP_BAR, "top10_overlap": OVERLAP_BAR},
            "fastest_holding_overlap": fastest,
            "settings_default": default,
            "default_is_fastest": default == fastest,
            "goal_met": fastest is not None
            and results[fastest]["speedup_vs_st_fp32"] >= SPEEDUP_BAR,
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
            f"{name:15s} {r['sentences_per_s']:8.1f} {r['speedup_vs_st_fp32']:6.2f} "
            f"{r['cosine_vs_fp32_mean']:9.4f} {r['cosine_vs_fp32_min']:8.4f} "
            f"{r['top10_overlap_vs_fp32']:6.3f}"
        )
    decision = report["decision"]
    print(
        f"goal {GOAL}: {'met' if decision['goal_met'] else 'NOT met'}; fastest path holding "
        f"the overlap: {fastest}; settings default: {default}; wrote {args.output}"
    )


if __name__ == "__main__":
    main()
