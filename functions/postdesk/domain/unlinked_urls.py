"""A text's web addresses written so that no mail program turns them into links.

The confirmation mail carries the proposed text to the address the proposer typed, from the
organisation's own sender: were its addresses links, anyone could use the form to send a colleague a
clickable link that passes SPF and DKIM. Mail programs link whatever looks like an address (a scheme
and `://`, or a host name with a known top-level domain, with or without `www.`), in the text part and
in the HTML part alike, whatever the HTML says. So each address X would count as a link has the dots
of its host and path written `[.]`, and every scheme's `://` is written `[://]`: the convention security
teams use to share addresses that must not be followed, readable by a person ("https[://]evil[.]com").
The proposal itself keeps its text: only the confirmation mail shows it so."""

from __future__ import annotations

import re
import unicodedata

from postdesk.domain.counting import find_urls

# A scheme (any: http, ftp, a made-up one) and the host after it.
_SCHEMED = re.compile(r"\b([a-z][a-z0-9+.-]{0,30})://([^\s/?#<>\"']*)", re.IGNORECASE)


def unlinked(text: str) -> str:
    schemed = _SCHEMED.sub(
        lambda match: f"{match.group(1)}[://]{match.group(2).replace('.', '[.]')}",
        unicodedata.normalize("NFC", text),  # the form find_urls' indices are in
    )
    parts, last = [], 0
    for start, end in find_urls(schemed):  # what is left: host names without a scheme
        parts += [schemed[last:start], schemed[start:end].replace(".", "[.]")]
        last = end
    parts.append(schemed[last:])
    return "".join(parts)
