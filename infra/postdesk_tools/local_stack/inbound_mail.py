"""Mail in, for the local stack: a raw message is handed on exactly as SES's receipt rule hands it on,
its S3 action first (the raw message put in the media bucket under the rule's prefix and the message
id), then its Lambda action (SES's receiving event, built in the shape SES sends, to the inbound
function, in its own execution environments as Lambda runs it).

Messages come from the SMTP port (local_stack.smtp) or `POST /_local/inbound` (a raw MIME body). The
local stack does not judge mail: every verdict is PASS unless the message says otherwise in a test
header, `X-Postdesk-Test-Verdicts: spam=FAIL,dmarc=FAIL`, so that each refusal can be tried."""

from __future__ import annotations

import logging
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import Parser
from email.utils import format_datetime, formataddr, getaddresses
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs

from boto3.dynamodb.types import TypeDeserializer

from postdesk.store.raw_mail import RawMailStore
from postdesk_tools.local_stack.console import (
    DEFAULT_TIME_ZONE,
    PREFIX,
    Console,
    ConsoleRequest,
    ConsoleResponse,
    escape,
    local_time,
)
from postdesk_tools.local_stack.console_pages import INBOUND
from postdesk_tools.local_stack.environment import REGION
from postdesk_tools.local_stack.lambda_function import LocalFunction
from postdesk_tools.local_stack.proposal_listing import json_safe
from postdesk_tools.local_stack.proxy_event import ACCOUNT_ID, media_type

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from postdesk_tools.local_stack.aws import LocalAws
    from postdesk_tools.local_stack.smtp import LocalSmtp

log = logging.getLogger("local_stack.inbound_mail")


class _Stack(Protocol):
    """What the receipt rule needs of the local stack that starts it (the stack imports this module)."""

    environment: dict[str, str]
    aws: LocalAws
    console: Console
    smtp_port: int | None


INBOUND_FUNCTION = "InboundMailFunction"
RECEIPT_RULE_TYPE = "AWS::SES::ReceiptRule"
DEFAULT_PREFIX = "inbound-mail/"
DEFAULT_SUBMISSION_ADDRESS = "propositions@example.org"
VERDICTS_HEADER = "X-Postdesk-Test-Verdicts"
VERDICT_NAMES = ("spam", "virus", "spf", "dkim", "dmarc")
VERDICT_STATUSES = ("PASS", "FAIL", "GRAY", "PROCESSING_FAILED", "DISABLED")
SMTP_HOST = "127.0.0.1"
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
    """The headers as SES's common headers give them: 8-bit bytes read as UTF-8 (RFC 6532), never as the
    lone surrogates a bytes parser keeps them as, which no JSON event and no table item can hold."""
    message = Parser(policy=policy.default).parsestr(raw.decode("utf-8", "replace"), headersonly=True)
    assert isinstance(message, EmailMessage)
    return message


def _unfold(value: str) -> str:
    return " ".join(value.replace("\r", "").replace("\n", " ").split())


def _addresses(message: EmailMessage, name: str) -> list[tuple[str, str]]:
    try:
        return [pair for pair in getaddresses([str(v) for v in message.get_all(name, [])]) if pair[1]]
    except Exception:  # a header the parser chokes on: SES would list nothing either
        return []


def _formatted(pair: tuple[str, str]) -> str:
    """An address as SES's common headers show it; one outside ASCII (an SMTPUTF8 address, which
    formataddr refuses) as it came, for the inbound function to judge."""
    try:
        return formataddr(pair)
    except UnicodeError:
        name, address = pair
        return f"{name} <{address}>" if name else address


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
        "from": [_formatted(pair) for pair in _addresses(message, "From")],
        "date": _header(message, "Date"),
        "to": [_formatted(pair) for pair in to],
        "messageId": _header(message, "Message-ID"),
        "subject": _header(message, "Subject"),
    }
    if cc:
        common["cc"] = [_formatted(pair) for pair in cc]
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


SAMPLE_MAIL = """From: Agent Dupont <agent.dupont@example.org>
To: propositions@example.org
Subject: [prévention] Vols à la roulotte

Ne laissez rien de visible dans votre véhicule, même pour quelques minutes.
"""
RAW_FIELD = "raw_message"
SHOWN = (
    ("Reçu", "received_at"),
    ("De", "sender"),
    ("Objet", "subject"),
    ("Issue", "outcome"),
    ("Motif", "reason"),
    ("Détail", "detail"),
    ("Proposition", "proposal_id"),
)


