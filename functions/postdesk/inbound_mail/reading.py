"""A raw message, read with the standard library's `email` package under `email.policy.default`, as
the parts of a proposal: its text, its images and their alt texts, the kind its subject names.

Nothing here raises on a message, however malformed: what keeps a mail from becoming a proposal is a
MailProblem (an unknown charset, no text, a structure that cannot be read...), which the sender is
told of. Plain text is preferred; an HTML-only mail is turned into text. Text parts split around inline
images (as Apple Mail writes them) are joined in order. Images are every image part, attached or
inline, in the order of the message, and attachments declared as application/octet-stream whose bytes
are an image; other attachments are listed as ignored."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from email import errors, policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser

from postdesk.domain.kinds import Kind
from postdesk.domain.proposal import ImageUpload
from postdesk.domain.validation import IMAGE_TYPES, sniff_image_type
from postdesk.inbound_mail.cleaning import CleanText, clean_body, unflow
from postdesk.inbound_mail.html_text import html_to_text
from postdesk.inbound_mail.problems import MailProblem
from postdesk.inbound_mail.subject_tags import is_forward, kind_of_subject

# Names mail programs use that Python's codecs do not know.
_CHARSET_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "x-sjis": "shift_jis",
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "",
}
_STRUCTURE_DEFECTS = (
    errors.StartBoundaryNotFoundDefect,
    errors.CloseBoundaryNotFoundDefect,
    errors.NoBoundaryInMultipartDefect,
    errors.MultipartInvariantViolationDefect,
    errors.MissingHeaderBodySeparatorDefect,
    errors.InvalidMultipartContentTransferEncodingDefect,
)
MAX_FORWARD_DEPTH = 3


@dataclass(frozen=True)
class ReadMail:
    subject: str
    text: str
    kind: Kind | None  # None: no tag, or tags naming different kinds
    images: tuple[ImageUpload, ...]
    ignored_attachments: tuple[str, ...] = ()
    problems: tuple[MailProblem, ...] = ()  # what keeps it from becoming a proposal, before validation
    from_forward: bool = False


def parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def header_text(message: EmailMessage, name: str) -> str:
    """A header as text, one line; a header the parser chokes on is decoded by hand."""
    try:
        value = message.get(name)
        text = "" if value is None else str(value)
    except Exception:  # the header parser has raised on crafted headers; read it raw instead
        raw = next((value for key, value in message.raw_items() if key.lower() == name.lower()), "")
        try:
            text = str(make_header(decode_header(str(raw))))
        except Exception:
            text = str(raw)
    return " ".join(text.split())


def _decoded(part: EmailMessage) -> tuple[str | None, MailProblem | None]:
    """The part's text, or why it cannot be had (the charset is unknown, or the bytes are not in it)."""
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    declared = (part.get_content_charset() or "us-ascii").strip().strip('"').lower()
    charset = _CHARSET_ALIASES.get(declared, declared)
    try:
        codec = codecs.lookup(charset) if charset else None
    except LookupError:
        codec = None
    if codec is None or not getattr(codec, "_is_text_encoding", True):
        return None, MailProblem.of("unknown_charset", charset=declared[:40])
    candidates = [codec.name]
    if codec.name == "ascii":  # no charset, or us-ascii: 8-bit bytes are UTF-8, or else Windows'
        candidates += ["utf-8", "cp1252"]
    for name in candidates:
        try:
            text = data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        if part.get_param("format") == "flowed":
            text = unflow(text.replace("\r\n", "\n"), delsp=str(part.get_param("delsp")).lower() == "yes")
        return text, None
    return None, MailProblem.of("undecodable", charset=declared[:40])


def _text_parts(part: EmailMessage, subtype: str) -> list[EmailMessage]:
    """The inline text/<subtype> parts of the body, in order (one alternative of each alternative)."""
    content_type = part.get_content_type()
    if content_type == "multipart/alternative":
        for alternative in part.iter_parts():
            if isinstance(alternative, EmailMessage) and (found := _text_parts(alternative, subtype)):
                return found
        return []
    if part.get_content_maintype() == "multipart":
        if not part.is_multipart():  # a multipart whose boundary never came
            return []
        return [
            found
            for child in part.iter_parts()
            if isinstance(child, EmailMessage)
            for found in _text_parts(child, subtype)
        ]
    if content_type == f"text/{subtype}" and not part.is_attachment():
        return [part]
    return []


