"""X's weighted counting: a proposer sees the count X will apply, so X never refuses an approved text."""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postdesk.domain.counting import (
    MAX_WEIGHTED_LENGTH,
    TRANSFORMED_URL_LENGTH,
    TextCount,
    count,
    find_urls,
    weighted_length,
)


class Conformance(NamedTuple):
    description: str
    text: str
    weighted_length: int
    valid: bool
    display_range_end: int
    """twitter-text's index of the last UTF-16 unit of the input: checks that the copy below is faithful."""


# twitter-text's own conformance cases, copied from twitter/twitter-text, conformance/tests/validate.yml
# at commit 3b8031c80efe49f16fd282a55e28eb23aef2ad85: every case of the sections
# `WeightedTweetsWithDiscountedEmojiCounterTest` (the v3 configuration) and
# `UnicodeDirectionalMarkerCounterTest`, with `weightedLength`, `valid` and
# `displayRangeEnd` as expected there. Long runs are written as repetitions and invisible characters
# (ZWJ, tags, combining marks) as escapes; `test_the_conformance_inputs_are_copied_faithfully` checks
# every input's length against twitter-text's display range.
_FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
_POEM = (
    "故人西辞黄鹤楼，烟花三月下扬州。孤帆远影碧空尽，唯见长江天际流。"
    "朱雀桥边野草花，乌衣巷口夕阳斜。旧时王谢堂前燕，飞入寻常百姓家。"
    "朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。"
    "泪湿罗巾梦不成，夜深前殿按歌声。红颜未老恩先断，斜倚薰笼坐到明。"
    "独在异乡为异客，每逢佳节倍思亲。遥知兄弟登高处，遍插茱萸少一人。"
)
_KANA = "あいうえおかきくけこ"
_LONG_LABEL_URL = "https://" + "somesuperlongurl" * 249 + ".com/foo "
_ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
_PUNCTUATION = " ‐ ‑ ‒ – — ― ‖  ‗ ‘ ’ ‚ ‛ “ ” „ ‟ ′ ″ ‴ ‵ ‶ ‷"

TWITTER_TEXT_CONFORMANCE = [
    Conformance("Regular Tweet with url", "Hi http://test.co", 26, True, 16),
    Conformance("Just url", "http://test.co", 23, True, 13),
    Conformance("Long tweet, overflow at char index 280", "285 chars-" + "xxxxxxxxxx-" * 25, 285, False, 284),
    Conformance(
        "Long tweet with url in the middle, overflow at char index 284",
        "285 chars- http://www.twitter.com/jack " + "xxxxxxxxxx-" * 24,
        299,
        False,
        302,
    ),
    Conformance(
        "Long tweet with url at the end, overflow at char index 265",
        "xxxxxxxxxx-" * 24 + " http://www.twitter.com/jack ",
        289,
        False,
        292,
    ),
    Conformance("10 url string, no overflow", "https://www.twitter.com/aloha " * 10, 240, True, 299),
    Conformance("160 CJK char, overflow at char index 140", _POEM, 320, False, 159),
    Conformance("160 emoji char, overflow at char index 140", "\U0001f637" * 160, 320, False, 319),
    Conformance("3 latin char + 160 CJK char, overflow at char index 141", "the" + _POEM, 323, False, 162),
    Conformance(
        "282 chars with a normalized character within valid range but outside 280",
        "282 chars-" + "xxxxxxxxxx-" * 24 + "xxxxxA\u0301x",
        281,
        False,
        281,
    ),
    Conformance(
        "Count a mix of single byte single word, and double word unicode characters",
        "H\U0001f431\u263a" + _FAMILY,
        7,
        True,
        14,
    ),
    Conformance(
        "Count unicode emoji chars inside the basic multilingual plane",
        "\U0001f637\U0001f47e\U0001f621\U0001f525\U0001f4a9",
        10,
        True,
        9,
    ),
    Conformance(
        "Count unicode emoji chars outside the basic multilingual plane with skin tone modifiers",
        "\U0001f64b\U0001f3fd\U0001f468\u200d\U0001f3a4",
        4,
        True,
        8,
    ),
    Conformance(
        "Handle General Punctuation Characters with visible spaces(u2000-200A), no ZWJ/ZWNJ",
        "This is a tweet with general punctuation characters: "
        "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b" + _PUNCTUATION,
        110,
        True,
        109,
    ),
    Conformance(
        "Handle long url with invalid domain labels and short url",
        "Long url with invalid domain labels and a short url: "
        + _LONG_LABEL_URL * 3
        + "https://validurl.com",
        12079,
        False,
        12075,
    ),
    Conformance(
        "Handle a 64 character domain without protocol",
        "randomurlrandomurlrandomurlrandomurlrandomurlrandomurlrandomurls.com",
        68,
        True,
        67,
    ),
    Conformance(
        "Do not allow > 140 CJK characters by virtue of CJK chars greater than 63 punycode encoded chars in "
        "the host",
        _KANA * 12 + " http://" + _KANA * 5 + "あいう.com",
        358,
        False,
        184,
    ),
    Conformance(
        "Allow > 140 CJK characters by virtue of CJK chars less than 63 punycode encoded chars in the host",
        _KANA * 12 + " http://" + _KANA * 5 + "あい.com",
        264,
        True,
        183,
    ),
    Conformance("140 family emoji", _FAMILY * 140, 280, True, 1539),
    Conformance(
        "Unicode 10.0 emoji",
        "Unicode 10.0 emoji: \U0001f92a; \U0001f9d5; \U0001f9d5\U0001f3fe; " + _ENGLAND,
        34,
        True,
        47,
    ),
    Conformance(
        "Unicode 9.0 emoji", "Unicode 9.0 emoji: \U0001f920; \U0001f483; \U0001f483\U0001f3fe", 29, True, 30
    ),
    # UnicodeDirectionalMarkerCounterTest
    Conformance("Handle invalid characters", "ABC\u202a\uffffABC\ufffe", 12, False, 8),
    Conformance(
        "Tweet text containing directional characters should be considered valid",
        "\u2066\u202ahttp://foobar.پاکستان/\u202c\u2069",
        31,
        True,
        25,
    ),
]

