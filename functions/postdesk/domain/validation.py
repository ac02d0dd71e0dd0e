"""Validation of a proposal as submitted, from the web form, the JSON API or an email.

Every problem is collected, each naming its field, so the proposer can fix them all at once.
Text containing `<`, `&` or quotes is ordinary text: it is escaped where it is shown, never refused.

What is refused is what no person types and what would break a page, a mail or the table: control
characters other than a line break or a tab (NUL, ESC, DEL...: a tab is kept because text pasted from
an office document or a mail carries them, and it shows as a space everywhere), a lone UTF-16
surrogate (JSON can spell one; it cannot be stored or mailed), and dates outside a sane window."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from postdesk.domain import counting
from postdesk.domain.addresses import is_allowed_proposer, is_well_formed, refused_characters
from postdesk.domain.kinds import Kind
from postdesk.domain.proposal import ImageUpload, ProposalDraft
from postdesk.errors import FieldError, InvalidProposal

MAX_IMAGES = 4
MAX_IMAGE_BYTES = 4 * 1024 * 1024  # below X's 5 MB, and what a request can carry
MAX_IMAGES_TOTAL_BYTES = 4 * 1024 * 1024  # all images together: keeps a request within Lambda's 6 MB
MAX_ALT_LENGTH = 1000  # X's limit for alt text
MAX_REFERENCE_LENGTH = 100
# The dates a proposal may name: nothing before this century, nothing further ahead than a few years
# (a year typed wrong, not a plan). Outside them a date is refused, not converted.
EARLIEST_DATE = datetime(2000, 1, 1, tzinfo=UTC)
MAX_DAYS_AHEAD = 5 * 366
_SURROGATE = re.compile("[\ud800-\udfff]")

IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}

# What each problem says, in English; pages translate them by code (postdesk.wording.FIELD_ERRORS).
MESSAGES: dict[str, str] = {
    "required": "is required",
    "not_string": "must be a string",
    "not_boolean": "must be true or false",
    "bad_datetime": "must be a date and time in ISO 8601, e.g. 2026-12-01T08:00",
    "invalid_characters": "contains characters X refuses (U+FFFE, U+FEFF or U+FFFF)",
    "text_too_long": "is {count} characters as X counts them; {max} at most",
    "unknown_kind": "must be one of {kinds}",
    "bad_email": "is not an email address",
    "email_not_allowed": "must be a work address ({domains})",
    "past": "is already past",
    "time_does_not_exist": "{time} does not exist that night (the clocks skip it): choose another time",
    "after_expiry": "must come before the expiry",
    "too_long": "is longer than {max} characters",
    "agreement_missing": "a call for witnesses needs the prosecutor's office's agreement",
    "reference_missing": "a call for witnesses needs the prosecutor's reference",
    "urgent_only_witness": "only a call for witnesses can be urgent",
    "too_many_images": "{count} images attached; {max} at most",
    "not_an_image": "is not an image (JPEG, PNG, GIF or WebP)",
    "image_too_large": "is larger than {mb} MB",
    "alt_missing": "every image needs an alt text describing it",
    "images_too_heavy": "the images together weigh more than {mb} MB",
    # Hostile and malformed input (issue 11)
    "control_characters": "contains control characters ({characters}); only line breaks and tabs are allowed",
    "broken_characters": "contains a broken character (a lone UTF-16 surrogate), which is not text",
    "email_characters": "contains characters an email address cannot hold: {characters}",
    "date_out_of_range": "must be between {earliest} and {latest}",
}

_TRUE = {"true", "on", "1", "yes", "oui"}
_FALSE = {"false", "off", "0", "no", "non", ""}


def sniff_image_type(data: bytes) -> str | None:
    """The image type the bytes really are, whatever the upload claims."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def field_error(field: str, code: str, **params: object) -> FieldError:
    """A problem with one field, worded from MESSAGES (pages translate it by its code)."""
    message = MESSAGES[code].format(**params)
    return FieldError(field, message, code, tuple((k, str(v)) for k, v in params.items()))


