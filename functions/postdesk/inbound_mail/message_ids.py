"""A received mail's own identity: its `Message-ID` header, as written by the sender's mail program,
with its sender.

SES gives every delivery a message id of its own, so the same message delivered twice (resent through
SMTP, relayed by two routes, or bounced back in by a forwarding rule) arrives under two SES ids. Its
Message-ID stays: normalised here (the angle brackets, folding whitespace and comments dropped, the
right-hand side's case ignored, as it is a domain name), and paired with the canonical sender, so that
one person's message can't be made to stand for another's. No header, no identity: such a mail is
never taken for another."""

from __future__ import annotations

import hashlib
import re

from postdesk.domain.addresses import canonical_address

MAX_MESSAGE_ID = 998  # a header line's length, RFC 5322 2.1.1
_COMMENT = re.compile(r"\([^()]*\)")
_BRACKETED = re.compile(r"<([^<>]+)>")


def normalised_message_id(values: list[str]) -> str | None:
    """The one Message-ID of a mail's Message-ID header(s), normalised; None when there is none or
    more than one different one (a mail can't be recognised by what it says twice differently)."""
    found = {normalised for value in values if (normalised := _normalised(value)) is not None}
    return found.pop() if len(found) == 1 else None


def _normalised(value: str) -> str | None:
    text = _COMMENT.sub("", value)
    text = "".join(text.split())  # unfolded, and the spaces some programs put inside the brackets
    bracketed = _BRACKETED.search(text)
    identity = bracketed.group(1) if bracketed else text
    if not identity or len(identity) > MAX_MESSAGE_ID or not identity.isprintable():
        return None
    left, at, right = identity.rpartition("@")
    return f"{left}@{right.lower()}" if at else identity


def message_key(sender: str, message_id: str) -> str:
    """The key of one person's message: a digest, so that any Message-ID fits a table key."""
    return hashlib.sha256(f"{canonical_address(sender)}\n{message_id}".encode()).hexdigest()
