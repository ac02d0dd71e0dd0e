"""X's weighted character counting (twitter-text v3): a proposal is judged at submission as X will judge it.

twitter-text-parser can't be used (it imports `pkg_resources`), so its v3 rules are held here as data:
every code point weighs 2 except a few ranges that weigh 1, every URL counts 23 whatever its length, every
emoji sequence counts 2. Where this differs from twitter-text on purpose, the function says so.
`web/static/counter.js` applies the same rules in the browser; change both together.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

MAX_WEIGHTED_LENGTH = 280
TRANSFORMED_URL_LENGTH = 23

# twitter-text's v3 configuration: weights are in hundredths of a character.
_SCALE = 100
_DEFAULT_WEIGHT = 200
_WEIGHTED_RANGES: tuple[tuple[int, int, int], ...] = (
    (0, 4351, 100),
    (8192, 8205, 100),
    (8208, 8223, 100),
    (8242, 8247, 100),
)
_INVALID_CHARACTERS = frozenset("\ufffe\ufeff\uffff")

_MAX_URL_LENGTH = 4096
_MAX_LABEL_LENGTH = 63

# All two-letter country-code TLDs, as in twitter-text's tld_lib.yml.
_COUNTRY_TLD_DATA = """
    ac ad ae af ag ai al am an ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bl bm bn bo bq br bs
    bt bv bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg eh
    er es et eu fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht
    hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt
    lu lv ly ma mc md me mf mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no
    np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sj
    sk sl sm sn so sr ss st su sv sx sy sz tc td tf tg th tj tk tl tm tn to tp tr tt tv tw tz ua ug uk um
    us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw
"""
# The generic TLDs people actually write without `https://` (twitter-text knows ~1,200; after a scheme
# any alphabetic TLD is accepted, see `_find_host`).
_GENERIC_TLD_DATA = """
    com net org edu gov mil int info biz name pro aero asia cat coop jobs mobi museum tel travel post app
    dev blog shop store online site website tech xyz top club news live media cloud email link page art
    bio paris bzh alsace corsica eus gal brussels quebec berlin london nyc immo law legal health care
    social tv video radio music team group global world today family school university academy
    zip mov
