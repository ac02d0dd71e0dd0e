"""The part of SES's receiving event (`"eventSource": "aws:ses"`) that postdesk acts on.

SES sends the envelope, the headers and the receipt's verdicts; the message itself is in the bucket
the receipt rule's S3 action wrote it to, under the rule's prefix and the message id."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import getaddresses
from typing import Any

VERDICT_NAMES = ("spam", "virus", "spf", "dkim", "dmarc")


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


def _addresses(values: list[str]) -> tuple[str, ...]:
    return tuple(address for _, address in getaddresses(values) if address)


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
    ses = record.get("ses") if isinstance(record, Mapping) else None
    if record.get("eventSource") != "aws:ses" or not isinstance(ses, Mapping):
        raise NotAnSesEvent("a record that is not from SES (eventSource aws:ses)")
    mail = ses.get("mail") or {}
    receipt = ses.get("receipt") or {}
    message_id = str(mail.get("messageId") or "")
    if not message_id or "/" in message_id:
        raise NotAnSesEvent("an SES record without a usable messageId")
    common = mail.get("commonHeaders") or {}
    headers = tuple(
        (str(header.get("name", "")), str(header.get("value", "")))
        for header in mail.get("headers") or []
        if isinstance(header, Mapping)
    )
    subject = common.get("subject")
    return ReceivedMail(
        message_id=message_id,
        envelope_sender=str(mail.get("source") or "").strip("<>"),
        from_addresses=_addresses(_strings(common.get("from"))),
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
    )