def _body(message: EmailMessage, forwarded_subject: bool) -> tuple[CleanText, list[MailProblem]]:
    problems: list[MailProblem] = []
    for subtype in ("plain", "html"):
        pieces: list[str] = []
        for part in _text_parts(message, subtype):
            text, problem = _decoded(part)
            if problem is not None:
                problems.append(problem)
            elif text is not None:
                pieces.append(html_to_text(text) if subtype == "html" else text)
        if pieces:
            clean = clean_body("\n".join(pieces), forwarded_subject=forwarded_subject)
            if clean.text:
                return clean, []
    return CleanText(""), problems


def _attached_messages(message: EmailMessage) -> list[EmailMessage]:
    return [
        inner
        for part in message.walk()
        if part.get_content_type() == "message/rfc822" and part.is_multipart()
        for inner in part.iter_parts()
        if isinstance(inner, EmailMessage)
    ]


def _has_structure_defects(message: EmailMessage) -> bool:
    return any(isinstance(defect, _STRUCTURE_DEFECTS) for part in message.walk() for defect in part.defects)


def _images_and_ignored(message: EmailMessage) -> tuple[list[ImageUpload], list[str]]:
    images: list[ImageUpload] = []
    ignored: list[str] = []
    for part in message.walk():
        maintype = part.get_content_maintype()
        if maintype in ("multipart", "message"):
            continue
        if maintype == "text" and not part.is_attachment():
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        name = header_filename(part)
        sniffed = sniff_image_type(data)
        if maintype == "image" or (part.get_content_type() == "application/octet-stream" and sniffed):
            number = len(images) + 1
            images.append(
                ImageUpload(
                    data=data,
                    content_type=sniffed or part.get_content_type(),
                    alt="",
                    filename=name or f"image-{number}.{IMAGE_TYPES.get(sniffed or '', 'bin')}",
                    field=f"image_{number}",
                    alt_field=f"alt_{number}",
                )
            )
        else:
            ignored.append(name or part.get_content_type())
    return images, ignored


def header_filename(part: EmailMessage) -> str:
    try:
        return " ".join((part.get_filename() or "").split())[:200]
    except Exception:  # a crafted filename parameter
        return ""


def _with_alt_texts(
    images: list[ImageUpload], clean: CleanText
) -> tuple[tuple[ImageUpload, ...], list[MailProblem]]:
    alts: dict[int, str] = dict(enumerate(clean.alt_texts, start=1))
    alts.update(dict(clean.numbered_alt_texts))
    problems: list[MailProblem] = []
    surplus = [number for number in alts if number > len(images)]
    if surplus:
        problems.append(MailProblem.of("alt_without_image", count=len(alts), images=len(images)))
    completed = tuple(
        ImageUpload(
            data=image.data,
            content_type=image.content_type,
            alt=alts.get(number, ""),
            filename=image.filename,
            field=image.field,
            alt_field=image.alt_field,
        )
        for number, image in enumerate(images, start=1)
    )
    return completed, problems


def read_message(raw: bytes) -> ReadMail:
    """The proposal a raw message holds, with the problems that keep it from being one."""
    try:
        return _read(raw)
    except RecursionError:  # parts nested deeper than the parser can recurse (a thousand levels)
        return ReadMail(subject="", text="", kind=None, images=(), problems=(MailProblem.of("malformed"),))


def _read(raw: bytes) -> ReadMail:
    message = parse(raw)
    subject = header_text(message, "Subject")
    forwarded_subject = is_forward(subject)
    clean, problems = _body(message, forwarded_subject)
    from_forward = clean.from_forward
    if not clean.text:
        for inner in _attached_messages(message)[:MAX_FORWARD_DEPTH]:
            inner_clean, inner_problems = _body(inner, forwarded_subject=True)
            if inner_clean.text:
                clean = CleanText(
                    inner_clean.text,
                    clean.alt_texts + inner_clean.alt_texts,
                    clean.numbered_alt_texts + inner_clean.numbered_alt_texts,
                    from_forward=True,
                )
                from_forward, problems = True, []
                break
            problems += inner_problems
    images, ignored = _images_and_ignored(message)
    if not clean.text and not problems:
        problems.append(MailProblem.of("malformed" if _has_structure_defects(message) else "no_text"))
    completed, alt_problems = _with_alt_texts(images, clean)
    return ReadMail(
        subject=subject,
        text=clean.text,
        kind=kind_of_subject(subject),
        images=completed,
        ignored_attachments=tuple(ignored),
        problems=tuple(dict.fromkeys([*problems, *alt_problems])),
        from_forward=from_forward,
    )