# The `lengths` section of the same file (written for v1, still true under v3: no weighted characters).
TWITTER_TEXT_LENGTHS = [
    ("This is a test.", 15),
    ("http://test.com", 23),
    ("https://test.com", 23),
    ("test.com", 23),
    ("Test https://test.com test https://test.com test.com test", 86),
]


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize("case", TWITTER_TEXT_CONFORMANCE, ids=lambda case: case.description)
def test_the_conformance_inputs_are_copied_faithfully(case: Conformance) -> None:
    assert _utf16_length(case.text) == case.display_range_end + 1


@pytest.mark.parametrize("case", TWITTER_TEXT_CONFORMANCE, ids=lambda case: case.description)
def test_a_text_counts_as_twitter_text_counts_it(case: Conformance) -> None:
    # Given twitter-text's conformance case; When it is counted
    result = count(case.text)

    # Then the length and the verdict are twitter-text's
    assert result.weighted_length == case.weighted_length
    assert result.valid is case.valid
    assert result.remaining == MAX_WEIGHTED_LENGTH - case.weighted_length


@pytest.mark.parametrize(("text", "expected"), TWITTER_TEXT_LENGTHS)
def test_twitter_texts_plain_length_cases_still_hold(text: str, expected: int) -> None:
    assert weighted_length(text) == expected


# --- French proposals -----------------------------------------------------------------------------------

_SENTENCE = "Prévention : fermez à clé votre véhicule, même pour un arrêt très court. "


def test_accented_letters_count_one_each() -> None:
    result = count("Prévention : fermez à clé !")

    assert result == TextCount(weighted_length=27, valid=True, remaining=253, invalid_characters=False)


def test_an_accent_typed_as_a_combining_mark_counts_as_the_accented_letter() -> None:
    decomposed = unicodedata.normalize("NFD", "Prévention : fermez à clé !")

    assert len(decomposed) == 30
    assert weighted_length(decomposed) == 27


def test_the_euro_sign_counts_two() -> None:
    assert weighted_length("€") == 2
    assert weighted_length("Amende : 135 €") == 15


def test_french_typography_spaces_and_ellipsis_count_as_x_counts_them() -> None:
    # Given the no-break space (U+00A0, inside X's light range), the narrow no-break space (U+202F) and the
    # ellipsis (U+2026), both outside it, and guillemets and the typographic apostrophe, inside it
    assert weighted_length("«\u00a0Attention\u00a0»") == 13
    assert weighted_length("Attention\u202f!") == 12
    assert weighted_length("Attendez…") == 10
    assert weighted_length("l’arrêté") == 8


def test_a_280_character_french_text_is_valid_and_281_is_not() -> None:
    # Given a French text of exactly 280 weighted characters
    text = (_SENTENCE * 4)[:MAX_WEIGHTED_LENGTH]

    # Then it fits, and one more letter does not
    assert count(text) == TextCount(weighted_length=280, valid=True, remaining=0, invalid_characters=False)
    assert count(text + "s") == TextCount(
        weighted_length=281, valid=False, remaining=-1, invalid_characters=False
    )


