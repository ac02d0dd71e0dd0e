"""Email out through SES: every mail carries a plain-text and an HTML part (sent as raw MIME, so that
both reach the reader; SES's simple API would drop one of them in some implementations)."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import TYPE_CHECKING, Protocol

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_ses import SESClient

AWS_TIMEOUTS = Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"})


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    subject: str
    text: str
    html: str


class Mailer(Protocol):
    def send(self, mail: Mail) -> str: ...


class SesMailer:
    def __init__(self, sender: str, client: SESClient | None = None) -> None:
        self._sender = sender
        self._client = client or boto3.client("ses", config=AWS_TIMEOUTS)

    def send(self, mail: Mail) -> str:
        message = EmailMessage()
        message["From"] = formataddr(("postdesk", self._sender))
        message["To"] = ", ".join(mail.to)
        message["Subject"] = mail.subject
        message["Message-ID"] = make_msgid(domain=self._sender.rpartition("@")[2] or None)
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        answer = self._client.send_raw_email(
            Source=self._sender,
            Destinations=list(mail.to),
            RawMessage={"Data": message.as_bytes()},
        )
        return answer["MessageId"]
