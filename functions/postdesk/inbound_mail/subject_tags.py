"""The kind of a proposal by email, from a tag in its subject: `[prévention]`, `[Witnesses]`...

Tags are read in French and English, whatever their case and accents (`[temoins]` is `[témoins]`).
Two tags naming different kinds name none: the confirmation page asks."""

from __future__ import annotations

import re
import unicodedata

from postdesk.domain.kinds import Kind

_TAG = re.compile(r"\[([^\[\]]{1,60})\]")
_FORWARD_PREFIX = re.compile(r"^\s*(?:(?:fwd?|tr|wg|rv|enc)\s*:\s*)+", re.IGNORECASE)
_REPLY_OR_FORWARD_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|fwd?|tr|wg|rv|enc)\s*:\s*)+", re.IGNORECASE)

_TAGS: dict[str, Kind] = {
    **dict.fromkeys(["prevention", "prevent"], Kind.PREVENTION),
    **dict.fromkeys(["conseil", "conseils", "advice", "tip", "tips"], Kind.ADVICE),
    **dict.fromkeys(["recrutement", "recruitment", "recruiting"], Kind.RECRUITMENT),
    **dict.fromkeys(
        ["service a l'honneur", "service", "service focus", "service in focus"], Kind.SERVICE_FOCUS
    ),
    **dict.fromkeys(["affaire resolue", "resolu", "resolue", "solved case", "solved"], Kind.SOLVED_CASE),
    **dict.fromkeys(
        [
            "temoins",
            "appel a temoins",
            "temoin",
            "witnesses",
            "witness",
            "witness appeal",
            "call for witnesses",
        ],
        Kind.WITNESS_APPEAL,
    ),
    **dict.fromkeys(["autre", "other"], Kind.OTHER),
    **{kind.value: kind for kind in Kind},
}


def normalise(tag: str) -> str:
    """Lower case, no accents, one kind of apostrophe and of space: what a tag is compared as."""
    decomposed = unicodedata.normalize("NFKD", tag)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    bare = bare.casefold().replace("’", "'").replace("_", " ").replace("-", " ")
    return " ".join(bare.split())


def kind_of_subject(subject: str) -> Kind | None:
    """The kind the subject's tags name, or None when they name none or several."""
    kinds = {_TAGS[name] for tag in _TAG.findall(subject) if (name := normalise(tag)) in _TAGS}
    return kinds.pop() if len(kinds) == 1 else None


def is_forward(subject: str) -> bool:
    return bool(_FORWARD_PREFIX.match(subject))


def bare_subject(subject: str) -> str:
    """The subject without Re:/Fwd: prefixes nor kind tags, as a person names their mail."""
    without_prefix = _REPLY_OR_FORWARD_PREFIX.sub("", subject)
    without_tags = _TAG.sub(lambda m: "" if normalise(m.group(1)) in _TAGS else m.group(0), without_prefix)
    return " ".join(without_tags.split())