def test_a_long_link_counts_23() -> None:
    url = "https://www.interieur.gouv.fr/Actualites/Communiques/Prevention-des-cambriolages-les-bons-reflexes"

    assert len(url) > 90
    assert weighted_length(url) == TRANSFORMED_URL_LENGTH
    assert weighted_length(f"À lire : {url}") == 9 + TRANSFORMED_URL_LENGTH


@pytest.mark.parametrize("domain", ["interieur.gouv.fr", "www.interieur.gouv.fr", "example.org", "t.co"])
def test_a_domain_without_https_counts_23(domain: str) -> None:
    assert weighted_length(domain) == TRANSFORMED_URL_LENGTH
    assert find_urls(f"Voir {domain}") == [(5, 5 + len(domain))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Voir https://www.service-public.fr/particuliers.", 5 + 23 + 1),
        ("Voir interieur.gouv.fr, puis appelez le 17", 5 + 23 + 20),
        ("(voir https://www.police-nationale.fr/plainte)", 1 + 5 + 23 + 1),
        ("Vraiment https://example.org/ ?! Oui", 9 + 23 + 7),
        ("Lisez https://fr.wikipedia.org/wiki/Paris_(France).", 6 + 23 + 1),
    ],
)
def test_punctuation_after_a_link_is_not_part_of_it(text: str, expected: int) -> None:
    assert weighted_length(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Écrivez à contact@interieur.gouv.fr",
        "Suivez @interieur.gouv.fr",
        "police.fr",  # twitter-text: a bare name.cc without a path is not a link
        "le fichier rapport.pdf",
        "version 2.0",
    ],
)
def test_what_only_looks_like_a_domain_counts_letter_by_letter(text: str) -> None:
    assert find_urls(text) == []
    assert weighted_length(text) == len(text)


def test_a_bare_country_domain_with_a_path_is_a_link() -> None:
    assert weighted_length("police.fr/plainte") == TRANSFORMED_URL_LENGTH


def test_an_emoji_with_a_skin_tone_counts_two() -> None:
    assert weighted_length("\U0001f44d\U0001f3fd") == 2
    # a police officer, woman, medium skin tone: five code points, one emoji
    assert weighted_length("Merci \U0001f46e\U0001f3fd\u200d\u2640\ufe0f") == 6 + 2


def test_a_flag_counts_two() -> None:
    assert weighted_length("\U0001f1eb\U0001f1f7") == 2
    assert weighted_length("Vive la \U0001f1eb\U0001f1f7 !") == 12


def test_a_keycap_counts_two() -> None:
    assert weighted_length("Composez le 1\ufe0f\u20e3") == 12 + 2


def test_a_windows_line_break_counts_as_one_newline() -> None:
    assert weighted_length("Ligne 1\r\nLigne 2") == weighted_length("Ligne 1\nLigne 2") == 15


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_a_blank_text_is_not_valid(text: str) -> None:
    assert count(text).valid is False


def test_a_text_with_a_character_x_refuses_is_not_valid_whatever_its_length() -> None:
    result = count("\ufeffBonjour")

    assert result.invalid_characters is True
    assert result.valid is False


def test_url_spans_are_indices_in_the_normalised_text() -> None:
    text = unicodedata.normalize("NFD", "Été : https://example.org/a.")

    assert find_urls(text) == [(6, 27)]


# --- Properties ------------------------------------------------------------------------------------------

_ASCII_WITHOUT_DOTS_OR_CR = st.text(
    alphabet=st.characters(min_codepoint=0x0A, max_codepoint=0x7E, blacklist_characters=".\r")
)


@given(_ASCII_WITHOUT_DOTS_OR_CR)
def test_ascii_text_without_a_dot_counts_its_own_length(text: str) -> None:
    # Without a dot no link can form, and every ASCII character weighs one
    assert weighted_length(text) == len(text)


@given(st.text())
def test_appending_a_separate_letter_adds_exactly_one(text: str) -> None:
    # Given any text ending in a space, so that the letter can't join a link, an emoji or an accent
    before = weighted_length(text + " ")

    # Then one more letter counts one
    assert weighted_length(text + " a") == before + 1


@given(st.text(alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Nd"), max_codepoint=0x7F)))
def test_a_link_counts_23_whatever_its_path(path: str) -> None:
    assert weighted_length(f"Voir https://www.interieur.gouv.fr/{path}") == 5 + TRANSFORMED_URL_LENGTH


@given(st.text())
def test_the_count_and_its_verdict_agree(text: str) -> None:
    result = count(text)

    assert result.remaining == MAX_WEIGHTED_LENGTH - result.weighted_length
    assert result.valid is (
        bool(text.strip()) and result.weighted_length <= MAX_WEIGHTED_LENGTH and not result.invalid_characters
    )
