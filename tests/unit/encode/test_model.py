"""The offline embedding model: loads without network, right shape, meaningful vectors; the
default ONNX int8 runtime stays close to torch fp32 and its export is cached by key."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from trendstream.core.settings import ModelSettings
from trendstream.encode.model import (
    ModelDimensionMismatch,
    ModelNotFound,
    encode_texts,
    export_cache_dir,
    get_encoder,
    resolve_model_source,
    runtime_for,
)
from trendstream.encode.onnx_export import (
    MANIFEST_FILE,
    export_key,
    export_spec,
    model_fingerprint,
)

# The fp32 torch path: what sentence-transformers itself computes (the exact reference).
SETTINGS = ModelSettings(batch_size=4, backend="torch", quantize="none")
TEXTS = [
    "the match was cancelled because of rain",
    "new phone launch event today",
    "x " * 300,  # truncated at max_seq_length
]


@pytest.fixture(scope="module")
def encoder():
    return get_encoder(SETTINGS)


def test_loads_offline_with_the_configured_dimension(encoder) -> None:
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"
    vectors = encode_texts(["hello world", "another post"], SETTINGS)
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert get_encoder(SETTINGS) is encoder  # one load per process


def test_vectors_are_unit_length_including_empty_text(encoder) -> None:
    vectors = encoder.encode(["", "short", "a much longer post about the election results " * 10])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_empty_batch_has_the_right_shape(encoder) -> None:
    assert encoder.encode([]).shape == (0, 384)


def test_paraphrases_are_closer_than_unrelated_posts(encoder) -> None:
    a, b, c, d = encoder.encode(
        [
            "The earthquake damaged hundreds of buildings in the city",
            "Hundreds of houses were destroyed by the quake downtown",
            "My favourite pizza topping is pineapple",
            "Stocks rallied after the central bank cut interest rates",
        ]
    )
    assert a @ b > 0.6
    assert a @ b > max(a @ c, a @ d) + 0.3


def test_bucketed_batches_equal_one_by_one_encoding(encoder) -> None:
    texts = [
        "tiny",
        "a somewhat longer sentence about football and the world cup final tonight",
        "medium length post about rain",
        "x " * 300,  # truncated at max_seq_length
        "another short one",
        "breaking: parliament votes on the new climate bill after a long debate",
        "ok",
    ]
    bucketed = encoder.encode(texts)  # batch_size 4: mixed lengths, sorted, padded per batch
    one_by_one = np.vstack([encoder.encode([t], batch_size=1) for t in texts])
    np.testing.assert_allclose(bucketed, one_by_one, atol=1e-5)
    reference = encoder.model.encode(texts, normalize_embeddings=True, batch_size=64)
    np.testing.assert_allclose(bucketed, reference, atol=1e-5)


def test_wrong_configured_dimension_is_a_clear_error() -> None:
    with pytest.raises(ModelDimensionMismatch, match=r"produces 384-d .*model.dimension is 768"):
        get_encoder(ModelSettings(dimension=768))


def test_missing_model_path_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ModelNotFound, match="not a model directory"):
        resolve_model_source(ModelSettings(path=str(tmp_path / "nope")))


def test_unknown_model_name_is_never_downloaded() -> None:
    with pytest.raises(ModelNotFound, match="not available offline"):
        get_encoder(ModelSettings(name="sentence-transformers/definitely-not-cached-model-xyz"))


def test_torch_int8_path_stays_close_to_fp32(encoder) -> None:
    fp32 = encoder.encode(TEXTS)
    int8 = get_encoder(SETTINGS.model_copy(update={"quantize": "int8"})).encode(TEXTS)
    assert np.min(np.sum(fp32 * int8, axis=1)) > 0.95


def test_default_is_the_onnx_int8_export_close_to_fp32(encoder) -> None:
    default = get_encoder(ModelSettings(batch_size=4))
    assert default.runtime == "onnx int8"
    vectors = default.encode(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(encoder.encode(TEXTS) * vectors, axis=1)) > 0.95


def test_onnx_fp32_export_computes_what_torch_does(encoder) -> None:
    onnx_fp32 = get_encoder(ModelSettings(batch_size=4, quantize="none"))
    assert onnx_fp32.runtime == "onnx fp32"
    np.testing.assert_allclose(onnx_fp32.encode(TEXTS), encoder.encode(TEXTS), atol=1e-5)


def test_export_is_cached_with_the_spec_it_was_made_from() -> None:
    default = get_encoder(ModelSettings(batch_size=4))
    exports = list(export_cache_dir(default.settings).glob("onnx-int8-*"))
    manifests = [json.loads((d / MANIFEST_FILE).read_text()) for d in exports]
    fingerprint = model_fingerprint(Path(default.source))
    assert any(m["model"] == fingerprint and m["quantize"] == "int8" for m in manifests)


def test_export_key_changes_with_every_input_and_only_then() -> None:
    spec = export_spec("abc", "int8", {"torch": "2.13", "onnxruntime": "1.31.1"})
    same = export_spec("abc", "int8", {"onnxruntime": "1.31.1", "torch": "2.13"})
    assert export_key(spec) == export_key(same) and export_key(spec).startswith("onnx-int8-")
    changed = [
        export_spec("abd", "int8", spec["versions"]),
        export_spec("abc", "none", spec["versions"]),
        export_spec("abc", "int8", {**spec["versions"], "onnxruntime": "1.32.0"}),
        {**spec, "recipe": spec["recipe"] + 1},
    ]
    assert len({export_key(s) for s in [spec, *changed]}) == 5


def test_fingerprint_follows_weights_and_configs_not_docs_or_exports(tmp_path) -> None:
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"weights")
    before = model_fingerprint(tmp_path)
    (tmp_path / "README.md").write_text("docs")
    (tmp_path / "onnx").mkdir()
    (tmp_path / "onnx" / "config.json").write_text("{}")
    assert model_fingerprint(tmp_path) == before
    (tmp_path / "model.safetensors").write_bytes(b"weights2")
    assert model_fingerprint(tmp_path) != before


def test_gpu_runs_torch_fp16_whatever_the_cpu_backend() -> None:
    assert runtime_for(ModelSettings(), "cuda:0") == ("torch", "fp16")
    assert runtime_for(ModelSettings(), "cpu") == ("onnx", "int8")
    assert runtime_for(SETTINGS, "cpu") == ("torch", "fp32")


def test_unknown_quantize_mode_or_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="quantize"):
        get_encoder(ModelSettings(quantize="fp8"))
    with pytest.raises(ValueError, match="backend"):
        get_encoder(ModelSettings(backend="tensorrt"))
