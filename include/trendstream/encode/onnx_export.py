"""Export the offline model to ONNX once (fused, optionally int8), cached under a content key.

sentence-transformers' own ``backend="onnx"``/``"openvino"`` and its exporters need
optimum-onnx / optimum-intel, whose releases pin transformers < 4.58 / < 5.6 (we run 5.23), so
the same recipe is done here with torch.onnx and onnxruntime's own optimiser and quantiser.
Design: docs/encoding.md#onnx-backend
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

# Bump when the export recipe below changes: every cached export is then rebuilt.
EXPORT_RECIPE = 1
MODEL_FILE = "model.onnx"
MANIFEST_FILE = "export.json"
# What defines a model's numbers: configs and weights (not its README or tokenizer files).
_FINGERPRINT_SUFFIXES = {".json", ".safetensors", ".bin"}
_EXPORTED_SUBDIRS = {"onnx", "openvino"}


def default_cache_dir() -> Path:
    """The user cache (``$XDG_CACHE_HOME/trendstream/encoders``): exports outlive state dirs."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "trendstream" / "encoders"


def model_fingerprint(source: Path) -> str:
    """sha256 of the files that define the model's numbers, so changed weights re-export."""
    digest = hashlib.sha256()
    for path in _fingerprint_files(source):
        digest.update(path.relative_to(source).as_posix().encode() + b"\0")
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _fingerprint_files(source: Path) -> Iterator[Path]:
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source).parts
        if (
            path.is_file()
            and path.suffix in _FINGERPRINT_SUFFIXES
            and relative[0] not in (_EXPORTED_SUBDIRS)
        ):
            yield path


def export_spec(fingerprint: str, quantize: str, versions: dict[str, str]) -> dict[str, Any]:
    """Everything an export depends on; equal specs give equal exports."""
    return {
        "recipe": EXPORT_RECIPE,
        "model": fingerprint,
        "backend": "onnx",
        "quantize": quantize,
        "versions": dict(sorted(versions.items())),
    }


def export_key(spec: dict[str, Any]) -> str:
    """Directory name of an export: readable prefix plus a hash of the whole spec."""
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
    return f"{spec['backend']}-{spec['quantize']}-{digest}"


def tool_versions() -> dict[str, str]:
    """The exporter, optimiser and quantiser versions: a new one may write a different graph.
    Read from the installed distributions, so a cache hit never imports torch."""
    return {name: version(name) for name in ("torch", "onnxruntime")}


def cached_export(
    load_model: Callable[[], SentenceTransformer], source: Path, quantize: str, cache_dir: Path
) -> Path:
    """The ONNX file for the model at ``source`` + ``quantize``, exported on first use from
    ``load_model()`` (atomic: concurrent workers may race, the first rename wins and the
    others reuse it)."""
    spec = export_spec(model_fingerprint(source), quantize, tool_versions())
    target = cache_dir / export_key(spec)
    if (target / MODEL_FILE).is_file():
        return target / MODEL_FILE
    cache_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=cache_dir))
    try:
        log.info("exporting %s to ONNX (%s) under %s", source, quantize, target)
        export_onnx(load_model(), quantize, work)
        (work / MANIFEST_FILE).write_text(json.dumps(spec, indent=2, sort_keys=True) + "\n")
        work.chmod(0o755)  # mkdtemp's 0700 would hide the export from other users' workers
        try:
            work.rename(target)
        except OSError:  # another process finished first
            if not (target / MODEL_FILE).is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target / MODEL_FILE


def export_onnx(model: SentenceTransformer, quantize: str, out_dir: Path) -> None:
    """``out_dir/model.onnx``: (input_ids, attention_mask) → sentence embedding, with
    onnxruntime's transformer fusions and, for ``int8``, dynamic int8 MatMuls."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import MODEL_TYPES, optimize_model

    raw, fused = out_dir / "raw.onnx", out_dir / "fused.onnx"
    _trace(model, raw)
    config = model[0].auto_model.config
    optimised = optimize_model(
        str(raw),
        model_type=config.model_type if config.model_type in MODEL_TYPES else "bert",
        num_heads=config.num_attention_heads,
        hidden_size=config.hidden_size,
        opt_level=1,  # graph fusions only: the session applies its own levels at load
    )
    optimised.save_model_to_file(str(fused))
    raw.unlink()
    if quantize == "none":
        fused.rename(out_dir / MODEL_FILE)
        return
    quiet = logging.getLogger()  # the quantiser logs advice on the root logger
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            str(fused),
            str(out_dir / MODEL_FILE),
            weight_type=QuantType.QInt8,
            per_channel=True,
            # Fused Attention/SkipLayerNorm have no ONNX shape inference: their outputs are float.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        quiet.setLevel(level)
    fused.unlink()


def _trace(model: SentenceTransformer, path: Path) -> None:
    """torch.onnx's tracing exporter; eager attention so onnxruntime can fuse it."""
    import torch

    transformer = model[0].auto_model
    previous = transformer.config._attn_implementation
    transformer.set_attn_implementation("eager")
    ids = torch.ones((2, 16), dtype=torch.long)
    try:
        # Tracer warnings name shape checks that hold for every batch we feed: not for users.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _sentence_embedding_module(model),
                (ids, torch.ones_like(ids)),
                str(path),
                input_names=["input_ids", "attention_mask"],
                output_names=["sentence_embedding"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "tokens"},
                    "attention_mask": {0: "batch", 1: "tokens"},
                    "sentence_embedding": {0: "batch"},
                },
                opset_version=17,
                dynamo=False,  # the dynamo exporter needs onnxscript; tracing suffices here
            )
    finally:
        transformer.set_attn_implementation(previous)


def _sentence_embedding_module(model: SentenceTransformer) -> Any:
    """The whole sentence-transformers pipeline (transformer, pooling, normalise) as one
    module of two tensors, so the graph computes exactly what ``model.encode`` does."""
    import torch

    class SentenceEmbedding(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            features = {"input_ids": input_ids, "attention_mask": attention_mask}
            if "token_type_ids" in model.tokenizer.model_input_names:
                features["token_type_ids"] = torch.zeros_like(input_ids)
            return self.model(features)["sentence_embedding"]

    return SentenceEmbedding().eval()