"""
_COUNTRY_TLDS = frozenset(_COUNTRY_TLD_DATA.split())
_GENERIC_TLDS = frozenset(_GENERIC_TLD_DATA.split())
# A bare `name.cc` is not a URL for twitter-text (too many false positives), except for these two.
_SPECIAL_SHORT_TLDS = frozenset({"co", "tv"})

# Extended_Pictographic (Unicode 17, as ICU 78 reports it; the same set `\p{Extended_Pictographic}`
# gives counter.js in a current browser), in hexadecimal.
_EXTENDED_PICTOGRAPHIC_DATA = """
A9 AE 203C 2049 2122 2139 2194-2199 21A9-21AA 231A-231B 2328 23CF 23E9-23F3 23F8-23FA 24C2
25AA-25AB 25B6 25C0 25FB-25FE 2600-2604 260E 2611 2614-2615 2618 261D 2620 2622-2623 2626 262A
262E-262F 2638-263A 2640 2642 2648-2653 265F-2660 2663 2665-2666 2668 267B 267E-267F 2692-2697 2699
269B-269C 26A0-26A1 26A7 26AA-26AB 26B0-26B1 26BD-26BE 26C4-26C5 26C8 26CE-26CF 26D1 26D3-26D4
26E9-26EA 26F0-26F5 26F7-26FA 26FD 2702 2705 2708-270D 270F 2712 2714 2716 271D 2721 2728 2733-2734
2744 2747 274C 274E 2753-2755 2757 2763-2764 2795-2797 27A1 27B0 27BF 2934-2935 2B05-2B07 2B1B-2B1C
2B50 2B55 3030 303D 3297 3299 1F004 1F02C-1F02F 1F094-1F09F 1F0AF-1F0B0 1F0C0 1F0CF-1F0D0
1F0F6-1F0FF 1F170-1F171 1F17E-1F17F 1F18E 1F191-1F19A 1F1AE-1F1E5 1F201-1F20F 1F21A 1F22F
1F232-1F23A 1F23C-1F23F 1F249-1F25F 1F266-1F321 1F324-1F393 1F396-1F397 1F399-1F39B 1F39E-1F3F0
1F3F3-1F3F5 1F3F7-1F3FA 1F400-1F4FD 1F4FF-1F53D 1F549-1F54E 1F550-1F567 1F56F-1F570 1F573-1F57A
1F587 1F58A-1F58D 1F590 1F595-1F596 1F5A4-1F5A5 1F5A8 1F5B1-1F5B2 1F5BC 1F5C2-1F5C4 1F5D1-1F5D3
1F5DC-1F5DE 1F5E1 1F5E3 1F5E8 1F5EF 1F5F3 1F5FA-1F64F 1F680-1F6C5 1F6CB-1F6D2 1F6D5-1F6E5 1F6E9
1F6EB-1F6F0 1F6F3-1F6FF 1F7DA-1F7FF 1F80C-1F80F 1F848-1F84F 1F85A-1F85F 1F888-1F88F 1F8AE-1F8AF
1F8BC-1F8BF 1F8C2-1F8CF 1F8D9-1F8FF 1F90C-1F93A 1F93C-1F945 1F947-1F9FF 1FA58-1FA5F 1FA6E-1FAFF
1FC00-1FFFD
"""


def _parse_ranges(data: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    starts: list[int] = []
    ends: list[int] = []
    for item in data.split():
        first, _, last = item.partition("-")
        starts.append(int(first, 16))
        ends.append(int(last or first, 16))
    return tuple(starts), tuple(ends)


_PICTOGRAPHIC_STARTS, _PICTOGRAPHIC_ENDS = _parse_ranges(_EXTENDED_PICTOGRAPHIC_DATA)

_ZWJ = "\u200d"
_KEYCAP = "\u20e3"
_VARIATION_SELECTOR_16 = "\ufe0f"
_KEYCAP_BASES = frozenset("#*0123456789")

# Characters that may sit right before a URL (twitter-text's validUrlPrecedingChars, inverted).
_NOT_BEFORE_URL = r"A-Za-z0-9@＠$#＃\ufffe\ufeff\uffff"
# A scheme-less domain right after one of these is part of something else (a path, a longer name).
_NOT_BEFORE_BARE_DOMAIN = frozenset("-_./")
_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
_URL_START = re.compile(
    rf"(?<![{_NOT_BEFORE_URL}])(?P<scheme>https?://)?(?P<host>{_LABEL}(?:\.{_LABEL})+)", re.IGNORECASE
)
_LATIN = "a-z0-9\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
_LATIN_LABEL = re.compile(rf"[{_LATIN}_-]+", re.IGNORECASE)
_PUNYCODE_TLD = re.compile(r"xn--[a-z0-9-]+")
_PORT = re.compile(r":[0-9]+")
_PATH_RUN = re.compile(rf"/[{_LATIN}\u0400-\u04ff!*';:=+,.$/%#\[\]\-\u2013_~&|@()]*", re.IGNORECASE)
_PATH_END = re.compile(rf"[{_LATIN}\u0400-\u04ff=_#/+\-)]", re.IGNORECASE)
_QUERY_RUN = re.compile(r"\?[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]*", re.IGNORECASE)
_QUERY_END = re.compile(r"[a-z0-9\-_&=#/]", re.IGNORECASE)


@dataclass(frozen=True)
class TextCount:
    weighted_length: int
    """In characters as X shows them (the weights divided by 100)."""
    valid: bool
    """Not blank, at most 280, no character X refuses."""
    remaining: int
    """280 minus the weighted length; negative when the text is too long."""
    invalid_characters: bool
    """U+FFFE, U+FEFF or U+FFFF is present: X refuses the text whatever its length."""


def count(text: str) -> TextCount:
    normalised = unicodedata.normalize("NFC", text)
    length = _weighted_length(normalised)
    invalid = any(character in _INVALID_CHARACTERS for character in normalised)
    return TextCount(
        weighted_length=length,
        valid=bool(normalised.strip()) and length <= MAX_WEIGHTED_LENGTH and not invalid,
        remaining=MAX_WEIGHTED_LENGTH - length,
        invalid_characters=invalid,
    )


def weighted_length(text: str) -> int:
    return count(text).weighted_length


def find_urls(text: str) -> list[tuple[int, int]]:
    """The (start, end) spans of what X shortens to a 23-character link, as indices in the NFC text."""
    return _find_urls(unicodedata.normalize("NFC", text))


def _weighted_length(text: str) -> int:
    """A CRLF counts as one newline (a deliberate difference: twitter-text counts two), since browsers
    submit a textarea's line breaks as CRLF while people, and X, see one."""
    url_ends = dict(_find_urls(text))
    total = 0
    index = 0
    while index < len(text):
        if index in url_ends:
            total += TRANSFORMED_URL_LENGTH * _SCALE
            index = url_ends[index]
            continue
        emoji_end = _emoji_end(text, index)
        if emoji_end:
            total += _DEFAULT_WEIGHT
            index = emoji_end
            continue
        if not text.startswith("\r\n", index):
            total += _weight(ord(text[index]))
        index += 1
    return total // _SCALE


