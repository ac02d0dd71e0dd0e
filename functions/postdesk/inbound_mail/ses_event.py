"""The part of SES's receiving event (`"eventSource": "aws:ses"`) that postdesk acts on.

SES sends the envelope, the headers and the receipt's verdicts; the message itself is in the bucket
the receipt rule's S3 action wrote it to, under the rule's prefix and the message id.

The From address is read here from the message's own From header, strictly: mail programs and DMARC
read `director@example.org <evil@other.test>` as evil@other.test while a lenient parser finds
director@example.org in it, so a From header the parser had to repair (any defect but a period in a
display name, `J. Dupont <j.dupont@example.org>`, which RFC 5322 still reads), or holding other than
one address, or given twice, is a problem the mail is refused for. Nothing here raises on a record
SES could send, however odd its contents: what is not SES's receiving event is NotAnSesEvent."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email import errors, policy
from email.utils import getaddresses
from typing import Any

VERDICT_NAMES = ("spam", "virus", "spf", "dkim", "dmarc")
_FOLD = re.compile(r"\r?\n(?=[ \t])")


@dataclass(frozen=True)
class Verdicts:
    """Each of SES's verdicts: PASS, FAIL, GRAY, PROCESSING_FAILED or DISABLED ("" when absent)."""

    spam: str = ""
    virus: str = ""
    spf: str = ""
    dkim: str = ""
    dmarc: str = ""


@dataclass(frozen=True)
class ReceivedMail:
    """One received mail as SES describes it, before its raw message is read."""

    message_id: str
    envelope_sender: str  # MAIL FROM, which SPF checks; empty for a bounce
    from_addresses: tuple[str, ...]  # the From header's addresses, which DMARC authenticates
    subject: str
    header_recipients: tuple[str, ...]  # every To and Cc address of the headers
    recipients: tuple[str, ...]  # the envelope recipients the receipt rule matched
    headers: tuple[tuple[str, str], ...] = ()
    verdicts: Verdicts = field(default_factory=Verdicts)
    from_problem: str = ""  # why the From header is not one well-formed address ("" when it is)

    def header(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]


class NotAnSesEvent(ValueError):
    """The event is not SES's receiving event: a wiring mistake, not a mail to refuse."""


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(item) for item in value if item is not None]
    return []


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _addresses(values: list[str]) -> tuple[str, ...]:
    try:
        return tuple(address for _, address in getaddresses(values) if address)
    except Exception:  # getaddresses has raised on crafted headers: list none, as for a missing one
        return ()


def _tolerated(defect: errors.MessageDefect) -> bool:
    """A period in a display name (`J. Dupont`): obsolete syntax that every reader reads alike."""
    return isinstance(defect, errors.ObsoleteHeaderDefect) and "period in 'phrase'" in str(defect)


def from_header(values: Sequence[str]) -> tuple[tuple[str, ...], str]:
    """The addresses of the From header(s) `values`, and the problem that keeps them from being one
    sender ("" when there is none)."""
    if not values:
        return (), "no From header"
    if len(values) > 1:
        return _addresses(list(values)), f"{len(values)} From headers"
    try:
        unfolded = _FOLD.sub("", values[0])  # RFC 5322 unfolding, whether or not SES unfolded it
        parsed = policy.default.header_factory("From", unfolded)
        defects = [defect for defect in parsed.defects if not _tolerated(defect)]
        addresses = tuple(address.addr_spec for address in parsed.addresses)
    except Exception:  # the header parser has raised on crafted headers: that is a malformed From
        return (), "a From header that cannot be parsed"
    if defects:
        return addresses, f"a malformed From header ({defects[0]})"
    if len(addresses) != 1:
        return addresses, f"{len(addresses)} addresses in From, not one"
    return addresses, ""


def _status(receipt: Mapping[str, Any], name: str) -> str:
    verdict = receipt.get(f"{name}Verdict")
    return str(verdict.get("status", "")).upper() if isinstance(verdict, Mapping) else ""


def received_mails(event: Mapping[str, Any]) -> list[ReceivedMail]:
    """The mails of an SES receiving event (one record in practice), or NotAnSesEvent."""
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        raise NotAnSesEvent("the event has no Records")
    return [received_mail(record) for record in records]


def received_mail(record: Mapping[str, Any]) -> ReceivedMail:
    record = _mapping(record)
    ses = record.get("ses")
    if record.get("eventSource") != "aws:ses" or not isinstance(ses, Mapping):
        raise NotAnSesEvent("a record that is not from SES (eventSource aws:ses)")
    mail = _mapping(ses.get("mail"))
    receipt = _mapping(ses.get("receipt"))
    message_id = mail.get("messageId")
    if not isinstance(message_id, str) or not message_id or "/" in message_id:
        raise NotAnSesEvent("an SES record without a usable messageId")
    common = _mapping(mail.get("commonHeaders"))
    listed = mail.get("headers")
    headers = tuple(
        (str(header.get("name", "")), str(header.get("value", "")))
        for header in (listed if isinstance(listed, list) else [])
        if isinstance(header, Mapping)
    )
    # The message's own From header; SES's copy only when the headers were cut short before it.
    from_values = [value for name, value in headers if name.lower() == "from"]
    if not from_values and _strings(common.get("from")):
        from_values = [", ".join(_strings(common.get("from")))]
    from_addresses, from_problem = from_header(from_values)
    subject = common.get("subject")
    return ReceivedMail(
        message_id=message_id,
        envelope_sender=str(mail.get("source") or "").strip("<>"),
        from_addresses=from_addresses,
        subject=str(subject) if subject is not None else "",
        header_recipients=tuple(
            dict.fromkeys(
                _addresses(_strings(mail.get("destination")))
                + _addresses(_strings(common.get("to")) + _strings(common.get("cc")))
            )
        ),
        recipients=tuple(_strings(receipt.get("recipients"))),
        headers=headers,
        verdicts=Verdicts(**{name: _status(receipt, name) for name in VERDICT_NAMES}),
        from_problem=from_problem,
    )
