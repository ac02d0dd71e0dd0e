"""Is this post on the account the text we meant to publish? Asked when a run could not tell whether
its post went out: the answer comes from the account's own posts, never from posting again.

X gives a post's text back changed: every link replaced by a t.co link (and a t.co link to the media
appended when there are images), `&`, `<` and `>` escaped as HTML entities, line ends and outer blanks
tidied. So both texts are compared without their links, unescaped, in one Unicode form, with runs of
blanks as one space."""

from __future__ import annotations

import html
import re
import unicodedata

_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_BLANKS = re.compile(r"\s+")


def normalised(text: str) -> str:
    unescaped = html.unescape(text)
    without_links = _URL.sub(" ", unicodedata.normalize("NFC", unescaped))
    return _BLANKS.sub(" ", without_links).strip()


def same_post(posted_text: str, proposal_text: str) -> bool:
    """True when `posted_text`, as X returns it, is `proposal_text` as it was sent."""
    return normalised(posted_text) == normalised(proposal_text)
