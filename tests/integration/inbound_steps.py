"""Steps of the proposals-by-email stories: SES receives a raw message, keeps it in the bucket under the
receipt rule's prefix and invokes the inbound function with its receiving event, built here from the
real sample SES sends (tests/events/ses_email_receiving.json)."""

from __future__ import annotations

import copy
import json
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from email import policy
from email.parser import BytesParser
from email.utils import formataddr, getaddresses
from functools import cache
from typing import Any

import boto3

from tests.integration.conftest import EVENTS, REGION, Context

MAIL = EVENTS / "mail"
SUBMISSION = "propositions@example.org"
PREFIX = "inbound-mail/"
SAMPLE = json.loads((EVENTS / "ses_email_receiving.json").read_text())


def corpus(name: str) -> bytes:
    return (MAIL / name).read_bytes()


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n[ \t]+", " ", value).strip()


def ses_event(
    raw: bytes,
    *,
    message_id: str,
    verdicts: Mapping[str, str] | None = None,
    envelope_sender: str | None = None,
    recipients: Sequence[str] = (SUBMISSION,),
    authentication_results: str | None = None,
) -> dict[str, Any]:
    """SES's receiving event for `raw`, as its Lambda action sends it (the sample, with this mail's
    envelope, headers and verdicts). `authentication_results` is the Authentication-Results header
    SES adds above the message's own headers (`amazonses.com; ...; dmarc=pass header.from=...`)."""
    message = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    event = copy.deepcopy(SAMPLE)
    record = event["Records"][0]
    mail, receipt = record["ses"]["mail"], record["ses"]["receipt"]
    senders = getaddresses([str(value) for value in message.get_all("From", [])])
    to = getaddresses([str(value) for value in message.get_all("To", [])])
    cc = getaddresses([str(value) for value in message.get_all("Cc", [])])
    mail["messageId"] = message_id
    mail["source"] = envelope_sender if envelope_sender is not None else (senders[0][1] if senders else "")
    mail["destination"] = [address for _, address in to + cc]
    mail["headers"] = [{"name": name, "value": _unfold(str(value))} for name, value in message.raw_items()]
    if authentication_results is not None:
        mail["headers"].insert(0, {"name": "Authentication-Results", "value": authentication_results})
    mail["headersTruncated"] = False
    common: dict[str, Any] = {
        "from": [formataddr(pair) for pair in senders],
        "to": [formataddr(pair) for pair in to],
        "subject": str(message.get("Subject", "")),
        "messageId": str(message.get("Message-ID", "")),
        "date": str(message.get("Date", "")),
        "returnPath": mail["source"],
    }
    if cc:
        common["cc"] = [formataddr(pair) for pair in cc]
    mail["commonHeaders"] = common
    receipt["recipients"] = list(recipients)
    receipt["action"]["functionArn"] = "arn:aws:lambda:eu-west-1:123456789012:function:InboundMailFunction"
    for name in ("spam", "virus", "spf", "dkim", "dmarc"):
        receipt[f"{name}Verdict"] = {"status": (verdicts or {}).get(name, "PASS")}
    return event


@cache
def _client(service: str) -> Any:
    """One client per service for the whole run (moto intercepts it whenever it was made)."""
    return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]


def new_message_id() -> str:
    return secrets.token_hex(20)


def keep_raw(message_id: str, raw: bytes) -> None:
    """What the receipt rule's S3 action does before the function runs."""
    _client("s3").put_object(Bucket=os.environ["MEDIA_BUCKET"], Key=f"{PREFIX}{message_id}", Body=raw)


def raw_is_kept(message_id: str) -> bool:
    listed = _client("s3").list_objects_v2(Bucket=os.environ["MEDIA_BUCKET"], Prefix=f"{PREFIX}{message_id}")
    return listed.get("KeyCount", 0) == 1


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    from postdesk.handlers.inbound import lambda_handler

    answer: dict[str, Any] = lambda_handler(event, Context())
    (outcome,) = answer["outcomes"]
    return outcome  # type: ignore[no-any-return]


def receive(
    raw: bytes,
    *,
    message_id: str | None = None,
    verdicts: Mapping[str, str] | None = None,
    envelope_sender: str | None = None,
    authentication_results: str | None = None,
) -> dict[str, Any]:
    """SES receives `raw`: the raw message kept, then the function invoked; answers the outcome."""
    message_id = message_id or new_message_id()
    keep_raw(message_id, raw)
    return invoke(
        ses_event(
            raw,
            message_id=message_id,
            verdicts=verdicts,
            envelope_sender=envelope_sender,
            authentication_results=authentication_results,
        )
    )


def recorded(message_id: str) -> dict[str, Any]:
    """The outcome the table keeps for a message id."""
    item = (
        _client("dynamodb")
        .get_item(
            TableName=os.environ["TABLE_NAME"],
            Key={"pk": {"S": f"INBOUND#{message_id}"}, "sk": {"S": "INBOUND"}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    assert item is not None, f"no outcome recorded for {message_id}"
    return {name: next(iter(value.values())) for name, value in item.items()}
