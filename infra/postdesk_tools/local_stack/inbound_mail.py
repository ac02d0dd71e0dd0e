"""Mail in, for the local stack: a raw message is handed on exactly as SES's receipt rule hands it on,
its S3 action first (the raw message put in the media bucket under the rule's prefix and the message
id), then its Lambda action (SES's receiving event, built in the shape SES sends, to the inbound
function, in its own execution environments as Lambda runs it).

Messages come from the SMTP port (local_stack.smtp) or `POST /_local/inbound` (a raw MIME body). The
local stack does not judge mail: every verdict is PASS unless the message says otherwise in a test
header, `X-Postdesk-Test-Verdicts: spam=FAIL,dmarc=FAIL`, so that each refusal can be tried."""

from __future__ import annotations

import html
import logging
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, formataddr, getaddresses
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer

from postdesk.store.raw_mail import RawMailStore
from postdesk_tools.local_stack.console import PREFIX, Console, ConsoleRequest, ConsoleResponse, page
from postdesk_tools.local_stack.environment import REGION
from postdesk_tools.local_stack.lambda_function import LocalFunction
from postdesk_tools.local_stack.proposal_listing import json_safe
from postdesk_tools.local_stack.proxy_event import ACCOUNT_ID

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from postdesk_tools.local_stack.smtp import LocalSmtp
    from postdesk_tools.local_stack.stack import LocalStack

log = logging.getLogger("local_stack.inbound_mail")

INBOUND_FUNCTION = "InboundMailFunction"
RECEIPT_RULE_TYPE = "AWS::SES::ReceiptRule"
DEFAULT_PREFIX = "inbound-mail/"
DEFAULT_SUBMISSION_ADDRESS = "propositions@example.org"
VERDICTS_HEADER = "X-Postdesk-Test-Verdicts"
VERDICT_NAMES = ("spam", "virus", "spf", "dkim", "dmarc")
VERDICT_STATUSES = ("PASS", "FAIL", "GRAY", "PROCESSING_FAILED", "DISABLED")
SMTP_HOST = "127.0.0.1"
INBOUND = f"{PREFIX}inbound"
INBOUND_JSON = f"{PREFIX}inbound.json"


def receipt_rule_prefix(template: dict[str, Any]) -> str:
    """The ObjectKeyPrefix of the receipt rule's S3 action: where the function looks for raw mail."""
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") != RECEIPT_RULE_TYPE:
            continue
        for action in resource.get("Properties", {}).get("Rule", {}).get("Actions", []):
            prefix = action.get("S3Action", {}).get("ObjectKeyPrefix")
            if isinstance(prefix, str):
                return prefix
    return DEFAULT_PREFIX


def verdicts_asked(message: EmailMessage) -> dict[str, str]:
    """The verdicts a test mail asks for (PASS for what it does not name)."""
    verdicts = dict.fromkeys(VERDICT_NAMES, "PASS")
    for value in message.get_all(VERDICTS_HEADER, []):
        for pair in str(value).replace(";", ",").split(","):
            name, _, status = pair.partition("=")
            name, status = name.strip().lower(), status.strip().upper()
            if name in verdicts and status in VERDICT_STATUSES:
                verdicts[name] = status
    return verdicts


def ses_message_id() -> str:
    """An id shaped like SES's (40 lower-case letters and digits)."""
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(40))