def _control_characters(text: str) -> list[str]:
    found = dict.fromkeys(c for c in text if c not in "\n\t" and unicodedata.category(c) == "Cc")
    return [f"U+{ord(c):04X}" for c in found]


def plain_text_errors(field: str, text: str) -> list[FieldError]:
    """What keeps `text` from being shown, mailed and stored as it is (any text a person writes)."""
    if _SURROGATE.search(text):
        return [field_error(field, "broken_characters")]
    controls = _control_characters(text)
    if controls:
        return [field_error(field, "control_characters", characters=", ".join(controls))]
    return []


def normalised_lines(text: str) -> str:
    """Line breaks as one `\n`, whichever system wrote them."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _text_errors(text: str) -> list[FieldError]:
    plain = plain_text_errors("text", text)
    if plain:
        return plain
    tally = counting.count(text)
    if tally.invalid_characters:
        return [field_error("text", "invalid_characters")]
    if tally.weighted_length > counting.MAX_WEIGHTED_LENGTH:
        return [
            field_error(
                "text", "text_too_long", count=tally.weighted_length, max=counting.MAX_WEIGHTED_LENGTH
            )
        ]
    return []


def post_text(value: str | None) -> str:
    """The text of a post as a new version of it (an edit): the same rules as when it was proposed."""
    text = normalised_lines(value or "").strip()
    errors = _text_errors(text) if text else [field_error("text", "required")]
    if errors:
        raise InvalidProposal(errors)
    return text


class _Collector:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, code: str, **params: object) -> None:
        self.errors.append(field_error(field, code, **params))

    def string(self, fields: Mapping[str, object], name: str, *, required: bool = False) -> str | None:
        value = fields.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(name, "required")
            return None
        if not isinstance(value, str):
            self.add(name, "not_string")
            return None
        if _SURROGATE.search(value):
            self.add(name, "broken_characters")
            return None
        return value

    def boolean(self, fields: Mapping[str, object], name: str) -> bool | None:
        value = fields.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        self.add(name, "not_boolean")
        return None

    def moment(
        self, fields: Mapping[str, object], name: str, zone: ZoneInfo, now: datetime
    ) -> datetime | None:
        value = self.string(fields, name)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            self.add(name, "bad_datetime")
            return None
        if parsed.tzinfo is None:  # the form's datetime-local: the organisation's time zone
            local = parsed.replace(tzinfo=zone)
            try:
                round_trip = local.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
            except OverflowError:  # year 1 or 9999: the window check below says so
                round_trip = parsed
            if round_trip != parsed:
                # A time the clocks skip that night (spring forward): it never happens there.
                self.add(name, "time_does_not_exist", time=parsed.strftime("%H:%M"))
                return None
            # A time the clocks go through twice (fall back) is taken the first time, summer time; pages
            # and mails then show it with its offset (wording.when).
            parsed = local
        latest = now + timedelta(days=MAX_DAYS_AHEAD)
        try:
            moment = parsed.astimezone(UTC)
        except OverflowError:  # year 1 or 9999 with an offset: outside what a datetime holds
            moment = None
        if moment is None or not EARLIEST_DATE <= moment <= latest:
            self.add(
                name,
                "date_out_of_range",
                earliest=EARLIEST_DATE.date().isoformat(),
                latest=latest.date().isoformat(),
            )
            return None
        return moment


def validate_proposal(
    fields: Mapping[str, object],
    images: Sequence[ImageUpload] = (),
    *,
    allowed_domains: Sequence[str],
    allowed_addresses: Sequence[str] = (),
    now: datetime,
    time_zone: str = "Europe/Paris",
    explicit_prosecutor_agreement: bool = False,
) -> ProposalDraft:
    """A draft ready to store, or InvalidProposal listing every problem.

    `explicit_prosecutor_agreement` is set by the web form, whose checkbox must be ticked; the JSON API
    accepts the reference alone as the statement that the prosecutor's office agreed."""
    check = _Collector()
    zone = ZoneInfo(time_zone)

    text = check.string(fields, "text", required=True)
    if text is not None:
        text = normalised_lines(text).strip()
        check.errors += _text_errors(text)

    kind: Kind | None = None
    raw_kind = check.string(fields, "kind", required=True)
    if raw_kind is not None:
        try:
            kind = Kind(raw_kind.strip())
        except ValueError:
            check.add("kind", "unknown_kind", kinds=", ".join(k.value for k in Kind))

    email = check.string(fields, "proposer_email", required=True)
    if email is not None:
        email = email.strip()
        refused = refused_characters(email) if "@" in email else []  # no @: not even meant as one
        if refused:
            check.add("proposer_email", "email_characters", characters=" ".join(refused))
        elif not is_well_formed(email):
            check.add("proposer_email", "bad_email")
        elif not is_allowed_proposer(email, list(allowed_domains), list(allowed_addresses)):
            check.add(
                "proposer_email", "email_not_allowed", domains=", ".join("@" + d for d in allowed_domains)
            )

    judicial_risk = check.boolean(fields, "judicial_risk") or False
    urgent = check.boolean(fields, "urgent") or False
    not_before = check.moment(fields, "not_before", zone, now)
    expires_at = check.moment(fields, "expires_at", zone, now)
    if expires_at is not None and expires_at <= now:
        check.add("expires_at", "past")
    if not_before is not None and not_before <= now:  # an embargo already over would say nothing
        check.add("not_before", "past")
    if not_before is not None and expires_at is not None and not_before >= expires_at:
        check.add("not_before", "after_expiry")

    reference = check.string(fields, "prosecutor_reference")
    reference = reference.strip() if reference else None
    if reference is not None and len(reference) > MAX_REFERENCE_LENGTH:
        check.add("prosecutor_reference", "too_long", max=MAX_REFERENCE_LENGTH)
    elif reference is not None:
        check.errors += plain_text_errors("prosecutor_reference", reference)
    agreement = check.boolean(fields, "prosecutor_agreement")
    if kind is Kind.WITNESS_APPEAL:
        if agreement is False or (explicit_prosecutor_agreement and not agreement):
            check.add("prosecutor_agreement", "agreement_missing")
        if reference is None:
            check.add("prosecutor_reference", "reference_missing")
    if urgent and kind is not None and kind is not Kind.WITNESS_APPEAL:
        check.add("urgent", "urgent_only_witness")

    _check_images(check, images)

    if check.errors:
        raise InvalidProposal(check.errors)
    assert text is not None and kind is not None and email is not None
    return ProposalDraft(
        text=text,
        kind=kind,
        proposer_email=email,
        judicial_risk=judicial_risk,
        urgent=urgent,
        not_before=not_before,
        expires_at=expires_at,
        prosecutor_reference=reference,
        images=tuple(images),
    )


def _check_images(check: _Collector, images: Sequence[ImageUpload]) -> None:
    if len(images) > MAX_IMAGES:
        check.add("images", "too_many_images", count=len(images), max=MAX_IMAGES)
    total = 0
    for image in images:
        total += len(image.data)
        real_type = sniff_image_type(image.data)
        if real_type is None:
            check.add(image.field, "not_an_image")
        elif len(image.data) > MAX_IMAGE_BYTES:
            check.add(image.field, "image_too_large", mb=MAX_IMAGE_BYTES // (1024 * 1024))
        if not image.alt.strip():
            check.add(image.alt_field, "alt_missing")
        elif len(image.alt) > MAX_ALT_LENGTH:
            check.add(image.alt_field, "too_long", max=MAX_ALT_LENGTH)
        else:
            check.errors += plain_text_errors(image.alt_field, normalised_lines(image.alt))
    if total > MAX_IMAGES_TOTAL_BYTES:
        check.add("images", "images_too_heavy", mb=MAX_IMAGES_TOTAL_BYTES // (1024 * 1024))
