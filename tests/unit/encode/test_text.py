"""Text cleaning and keyword tokens: the cases real posts throw at us."""

from __future__ import annotations

import pytest

from trendstream.encode.text import clean_text, extract_urls, prepare, tokenize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Read this https://t.co/AbC123 now", "Read this now"),
        ("see www.example.org/page?x=1 and http://a.b/c", "see and"),
        ("RT @nasa: Liftoff of #Artemis2", "Liftoff of Artemis 2"),
        ("rt @someone launch today", "launch today"),
        ("@alice @bob_c: I agree", "I agree"),
        ("thanks @NASA_Webb for the pics", "thanks NASA Webb for the pics"),
        ("Tom &amp; Jerry &lt;3 &quot;quoted&quot;", 'Tom & Jerry <3 "quoted"'),
        ("double &amp;amp; escaped", "double & escaped"),
        ("#ClimateChange is real #COVID19 #ai", "Climate Change is real COVID 19 ai"),
        ("  lots\n\tof   space  ", "lots of space"),
        ("mail me at a@b.com", "mail me at a@b.com"),
        ("https://t.co/only", ""),
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_emoji_become_their_names_and_repeats_collapse() -> None:
    assert clean_text("so hot 🔥🔥🔥 today") == "so hot fire today"
    assert clean_text("great 👍🏽") == "great thumbs up"  # skin tone dropped, "sign" dropped
    assert clean_text("love ❤️") == "love heart"  # variation selector dropped
    # ZWJ family sequence: the joiners go, the people stay (one word each).
    assert clean_text("👨\u200d👩\u200d👧") == "man woman girl"
    assert clean_text("go team 🇺🇸") == "go team"  # flag letters carry no word


def test_invisible_characters_removed_and_rtl_kept() -> None:
    arabic = "\u200fمرحبا\u200f بالعالم #السلام"
    assert clean_text(arabic) == "مرحبا بالعالم السلام"
    assert tokenize(arabic) == ["مرحبا", "بالعالم", "السلام"]
    hebrew = "\u202bשלום עולם\u202c"
    assert clean_text(hebrew) == "שלום עולם"
    assert clean_text("zero\u200bwidth\ufeff") == "zero width"
    assert clean_text("soft\u00adhyphen") == "softhyphen"


def test_tokenize_drops_stopwords_urls_mentions_emoji() -> None:
    text = "RT @x: The new #iPhone15 is SO fast 🔥 https://t.co/z and I can't wait!! 2024"
    assert tokenize(text) == ["new", "iphone", "fast", "wait"]


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("El precio de la gasolina sube otra vez", ["precio", "gasolina", "sube", "vez"]),
        ("Le match est annulé à cause de la pluie", ["match", "annulé", "cause", "pluie"]),
        ("Die Bahn hat wieder Verspätung", ["bahn", "wieder", "verspätung"]),
        ("O jogo foi incrível ontem", ["jogo", "incrível", "ontem"]),
    ],
)
def test_tokenize_other_languages(raw: str, kept: list[str]) -> None:
    assert tokenize(raw) == kept


def test_curly_apostrophes_are_stopwords_too() -> None:
    assert tokenize("I don’t know what it’s about") == ["know"]


def test_prepare_extracts_entities_from_the_raw_text() -> None:
    prepared = prepare("RT @nasa: #Artemis &amp; #artemis launch with @ESA https://t.co/x1", "en")
    assert prepared.hashtags == ("artemis",)
    assert prepared.mentions == ("nasa", "ESA")
    assert prepared.urls == ("https://t.co/x1",)
    assert prepared.clean == "Artemis & artemis launch with ESA"
    assert prepared.tokens == ("artemis", "artemis", "launch", "esa")


def test_extract_urls_dedupes_in_order() -> None:
    assert extract_urls("a http://x.io/1 b http://x.io/1 c https://y.com") == (
        "http://x.io/1",
        "https://y.com",
    )


def test_control_characters_removed_but_text_kept() -> None:
    assert clean_text("bell\x07 and\x1b escape") == "bell and escape"


def test_language_narrows_the_stopwords() -> None:
    assert tokenize("ESA launches esa mission") == ["launches", "mission"]  # language unknown
    assert tokenize("ESA launches esa mission", "en") == ["esa", "launches", "esa", "mission"]
    assert tokenize("esa casa es bonita", "es") == ["casa", "bonita"]
    assert tokenize("the casa", "ja") == ["casa"]  # no list for ja: English still applies
