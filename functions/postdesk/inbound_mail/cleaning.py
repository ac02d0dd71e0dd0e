"""From a mail's body to a proposal's text: what the proposer wrote, without what their mail client
added.

Quoted replies go: `> ` lines, and everything from an attribution line ("Le ... a écrit :", "On ...
wrote:", "-----Original Message-----") on. A signature goes from its `-- ` line on, and a mobile
client's "Envoyé de mon iPhone" with it. A forwarded message ("---------- Forwarded message ---------",
"Début du message réexpédié :", Outlook's "De : / Envoyé : / À : / Objet :" block under a forwarded
subject) is the text only when nothing was written above it: a note above it is the proposal, the
forwarded part its context. `Alt: ...` lines give the images' alt texts, in order (`Alt 2: ...` names
its image), and leave the text."""

from __future__ import annotations

import re
from dataclasses import dataclass

# "Le lun. 30 nov. 2026 à 10:00, Jean <jean@example.org> a écrit :" (clients wrap it over two lines)
_ATTRIBUTION = re.compile(
    r"^\s*(?:le|on|am|el|il)\b(?=.*\d).{0,300}(?:a\s+écrit|wrote|schrieb|escribió|ha\s+scritto)\s*:\s*$",
    re.IGNORECASE | re.DOTALL,
)
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(?:original message|message d['’]origine|ursprüngliche nachricht)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_FORWARD_MARKER = re.compile(
    r"^\s*(?:-{2,}\s*(?:forwarded message|message transféré|message transfere|weitergeleitete nachricht)"
    r"\s*-{2,}|d[ée]but du message r[ée]exp[ée]di[ée]\s*:|begin forwarded message\s*:)\s*$",
    re.IGNORECASE,
)
_OUTLOOK_SEPARATOR = re.compile(r"^\s*_{10,}\s*$")
_HEADER_LINE = re.compile(
    r"^\s*\**(?:de|from|envoyé|sent|date|à|a|to|cc|cci|bcc|objet|subject|répondre à|reply-to)\**\s*:",
    re.IGNORECASE,
)
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:envoy[ée] (?:de|depuis) (?:mon|ma|un|une)\b.*|sent from my\b.*|get outlook for \w+.*"
    r"|obtenir outlook pour \w+.*|t[ée]l[ée]charger outlook pour \w+.*)$",
    re.IGNORECASE,
)
_ALT_LINE = re.compile(r"^\s*(?:alt|texte alternatif|alt text)\s*(\d)?\s*:\s*(.*?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class CleanText:
    text: str
    alt_texts: tuple[str, ...] = ()  # in the order of the images
    numbered_alt_texts: tuple[tuple[int, str], ...] = ()  # `Alt 2: ...`
    from_forward: bool = False


def unflow(text: str, delsp: bool = False) -> str:
    """RFC 3676 format=flowed: a line ending in a space goes on with the next (a signature's `-- `
    excepted); quoted lines are left as they are (they are dropped later)."""
    out: list[str] = []
    joining = False
    for raw_line in text.split("\n"):
        # space-stuffing: a sender adds one space before a line that starts with a space
        line = raw_line[1:] if raw_line.startswith(" ") else raw_line
        if joining and out and not line.startswith(">"):
            out[-1] += line
        else:
            out.append(line)
        joining = line.endswith(" ") and line != "-- " and not line.startswith(">")
        if joining and delsp:
            out[-1] = out[-1][:-1]
    return "\n".join(out)


def _outlook_block_at(lines: list[str], index: int) -> bool:
    """Outlook's quoted message: a line of underscores, then "De : / From:" header lines."""
    following = lines[index + 1 : index + 3]
    return bool(_OUTLOOK_SEPARATOR.match(lines[index])) and any(
        _HEADER_LINE.match(line) for line in following
    )


def _cut_reply(lines: list[str]) -> list[str]:
    """The lines before a reply's quoted part, without the `>` lines anywhere."""
    for index, line in enumerate(lines):
        two_lines = line + " " + lines[index + 1] if index + 1 < len(lines) else line
        if _ORIGINAL_MESSAGE.match(line) or _ATTRIBUTION.match(line) or _outlook_block_at(lines, index):
            return [kept for kept in lines[:index] if not kept.lstrip().startswith(">")]
        if line.strip().lower().startswith(("le ", "on ")) and _ATTRIBUTION.match(two_lines):
            return [kept for kept in lines[:index] if not kept.lstrip().startswith(">")]
    return [line for line in lines if not line.lstrip().startswith(">")]


def _forward_split(lines: list[str], forwarded_subject: bool) -> tuple[list[str], list[str] | None]:
    """(what is above a forwarded message, the forwarded message's lines or None)."""
    for index, line in enumerate(lines):
        if _FORWARD_MARKER.match(line):
            return lines[:index], lines[index + 1 :]
        if forwarded_subject and _outlook_block_at(lines, index):
            return lines[:index], lines[index + 1 :]
    return lines, None


def _drop_header_block(lines: list[str]) -> list[str]:
    """A forwarded message's lines without its "From: / Date: / Subject: / To:" block."""
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    start = index
    while index < len(lines) and (
        _HEADER_LINE.match(lines[index]) or (index > start and lines[index][:1] in " \t")
    ):
        index += 1
    return lines[index:] if index > start else lines


def _cut_signature(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        if line.rstrip() == "--" or line == "-- ":
            lines = lines[:index]
            break
    while lines and (not lines[-1].strip() or _MOBILE_SIGNATURE.match(lines[-1])):
        lines = lines[:-1]
    return lines


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _tidy(lines: list[str]) -> str:
    text = _CONTROL_CHARACTERS.sub("", "\n".join(line.rstrip() for line in lines))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _own_text(lines: list[str]) -> list[str]:
    return _cut_signature(_cut_reply(lines))


def clean_body(body: str, *, forwarded_subject: bool = False) -> CleanText:
    """The proposal's text in `body` (already decoded, and unflowed if it was flowed)."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    above, forwarded = _forward_split(lines, forwarded_subject)
    own = _own_text(above)
    from_forward = False
    if forwarded is not None and not _tidy(_without_alt_lines(own)[0]):
        own = _own_text(_drop_header_block(forwarded)) + _alt_lines_only(own)
        from_forward = True
    kept, alts, numbered = _without_alt_lines(own)
    return CleanText(_tidy(kept), tuple(alts), tuple(numbered), from_forward)


def _without_alt_lines(lines: list[str]) -> tuple[list[str], list[str], list[tuple[int, str]]]:
    kept: list[str] = []
    alts: list[str] = []
    numbered: list[tuple[int, str]] = []
    for line in lines:
        match = _ALT_LINE.match(line)
        if match is None:
            kept.append(line)
        elif match.group(1):
            numbered.append((int(match.group(1)), match.group(2)))
        else:
            alts.append(match.group(2))
    return kept, alts, numbered


def _alt_lines_only(lines: list[str]) -> list[str]:
    return [line for line in lines if _ALT_LINE.match(line)]
