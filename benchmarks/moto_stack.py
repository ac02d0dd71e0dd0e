"""The real handlers on moto, in this process, with the resources built from template.yaml (as the
integration tests do), and a record of every AWS call made at the botocore level: boto3's clients and
pynamodb's own client alike go through `BaseClient._make_api_call`."""

from __future__ import annotations

import base64
import contextlib
import copy
import io
import json
import os
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any
from unittest import mock
from urllib.parse import urlencode, urlsplit

from botocore.client import BaseClient

from benchmarks.lambda_functions import REGION, ROOT

SAMPLE_EVENT = ROOT / "tests" / "events" / "api_gateway_rest_proxy.json"
SENDER = "postdesk@example.org"
APPROVERS = ("director@example.org", "deputy1@example.org", "deputy2@example.org")
TABLE_NAME = "postdesk-bench"
READ_OPERATIONS = ("GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems")

ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "TABLE_NAME": TABLE_NAME,
    "MEDIA_BUCKET": "postdesk-bench-media",
    "SIGNING_KEYS_SECRET": "postdesk-bench-signing-keys",
    "SENDER_ADDRESS": SENDER,
    "PUBLIC_BASE_URL": "https://postdesk.example.org",
    "APPROVERS": ",".join(APPROVERS),
    "ALLOWED_PROPOSER_DOMAINS": "example.org",
    "TIME_ZONE": "Europe/Paris",
    "POWERTOOLS_SERVICE_NAME": "postdesk",
    "POWERTOOLS_METRICS_NAMESPACE": "Postdesk",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "ERROR",
}


@dataclass
class Call:
    service: str
    operation: str
    params: dict[str, Any]
    response: dict[str, Any] | None  # None: the call raised (it still was a round trip)


@dataclass
class AwsCalls:
    calls: list[Call] = field(default_factory=list)

    def of(self, service: str) -> list[Call]:
        return [call for call in self.calls if call.service == service]

    def by_operation(self, service: str) -> Counter[str]:
        return Counter(call.operation for call in self.of(service))

    def clear(self) -> None:
        self.calls.clear()