def _weight(code_point: int) -> int:
    for first, last, weight in _WEIGHTED_RANGES:
        if first <= code_point <= last:
            return weight
    return _DEFAULT_WEIGHT


def _is_pictographic(character: str) -> bool:
    code_point = ord(character)
    position = bisect_right(_PICTOGRAPHIC_STARTS, code_point) - 1
    return position >= 0 and code_point <= _PICTOGRAPHIC_ENDS[position]


def _is_regional_indicator(character: str) -> bool:
    return 0x1F1E6 <= ord(character) <= 0x1F1FF


def _is_emoji_extender(character: str) -> bool:
    """Marks, skin tones, tag characters (subdivision flags) and ZWNJ: they stay with the emoji before."""
    code_point = ord(character)
    return (
        unicodedata.category(character) in ("Mn", "Mc", "Me")
        or 0x1F3FB <= code_point <= 0x1F3FF
        or 0xE0020 <= code_point <= 0xE007F
        or code_point == 0x200C
    )


def _emoji_end(text: str, index: int) -> int:
    """Where the emoji sequence starting at `index` ends, or 0 when none starts there.

    A sequence is a pictograph, a pair of regional indicators (a flag) or a keycap, followed by its
    modifiers and by ZWJ-joined pictographs, as a grapheme cluster holds them (UAX #29, GB9 and GB11).
    """
    character = text[index]
    end = index + 1
    pictographic = _is_pictographic(character)
    if pictographic:
        pass
    elif _is_regional_indicator(character):
        if end < len(text) and _is_regional_indicator(text[end]):
            end += 1
    elif character in _KEYCAP_BASES:
        if text.startswith(_KEYCAP, end):
            end += 1
        elif text.startswith(_VARIATION_SELECTOR_16 + _KEYCAP, end):
            end += 2
        else:
            return 0
    else:
        return 0
    while end < len(text):
        following = text[end]
        joined_by_zwj = pictographic and text[end - 1] == _ZWJ and _is_pictographic(following)
        if not (following == _ZWJ or _is_emoji_extender(following) or joined_by_zwj):
            break
        end += 1
    return end