def _headers_of(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    assert isinstance(message, EmailMessage)
    return message


def _unfold(value: str) -> str:
    return " ".join(value.replace("\r", "").replace("\n", " ").split())


def _addresses(message: EmailMessage, name: str) -> list[tuple[str, str]]:
    try:
        return [pair for pair in getaddresses([str(v) for v in message.get_all(name, [])]) if pair[1]]
    except Exception:  # a header the parser chokes on: SES would list nothing either
        return []


def _header(message: EmailMessage, name: str) -> str:
    try:
        return _unfold(str(message.get(name, "")))
    except Exception:
        return ""


def ses_receiving_event(
    message: EmailMessage,
    *,
    message_id: str,
    envelope_sender: str,
    recipients: Sequence[str],
    function_arn: str,
    now: datetime,
) -> dict[str, Any]:
    """SES's receiving event for a Lambda action (the shape of tests/events/ses_email_receiving.json)."""
    to, cc = _addresses(message, "To"), _addresses(message, "Cc")
    timestamp = now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    common: dict[str, Any] = {
        "returnPath": envelope_sender,
        "from": [formataddr(pair) for pair in _addresses(message, "From")],
        "date": _header(message, "Date"),
        "to": [formataddr(pair) for pair in to],
        "messageId": _header(message, "Message-ID"),
        "subject": _header(message, "Subject"),
    }
    if cc:
        common["cc"] = [formataddr(pair) for pair in cc]
    verdicts = verdicts_asked(message)
    return {
        "Records": [
            {
                "eventSource": "aws:ses",
                "eventVersion": "1.0",
                "ses": {
                    "mail": {
                        "timestamp": timestamp,
                        "source": envelope_sender,
                        "messageId": message_id,
                        "destination": [address for _, address in to + cc],
                        "headersTruncated": False,
                        "headers": [
                            {"name": name, "value": _unfold(str(value))}
                            for name, value in message.raw_items()
                        ],
                        "commonHeaders": common,
                    },
                    "receipt": {
                        "timestamp": timestamp,
                        "processingTimeMillis": 1,
                        "recipients": list(recipients),
                        **{f"{name}Verdict": {"status": verdicts[name]} for name in VERDICT_NAMES},
                        "action": {"type": "Lambda", "functionArn": function_arn, "invocationType": "Event"},
                    },
                },
            }
        ]
    }


@dataclass
class LocalInboundMail:
    """The receipt rule of the local stack: keep the raw message, then invoke the inbound function."""

    function: LocalFunction
    raw_mail: RawMailStore
    submission_address: str = DEFAULT_SUBMISSION_ADDRESS
    smtp: LocalSmtp | None = None
    delivered: list[dict[str, Any]] = field(default_factory=list)

    @property
    def smtp_port(self) -> int | None:
        return self.smtp.port if self.smtp is not None else None

    def deliver(
        self, raw: bytes, *, envelope_sender: str | None = None, recipients: Sequence[str] = ()
    ) -> dict[str, Any]:
        """Hand `raw` on as SES does. Raises only when the raw message cannot be kept (SES would then
        answer the sender's server with a temporary failure); the function's own failure is logged and
        answered, as Lambda would retry and then park an asynchronous event."""
        message = _headers_of(raw)
        senders = _addresses(message, "From")
        sender = (
            envelope_sender if envelope_sender is not None else (senders[0][1] if senders else "")
        ).strip("<>")
        rcpts = list(recipients) or [a for _, a in _addresses(message, "To") + _addresses(message, "Cc")]
        message_id = ses_message_id()
        now = datetime.now(UTC)
        stamped = (
            f"Return-Path: <{sender}>\r\nReceived: from localhost (127.0.0.1) by postdesk-local with SMTP id "
            f"{message_id} for {', '.join(rcpts) or 'nobody'}; {format_datetime(now)}\r\n"
        ).encode("utf-8", "replace") + raw
        key = self.raw_mail.put(message_id, stamped)
        event = ses_receiving_event(
            _headers_of(stamped),
            message_id=message_id,
            envelope_sender=sender,
            recipients=rcpts,
            function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function.settings.function_name}",
            now=now,
        )
        try:
            answer = self.function.invoke(event)
        except Exception as error:
            log.exception("the inbound function failed on message %s (Lambda would retry it)", message_id)
            answer = {"error": f"{type(error).__name__}: {error}"}
        delivered = {"messageId": message_id, "key": key, **(answer if isinstance(answer, dict) else {})}
        log.info("inbound mail %s: %s", message_id, delivered.get("outcomes", delivered.get("error")))
        return delivered

    def stop(self) -> None:
        """No more mail in (the function's environments are the stack's to stop)."""
        if self.smtp is not None:
            self.smtp.stop()
            self.smtp = None


