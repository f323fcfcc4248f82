"""Text cleaning for embeddings and keyword tokens (pure functions, no model needed).

The encoder gets readable sentences (emoji named, hashtags split), keyword labelling gets
lower-case content words. Design: docs/encoding.md#text-cleaning
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from trendstream.core.schema import extract_hashtags, extract_mentions
from trendstream.encode.stopwords import stopwords_for

__all__ = [
    "PreparedText",
    "clean_text",
    "extract_hashtags",
    "extract_mentions",
    "extract_urls",
    "is_retweet",
    "prepare",
    "tokenize",
]

_URL_RE = re.compile(r"(?:https?://|www\.)\S+|\b[a-z0-9.-]+\.(?:com|org|net|io|co|ly)/\S*", re.I)
_RT_PREFIX_RE = re.compile(r"^\s*RT\s+@\w{1,15}\s*:?\s*", re.I | re.A)
_LEADING_MENTIONS_RE = re.compile(r"^\s*(?:\.?@\w{1,15}[\s:,]*)+", re.A)
_MENTION_RE = re.compile(r"(?<![\w@])@(\w{1,15})", re.A)
_HASHTAG_RE = re.compile(r"(?<![\w&])#(\w{1,100})")
_CAMEL_RE = re.compile(r"(?<=[a-z]{2})(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])")
_WORD_RE = re.compile(r"\w+(?:'\w+)*")
_SPACE_RE = re.compile(r"\s+")
_WORD_BREAKS = frozenset("\u200b\ufeff")  # zero-width space and BOM separate words
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
# Words in Unicode emoji names that say nothing about meaning ("THUMBS UP SIGN").
_EMOJI_NAME_NOISE = frozenset({"sign", "symbol", "heavy", "black", "white", "with", "of", "emoji"})


@dataclass(frozen=True, slots=True)
class PreparedText:
    """Everything the stream derives from one post's text, computed in one pass."""

    clean: str
    tokens: tuple[str, ...]
    hashtags: tuple[str, ...]
    mentions: tuple[str, ...]
    urls: tuple[str, ...]


def prepare(text: str, lang: str | None = None) -> PreparedText:
    return PreparedText(
        clean=clean_text(text),
        tokens=tuple(tokenize(text, lang)),
        hashtags=extract_hashtags(html.unescape(text)),
        mentions=extract_mentions(text),
        urls=extract_urls(text),
    )


def extract_urls(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_URL_RE.findall(text)))


def is_retweet(text: str) -> bool:
    """A classic retweet ("RT @user: …"): someone else's post passed on, not a new one."""
    return _RT_PREFIX_RE.match(text) is not None


def clean_text(text: str) -> str:
    """The sentence handed to the embedding model (may be ``""`` for a URL-only post)."""
    return _normalise(text, name_emoji=True)


def tokenize(text: str, lang: str | None = None) -> list[str]:
    """Lower-case content-word tokens in order (duplicates kept, for counting).

    ``lang`` (the post's language code) narrows the stopword list; unknown or ``None``
    uses every list. Pure numbers and single characters are dropped.
    """
    stopwords = stopwords_for(lang)
    cleaned = _normalise(text, name_emoji=False).lower()
    return [
        word
        for word in _WORD_RE.findall(cleaned)
        if len(word) > 1 and not word.isdigit() and word not in stopwords
    ]


def _normalise(text: str, *, name_emoji: bool) -> str:
    text = _unescape(unicodedata.normalize("NFC", text)).translate(_APOSTROPHES)
    text = _URL_RE.sub(" ", text)
    text = _RT_PREFIX_RE.sub("", text)
    text = _LEADING_MENTIONS_RE.sub("", text)
    text = _MENTION_RE.sub(lambda m: _words_of(m.group(1)), text)
    text = _HASHTAG_RE.sub(lambda m: _words_of(m.group(1)), text)
    text = _replace_symbols(text, name_emoji=name_emoji)
    return _SPACE_RE.sub(" ", text).strip()


def _unescape(text: str) -> str:
    """Decode HTML entities, including the double-escaped ``&amp;amp;`` archives contain."""
    for _ in range(2):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def _words_of(handle: str) -> str:
    """``ClimateChange2024`` / ``climate_change`` → space-separated words."""
    return " " + _CAMEL_RE.sub(" ", handle.replace("_", " ")) + " "


def _replace_symbols(text: str, *, name_emoji: bool) -> str:
    out: list[str] = []
    last_emoji = ""
    for ch in text:
        category = unicodedata.category(ch)
        if ch in _WORD_BREAKS:
            out.append(" ")
            continue
        if category == "Cf" or (category in ("Mn", "Sk") and _is_emoji_modifier(ch)):
            continue  # zero-width joiners, bidi marks, BOMs, variation selectors, skin tones
        if category == "So" and _is_emoji(ch):
            name = _emoji_name(ch) if name_emoji else ""
            if name and name != last_emoji:
                out.append(f" {name} ")
            last_emoji = name or last_emoji
            continue
        if category[0] == "C" and not ch.isspace():
            continue  # other control characters
        if not ch.isspace():
            last_emoji = ""
        out.append(ch)
    return "".join(out)


def _is_emoji(ch: str) -> bool:
    code = ord(ch)
    return 0x1F000 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF or 0x2B00 <= code <= 0x2BFF


def _is_emoji_modifier(ch: str) -> bool:
    code = ord(ch)
    return 0xFE00 <= code <= 0xFE0F or 0x1F3FB <= code <= 0x1F3FF or code == 0x20E3


def _emoji_name(ch: str) -> str:
    if 0x1F1E6 <= ord(ch) <= 0x1F1FF:
        return ""  # regional-indicator letters of a flag: no reliable word for them
    words = unicodedata.name(ch, "").lower().split()
    return " ".join(w for w in words if w not in _EMOJI_NAME_NOISE)