def _find_urls(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    position = 0
    while match := _URL_START.search(text, position):
        span = _url_span(text, match)
        if span:
            spans.append(span)
            position = span[1]
        else:
            position = match.end()
    return spans


def _url_span(text: str, match: re.Match[str]) -> tuple[int, int] | None:
    """Follows twitter-text's extractUrlsWithIndices; the differences are in `_find_host`."""
    scheme = match.group("scheme") or ""
    start = match.start()
    labels = match.group("host").split(".")
    if not scheme:
        if start > 0 and text[start - 1] in _NOT_BEFORE_BARE_DOMAIN:
            return None
        # Without a scheme only Latin domains count; one glued to other letters starts where they stop.
        cut = len(labels[0])
        while cut and _LATIN_LABEL.fullmatch(labels[0][cut - 1]):
            cut -= 1
        first = labels[0][cut:].lstrip("_-")
        if not first or not all(_LATIN_LABEL.fullmatch(label) for label in labels[1:]):
            return None
        start += len(labels[0]) - len(first)
        labels[0] = first
    host = _find_host(labels, bare=not scheme)
    if host is None:
        return None
    end = start + len(scheme) + len(".".join(host))
    if end < len(text) and text[end] in "@+-":
        return None
    port = _PORT.match(text, end)
    if port:
        end = port.end()
    path = _PATH_RUN.match(text, end)
    has_path = path is not None
    if path:
        end += len(_trim(path.group(), _PATH_END, balance_parentheses=True))
    query = _QUERY_RUN.match(text, end)
    if query:
        kept = _trim(query.group()[1:], _QUERY_END, balance_parentheses=False)
        if kept:
            end += 1 + len(kept)
    if not scheme and not has_path and _is_bare_short_domain(host):
        return None
    if not _within_limits(host, len(scheme or "https://") + end - start):
        return None
    return start, end


def _find_host(labels: list[str], *, bare: bool) -> list[str] | None:
    """The longest run of labels ending in a TLD: `interieur.gouv.fr.Merci` gives `interieur.gouv.fr`.

    Differs from twitter-text on purpose: after `http(s)://`, an alphabetic TLD this module doesn't list
    (`https://www.laposte.example`) still makes a URL, because X knows every TLD and a link with a scheme
    is meant as one. Without a scheme only the listed TLDs count, as a bare `word.word` usually isn't a link.
    """
    for size in range(len(labels), 1, -1):
        tld = labels[size - 1].lower()
        if tld in _COUNTRY_TLDS or tld in _GENERIC_TLDS or _PUNYCODE_TLD.fullmatch(tld):
            return _checked(labels[:size])
    if not bare and labels[-1].isalpha() and len(labels[-1]) >= 2:
        return _checked(labels)
    return None


def _checked(host: list[str]) -> list[str] | None:
    # Underscores are allowed in subdomains only.
    return None if "_" in host[-2] else host


def _is_bare_short_domain(host: list[str]) -> bool:
    tld = host[-1].lower()
    return len(host) == 2 and tld in _COUNTRY_TLDS and tld not in _SPECIAL_SHORT_TLDS


def _within_limits(host: list[str], url_length: int) -> bool:
    """Each label at most 63 characters once punycode-encoded, the whole URL at most 4096."""
    encoded_length = 0
    for label in host:
        encoded = label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
        if len(encoded) > _MAX_LABEL_LENGTH:
            return False
        encoded_length += len(encoded) - len(label)
    return url_length + encoded_length <= _MAX_URL_LENGTH


def _trim(run: str, ending: re.Pattern[str], *, balance_parentheses: bool) -> str:
    """Drops what can't end a URL: trailing punctuation (`.`, `,`, `!`, `?`...) and, in a path, parentheses
    that don't balance (`(voir https://example.org/a)` ends at `a`; `/wiki/Paris_(France)` keeps its own)."""
    unclosed: list[int] = []
    for index, character in enumerate(run if balance_parentheses else ""):
        if character == "(":
            unclosed.append(index)
        elif character == ")":
            if not unclosed:
                run = run[:index]
                break
            unclosed.pop()
    if unclosed:
        run = run[: unclosed[0]]
    while run and not ending.fullmatch(run[-1]):
        run = run[:-1]
    return run


DISPLAYED_URL_LENGTH = 23  # X shows a link without its scheme, cut to about this many characters


def as_x_shows(text: str) -> str:
    """The text as X shows it: each link without its scheme (and `www.`), cut with an ellipsis."""
    shown: list[str] = []
    position = 0
    for start, end in find_urls(text):
        url = text[start:end]
        bare = re.sub(r"^https?://", "", url, flags=re.IGNORECASE)
        bare = bare.removeprefix("www.")
        if len(bare) > DISPLAYED_URL_LENGTH:
            bare = bare[: DISPLAYED_URL_LENGTH - 1] + "…"
        shown += [text[position:start], bare]
        position = end
    shown.append(text[position:])
    return "".join(shown)