@contextlib.contextmanager
def recording_aws_calls() -> Iterator[AwsCalls]:
    record = AwsCalls()
    original = BaseClient._make_api_call

    def recorded(client: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        service = client.meta.service_model.service_name
        try:
            response = original(client, operation_name, api_params)
        except Exception:
            record.calls.append(Call(service, operation_name, api_params, None))
            raise
        record.calls.append(Call(service, operation_name, api_params, response))
        return response

    with mock.patch.object(BaseClient, "_make_api_call", recorded):
        yield record


@contextlib.contextmanager
def environment(variables: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    for name in [name for name in os.environ if name.startswith(("AWS_", "POWERTOOLS_"))]:
        del os.environ[name]
    os.environ.update(variables)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def moto_stack(extra: dict[str, str] | None = None) -> Iterator[None]:
    """A fresh moto with the template's table, bucket and signing secret; the handlers' caches reset."""
    import boto3
    from aws_lambda_powertools.utilities import parameters
    from moto import mock_aws

    from postdesk.handlers.wiring import reset_services
    from postdesk_tools.local_stack import moto_dynamodb
    from postdesk_tools.local_stack.template_resources import LocalNames, create_resources, load_template

    # The layer the tests and the local stack use: atomic requests, transactions without table copies.
    moto_dynamodb.install()
    with (
        environment({**ENVIRONMENT, **(extra or {})}),
        mock_aws(),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        create_resources(
            load_template(),
            LocalNames(
                table_name=TABLE_NAME,
                media_bucket=ENVIRONMENT["MEDIA_BUCKET"],
                signing_keys_secret=ENVIRONMENT["SIGNING_KEYS_SECRET"],
            ),
            dynamodb=boto3.client("dynamodb", region_name=REGION),
            s3=boto3.client("s3", region_name=REGION),
            secretsmanager=boto3.client("secretsmanager", region_name=REGION),
        )
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
        reset_services()
        parameters.clear_caches()
        try:
            yield
        finally:
            reset_services()
            parameters.clear_caches()


class LambdaContext:
    function_name = "ApiFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:ApiFunction"
    aws_request_id = "bench-request"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


@dataclass
class Answer:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


def call_api(
    method: str,
    path: str,
    *,
    body: str | None = None,
    content_type: str | None = None,
    accept: str = "text/html",
    query: dict[str, str] | None = None,
) -> Answer:
    """One API Gateway proxy event through postdesk.handlers.api, as API Gateway would send it."""
    from postdesk.handlers.api import lambda_handler

    event = copy.deepcopy(json.loads(SAMPLE_EVENT.read_text(encoding="utf-8")))
    headers = {"Host": "postdesk.example.org", "Accept": accept}
    if content_type:
        headers["Content-Type"] = content_type
    event.update(
        httpMethod=method,
        path=path,
        resource="/{proxy+}",
        pathParameters={"proxy": path.lstrip("/")},
        headers=headers,
        multiValueHeaders={name: [value] for name, value in headers.items()},
        queryStringParameters=query or None,
        multiValueQueryStringParameters={k: [v] for k, v in query.items()} if query else None,
        body=body,
        isBase64Encoded=False,
        stageVariables=None,
    )
    event["requestContext"].update(httpMethod=method, path=f"/prod{path}", resourcePath="/{proxy+}")
    with contextlib.redirect_stdout(io.StringIO()):  # Powertools' JSON logs are not the report
        answer = lambda_handler(event, LambdaContext())
    text = answer.get("body") or ""
    if answer.get("isBase64Encoded"):
        text = base64.b64decode(text).decode()
    return Answer(int(answer["statusCode"]), text)


def open_link(url: str) -> Answer:
    parts = urlsplit(url)
    query = dict(pair.split("=", 1) for pair in parts.query.split("&") if pair)
    return call_api("GET", parts.path, query=query)


def press_link(url: str, fields: dict[str, str] | None = None) -> Answer:
    parts = urlsplit(url)
    query = dict(pair.split("=", 1) for pair in parts.query.split("&") if pair)
    return call_api(
        "POST",
        parts.path,
        query=query,
        body=urlencode(fields or {}),
        content_type="application/x-www-form-urlencoded",
    )


@dataclass(frozen=True)
class SentMail:
    to: tuple[str, ...]
    subject: str
    text: str

    def link(self, label: str) -> str:
        """The URL of the link named `label` (the text part writes `label : url`, the space before the
        colon a no-break one in French)."""
        for line in self.text.splitlines():
            name, colon, url = line.partition(":")  # "label : url", the space a no-break one in French
            if colon and name.rstrip(" \u00a0") == label and url.strip().startswith("http"):
                return url.strip()
        raise LookupError(f"no {label!r} link in the mail {self.subject!r}")


def sent_mails(calls: AwsCalls) -> list[SentMail]:
    mails: list[SentMail] = []
    for call in calls.of("ses"):
        raw = call.params.get("RawMessage", {}).get("Data")
        if raw is None:
            continue
        message = BytesParser(policy=policy.default).parsebytes(
            raw if isinstance(raw, bytes) else raw.encode()
        )
        assert isinstance(message, EmailMessage)
        text_part = message.get_body(preferencelist=("plain",))
        text = text_part.get_content() if text_part is not None else ""
        to = tuple(address.strip() for address in str(message["To"]).split(","))
        mails.append(SentMail(to, str(message["Subject"]), text))
    return mails


def items_read(call: Call) -> int:
    """How many items a read call read (what DynamoDB bills and what grows with the table)."""
    response = call.response or {}
    if call.operation == "GetItem":
        return 1 if "Item" in response else 0
    if call.operation in ("Query", "Scan"):
        return int(response.get("ScannedCount", response.get("Count", 0)))
    if call.operation == "BatchGetItem":
        return sum(len(items) for items in response.get("Responses", {}).values())
    if call.operation == "TransactGetItems":
        return len(response.get("Responses", []))
    return 0


def _item_kind(key: dict[str, Any]) -> str:
    """The kind of item a key names: sk `VOTE#000001#x` -> `VOTE`; pk `OUTBOX`, sk <time> -> `OUTBOX`."""
    for attribute in ("sk", "pk"):
        prefix = str(key.get(attribute, {}).get("S", "")).split("#", 1)[0]
        if prefix[:1].isalpha():
            return prefix
    return "?"


def describe(call: Call) -> str:
    """A DynamoDB call and the kinds of item it touched: `GetItem(LINK)`, `TransactWriteItems(Update
    PROPOSAL, Put VOTE)`, `Query(index due)`."""
    params = call.params
    if call.operation == "TransactWriteItems":
        parts = []
        for entry in params.get("TransactItems", []):
            (action, body), *_ = entry.items()
            parts.append(f"{action} {_item_kind(body.get('Key') or body.get('Item') or {})}")
        return f"{call.operation}({', '.join(parts)})"
    if call.operation in ("Query", "Scan"):
        where = f"index {params['IndexName']}" if "IndexName" in params else "table"
        return f"{call.operation}({where})"
    key = params.get("Key") or params.get("Item")
    return f"{call.operation}({_item_kind(key)})" if key else call.operation


def summary(counts: Counter[str]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items())) or "none"