def _outcomes(dynamodb: DynamoDBClient, table_name: str) -> list[dict[str, Any]]:
    deserializer = TypeDeserializer()
    found: list[dict[str, Any]] = []
    for page_of_items in dynamodb.get_paginator("scan").paginate(
        TableName=table_name,
        FilterExpression="begins_with(pk, :inbound)",
        ExpressionAttributeValues={":inbound": {"S": "INBOUND#"}},
    ):
        for raw in page_of_items.get("Items", []):
            item = {name: json_safe(deserializer.deserialize(value)) for name, value in raw.items()}
            found.append({key: value for key, value in item.items() if key not in ("pk", "sk")})
    return sorted(found, key=lambda item: str(item.get("received_at", "")), reverse=True)


def add_inbound_pages(
    console: Console, inbound: LocalInboundMail, *, dynamodb: DynamoDBClient, table_name: str
) -> None:
    """`POST /_local/inbound` delivers a raw message; `/_local/inbound(.json)` lists what became of
    each mail received."""

    def receive(request: ConsoleRequest) -> ConsoleResponse:
        if not request.body.strip():
            return ConsoleResponse.json(
                {"message": "POST a raw MIME message (message/rfc822) as the body"}, 400
            )
        senders = request.query.get("from")
        sender = senders[0] if senders else None
        answer = inbound.deliver(request.body, envelope_sender=sender, recipients=request.query.get("to", []))
        return ConsoleResponse.json(answer, 502 if "error" in answer else 200)

    def listing_json(_: ConsoleRequest) -> ConsoleResponse:
        return ConsoleResponse.json(_outcomes(dynamodb, table_name))

    def listing(_: ConsoleRequest) -> ConsoleResponse:
        port = inbound.smtp_port
        smtp = (
            f"<p>Send mail to <code>{html.escape(inbound.submission_address)}</code> through the SMTP port "
            f"<code>{SMTP_HOST}:{port}</code> (any mail client, or <code>python -m smtplib</code>).</p>"
            if port
            else "<p>No SMTP port in this run (<code>postdesk local --smtp-port 2525</code>).</p>"
        )
        usage = (
            f"{smtp}<p>Or post a raw message: <code>curl --data-binary @mail.eml "
            f"{INBOUND}</code>. Every verdict is PASS unless the mail has a header such as "
            f'<code>{VERDICTS_HEADER}: spam=FAIL,dmarc=FAIL</code>. <a href="{INBOUND_JSON}">As JSON</a>.</p>'
        )
        rows = "".join(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(item.get(name, '')))}</td>"
                for name in ("received_at", "sender", "subject", "outcome", "reason", "detail", "proposal_id")
            )
            + "</tr>"
            for item in _outcomes(dynamodb, table_name)
        )
        table = (
            "<table><tr><th>Received</th><th>From</th><th>Subject</th><th>Outcome</th><th>Reason</th>"
            f"<th>Detail</th><th>Proposal</th></tr>{rows}</table>"
            if rows
            else "<p>No mail received yet.</p>"
        )
        return ConsoleResponse.html(page("Inbound mail", usage + table))

    console.add("POST", INBOUND, receive, "Deliver a raw MIME message as if SES had received it")
    console.add("GET", INBOUND, listing, "Mail received, and what became of each")
    console.add("GET", INBOUND_JSON, listing_json, "The same, as JSON")


def start_inbound_mail(
    stack: LocalStack, template: dict[str, Any], function: LocalFunction
) -> LocalInboundMail | None:
    """The local receipt rule for `stack`, handing mail to the inbound `function`: its console pages,
    and its SMTP port when one is asked for. None when the template has no inbound function."""
    if INBOUND_FUNCTION not in template.get("Resources", {}):
        return None
    raw_mail = RawMailStore(
        stack.environment["MEDIA_BUCKET"], receipt_rule_prefix(template), client=stack.aws.client("s3")
    )
    inbound = LocalInboundMail(
        function, raw_mail, stack.environment.get("SUBMISSION_ADDRESS", DEFAULT_SUBMISSION_ADDRESS)
    )
    add_inbound_pages(
        stack.console,
        inbound,
        dynamodb=stack.aws.client("dynamodb"),
        table_name=stack.environment["TABLE_NAME"],
    )
    if stack.smtp_port is not None:
        from postdesk_tools.local_stack.smtp import LocalSmtp

        try:
            inbound.smtp = LocalSmtp(inbound.deliver, host=SMTP_HOST, port=stack.smtp_port).start()
        except BaseException:
            inbound.stop()
            raise
    return inbound
