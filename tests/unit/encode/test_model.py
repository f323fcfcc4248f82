"""The offline embedding model: loads without network, right shape, meaningful vectors."""

from __future__ import annotations

import os

import numpy as np
import pytest

from trendstream.core.settings import ModelSettings
from trendstream.encode.model import (
    ModelDimensionMismatch,
    ModelNotFound,
    encode_texts,
    get_encoder,
    resolve_model_source,
)

SETTINGS = ModelSettings(batch_size=4)


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


def test_int8_path_stays_close_to_fp32(encoder) -> None:
    texts = ["the match was cancelled because of rain", "new phone launch event today"]
    fp32 = encoder.encode(texts)
    int8 = get_encoder(ModelSettings(quantize="int8")).encode(texts)
    assert np.min(np.sum(fp32 * int8, axis=1)) > 0.95


def test_unknown_quantize_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="quantize"):
        get_encoder(ModelSettings(quantize="fp8"))
