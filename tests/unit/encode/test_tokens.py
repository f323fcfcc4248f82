"""The model's tokenizer file read by ``tokenizers`` gives exactly the ids transformers gives,
and the default ONNX encoder loads without importing torch or sentence-transformers."""

from __future__ import annotations

import subprocess
import sys

import orjson
from transformers import AutoTokenizer

from trendstream.core.settings import ModelSettings
from trendstream.encode.model import resolve_model_source
from trendstream.encode.tokens import from_transformers, load_tokenizer
from trendstream.sources.generator import GeneratorConfig, generate_stream

EDGE_CASES = [
    "",
    "   ",
    "ok",
    "Café ÜBER straße — naïve résumé",
    "東京で地震 速報 #地震",
    "🔥🔥 #Heatwave is REAL 🌡️ https://t.co/abc @someone",
    "tab\tnew\nline\r\x00control\u200bzero-width",
    "word " * 400,  # past max_seq_length: truncated the same way
]


def test_tokenizer_file_gives_the_ids_transformers_gives() -> None:
    settings = ModelSettings()
    source = resolve_model_source(settings)
    generated = generate_stream(GeneratorConfig(seed=5, minutes=3, rate=2, trends=3, decoys=1))
    texts = [orjson.loads(line)["data"]["text"] for line in generated.tweets] + EDGE_CASES
    ours = load_tokenizer(source, settings.max_seq_length)
    reference = from_transformers(
        AutoTokenizer.from_pretrained(str(source), local_files_only=True), settings.max_seq_length
    )
    assert len(texts) > 300
    assert ours.token_ids(texts) == reference.token_ids(texts)
    assert ours.pad_id == reference.pad_id


def test_the_default_encoder_loads_without_torch_or_sentence_transformers() -> None:
    code = (
        "import sys; from trendstream.core.settings import ModelSettings; "
        "from trendstream.encode.model import get_encoder; "
        "e = get_encoder(ModelSettings(device='cpu')); v = e.encode(['hello there']); "
        "print(e.runtime, v.shape, sorted(m for m in ('torch', 'sentence_transformers', "
        "'transformers') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    ).stdout
    assert out.strip() == "onnx int8 (1, 384) []", out