def _pasted(request: ConsoleRequest) -> bytes | None:
    """The raw message of the console's form (a browser posts it as a form field), or None when the body
    is the raw message itself, as scripts post it (curl --data-binary sends that as a form type too)."""
    if media_type(request.headers.get("content-type", "")) != "application/x-www-form-urlencoded":
        return None
    fields = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    if RAW_FIELD not in fields:
        return None
    return fields[RAW_FIELD][-1].replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def add_inbound_pages(
    console: Console,
    inbound: LocalInboundMail,
    *,
    dynamodb: DynamoDBClient,
    table_name: str,
    time_zone: str = DEFAULT_TIME_ZONE,
) -> None:
    """`POST /_local/inbound` delivers a raw message (the body, or the form's field); `/_local/inbound(.json)`
    lists what became of each mail received."""

    def refused(request: ConsoleRequest, message: str, status: int) -> ConsoleResponse:
        if request.wants_html():
            return ConsoleResponse.html_page(
                "Courrier reçu", f'<p>{escape(message)}</p><p><a href="{INBOUND}">Retour</a>.</p>', status
            )
        return ConsoleResponse.json({"message": message}, status)

    def receive(request: ConsoleRequest) -> ConsoleResponse:
        pasted = _pasted(request)
        raw = request.body if pasted is None else pasted
        if not raw.strip():
            return refused(request, "POST a raw MIME message (message/rfc822) as the body", 400)
        senders = request.query.get("from")
        sender = senders[0] if senders else None
        answer = inbound.deliver(raw, envelope_sender=sender, recipients=request.query.get("to", []))
        if "error" in answer:
            return refused(request, f"the inbound function failed: {answer['error']}", 502)
        if request.wants_html():
            return ConsoleResponse.redirect(INBOUND)
        return ConsoleResponse.json(answer)

    def listing_json(_: ConsoleRequest) -> ConsoleResponse:
        return ConsoleResponse.json(_outcomes(dynamodb, table_name))

    def shown(name: str, value: Any) -> str:
        if name == "received_at":
            return local_time(str(value), time_zone)
        return escape(str(value)) if value not in (None, "") else "—"

    def listing(_: ConsoleRequest) -> ConsoleResponse:
        port = inbound.smtp_port
        smtp = (
            f"<p>Un client de messagerie peut écrire à <code>{escape(inbound.submission_address)}</code> "
            f"par le port SMTP <code>{SMTP_HOST}:{port}</code>.</p>"
            if port
            else "<p>Pas de port SMTP pour cette pile (<code>postdesk local --smtp-port 2525</code>).</p>"
        )
        form = f"""<h2>Coller un message</h2>
<form method="post" action="{INBOUND}">
<label for="{RAW_FIELD}">Le message brut : ses en-têtes, une ligne vide, son texte</label>
<textarea id="{RAW_FIELD}" name="{RAW_FIELD}" rows="9" spellcheck="false">{escape(SAMPLE_MAIL)}</textarea>
<p><button>Recevoir ce message</button></p>
</form>
<p>Il est remis comme SES le remet (gardé dans le compartiment, puis la fonction de réception). Chaque
 verdict vaut PASS, sauf si le message porte un en-tête comme
 <code>{VERDICTS_HEADER}: spam=FAIL,dmarc=FAIL</code>. Un script peut aussi poster le message lui-même :
 <code>curl --data-binary @message.eml {INBOUND}</code>.</p>"""
        items = _outcomes(dynamodb, table_name)
        cards = "".join(
            "<article><dl>"
            + "".join(f"<dt>{label}</dt><dd>{shown(name, item.get(name))}</dd>" for label, name in SHOWN)
            + "</dl></article>"
            for item in items
        )
        received = (
            f"<h2>Ce qu'il est advenu de chaque message</h2><p>{len(items)} message(s), le plus récent en "
            f'premier. <a href="{INBOUND_JSON}">En JSON</a>.</p>{cards or "<p>Aucun message reçu.</p>"}'
        )
        return ConsoleResponse.html_page("Courrier reçu", smtp + form + received)

    console.add("POST", INBOUND, receive, "Remettre un message brut comme si SES l'avait reçu")
    console.add("GET", INBOUND, listing, "Le courrier reçu, et ce qu'il est advenu de chaque message")
    console.add("GET", INBOUND_JSON, listing_json, "Le même, en JSON")


def start_inbound_mail(
    stack: _Stack, template: dict[str, Any], function: LocalFunction
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
        time_zone=stack.environment.get("TIME_ZONE", DEFAULT_TIME_ZONE),
    )
    if stack.smtp_port is not None:
        from postdesk_tools.local_stack.smtp import LocalSmtp

        try:
            inbound.smtp = LocalSmtp(inbound.deliver, host=SMTP_HOST, port=stack.smtp_port).start()
        except BaseException:
            inbound.stop()
            raise
    return inbound
