"""Email out through SES: every mail carries a plain-text and an HTML part (sent as raw MIME, so that
both reach the reader; SES's simple API would drop one of them in some implementations)."""

from __future__ import annotations

from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid
from typing import TYPE_CHECKING, Any

import boto3

from postdesk.aws import AWS_TIMEOUTS

if TYPE_CHECKING:
    from mypy_boto3_ses import SESClient

    from postdesk.domain.mail import Mail


PROPOSAL_TAG = "proposal"


class SesMailer:
    def __init__(
        self,
        sender: str,
        client: SESClient | None = None,
        configuration_set: str = "",
        display_name: str = "postdesk",
    ) -> None:
        self._sender = sender
        self._display_name = display_name  # the organisation's name: who the mail is from, for people
        self._client = client or boto3.client("ses", config=AWS_TIMEOUTS)
        # With a configuration set, SES reports each bounce, complaint and reject of this mail to the
        # operator's topic; the proposal's id travels as a message tag to say whose it was.
        self._configuration_set = configuration_set

    def send(self, mail: Mail) -> str:
        # The classic API folds long non-ASCII subjects correctly; email.policy.default drops the space
        # between two encoded words when it folds them ("Affaire résolue" -> "Affairerésolue").
        message = MIMEMultipart("alternative")
        message["From"] = formataddr((self._display_name, self._sender))
        message["To"] = ", ".join(mail.to)
        message["Subject"] = Header(mail.subject, "utf-8")  # type: ignore[assignment]
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain=self._sender.rpartition("@")[2] or None)
        message.attach(MIMEText(mail.text, "plain", "utf-8"))
        message.attach(MIMEText(mail.html, "html", "utf-8"))
        tracking: dict[str, Any] = {}
        if self._configuration_set:
            tracking["ConfigurationSetName"] = self._configuration_set
            if mail.proposal_id:
                tracking["Tags"] = [{"Name": PROPOSAL_TAG, "Value": mail.proposal_id}]
        answer = self._client.send_raw_email(
            Source=self._sender,
            Destinations=list(mail.to),
            RawMessage={"Data": message.as_bytes()},
            **tracking,
        )
        return answer["MessageId"]
