"""Integration tests: the real handlers on moto (in-process), with resources built from template.yaml."""

from __future__ import annotations

import base64
import copy
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from postdesk.handlers.wiring import get_services, reset_services
from postdesk_tools.local_stack import moto_dynamodb
from postdesk_tools.local_stack.outbox import SentMail, parse_raw_message
from postdesk_tools.local_stack.template_resources import LocalNames, create_resources, load_template
from tests.integration.aws_calls import _session_recorder, aws_calls  # noqa: F401 - fixtures

# The same layer as the local stack's moto server: DynamoDB's atomicity, for every test that races.
moto_dynamodb.install()

EVENTS = Path(__file__).parent.parent / "events"
REGION = "eu-west-1"
BASE_URL = "https://postdesk.example.org"
SENDER = "postdesk@example.org"
BASE_URL_PARAMETER = "/postdesk-test/public-base-url"
MAIL_CONFIGURATION_SET = "postdesk-test-mail"
APPROVERS = ["director@example.org", "deputy1@example.org", "deputy2@example.org"]
APPROVERS_PARAMETER = "postdesk-test-approvers"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


class Context:
    function_name = "ApiFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:ApiFunction"
    aws_request_id = "test-request"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


class Stack:
    """What a test drives: the API handler, the mails SES sent, the table."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        self._template = json.loads((EVENTS / "api_gateway_rest_proxy.json").read_text())
        self._parsed: dict[str, SentMail] = {}

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        source_ip: str | None = None,
    ) -> Answer:
        """One request as API Gateway passes it on (from the sample event's 127.0.0.1, or `source_ip`)."""
        from postdesk.handlers.api import lambda_handler

        self.now += timedelta(seconds=1)  # each request a moment after the last, as people click
        event = copy.deepcopy(self._template)
        all_headers = {"Host": "postdesk.example.org", **(headers or {})}
        content_type = all_headers.get("Content-Type", "")
        raw = body.encode() if isinstance(body, str) else body
        binary = content_type.startswith("multipart/form-data")
        event.update(
            httpMethod=method,
            path=path,
            resource="/{proxy+}" if path != "/" else "/",
            pathParameters={"proxy": path.lstrip("/")} if path != "/" else None,
            headers=all_headers,
            multiValueHeaders={k: [v] for k, v in all_headers.items()},
            queryStringParameters=query or None,
            multiValueQueryStringParameters={k: [v] for k, v in query.items()} if query else None,
            body=None if raw is None else (base64.b64encode(raw).decode() if binary else raw.decode()),
            isBase64Encoded=binary,
            stageVariables=None,
        )
        event["requestContext"].update(httpMethod=method, path=f"/prod{path}", resourcePath=event["resource"])
        if source_ip is not None:
            event["requestContext"]["identity"]["sourceIp"] = source_ip
        answer = lambda_handler(event, Context())
        merged = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
        for key, values in (answer.get("multiValueHeaders") or {}).items():
            merged[key.lower()] = ", ".join(values)
        body_text = answer.get("body") or ""
        if answer.get("isBase64Encoded"):
            body_text = base64.b64decode(body_text).decode()
        return Answer(answer["statusCode"], merged, body_text)

    def post_json(self, path: str, document: Any, query: dict[str, str] | None = None) -> Answer:
        return self.request(
            "POST",
            path,
            body=json.dumps(document),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            query=query,
        )

    def post_form(
        self, path: str, fields: dict[str, str], files: dict[str, tuple[str, str, bytes]] | None = None
    ) -> Answer:
        boundary = "----postdeskTestBoundary7MA4YWxkTrZu0gW"
        parts: list[bytes] = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            )
        for name, (filename, content_type, data) in (files or {}).items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n".encode()
                + data
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Accept": "text/html"},
        )

    def post_urlencoded(self, path: str, fields: dict[str, str]) -> Answer:
        return self.request(
            "POST",
            path,
            body=urlencode(fields),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
        )

    def mails(self) -> list[SentMail]:
        """Every mail SES took, in the order sent, read as the local stack's outbox reads them."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        backend = ses_backends[DEFAULT_ACCOUNT_ID][REGION]
        for message in backend.sent_messages:
            # A mail SES took never changes: each is parsed once, however often a test reads the outbox.
            if hasattr(message, "raw_data") and message.id not in self._parsed:
                self._parsed[message.id] = parse_raw_message(
                    message.raw_data, list(message.destinations), message.id
                )
        return [self._parsed[m.id] for m in backend.sent_messages if hasattr(m, "raw_data")]

    def mails_to(self, address: str) -> list[SentMail]:
        return [m for m in self.mails() if address in m.to]

    def proposal(self, proposal_id: str) -> Any:
        return get_services().store.get(proposal_id)

    def audit(self, proposal_id: str) -> list[Any]:
        return get_services().store.audit_log(proposal_id)

    def path_of(self, link: str) -> tuple[str, dict[str, str]]:
        parts = urlsplit(link)
        query = dict(p.split("=", 1) for p in parts.query.split("&") if p)
        return parts.path, query


@functools.cache
def setup_client(service: str) -> Any:
    """The fixture's own client for `service`, built once per process (a new one costs more than most
    calls it makes): moto answers it inside whichever test's `mock_aws` is active, from that test's own
    state. The handlers build theirs as they do in Lambda."""
    return boto3.client(service, region_name=REGION)


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    environment = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "TABLE_NAME": "postdesk-test",
        "MEDIA_BUCKET": "postdesk-test-media",
        "SIGNING_KEYS_SECRET": "postdesk-test-signing-keys",
        "SENDER_ADDRESS": SENDER,
        # As a stack deployed without a custom domain: the links' base URL is read from SSM, and every
        # mail is sent with the stack's configuration set.
        "PUBLIC_BASE_URL_PARAMETER": BASE_URL_PARAMETER,
        "MAIL_CONFIGURATION_SET": MAIL_CONFIGURATION_SET,
        "APPROVERS": ",".join(APPROVERS),
        "ALLOWED_PROPOSER_DOMAINS": "example.org",
        "TIME_ZONE": "Europe/Paris",
        "ALERT_ADDRESS": "operator@example.org",
        "APPROVERS_PARAMETER": APPROVERS_PARAMETER,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Postdesk",
        "POWERTOOLS_SERVICE_NAME": "postdesk",
    }
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with mock_aws():
        create_resources(
            load_template(),
            LocalNames(
                table_name=environment["TABLE_NAME"],
                media_bucket=environment["MEDIA_BUCKET"],
                signing_keys_secret=environment["SIGNING_KEYS_SECRET"],
            ),
            dynamodb=setup_client("dynamodb"),
            s3=setup_client("s3"),
            secretsmanager=setup_client("secretsmanager"),
        )
        ses = setup_client("ses")
        ses.verify_email_identity(EmailAddress=SENDER)
        ses.create_configuration_set(ConfigurationSet={"Name": MAIL_CONFIGURATION_SET})
        ssm = setup_client("ssm")
        ssm.put_parameter(Name=BASE_URL_PARAMETER, Value=BASE_URL, Type="String")
        # As the deployed stack writes it: the approvers read at run time (`postdesk approvers` changes it)
        ssm.put_parameter(Name=APPROVERS_PARAMETER, Value=",".join(APPROVERS), Type="String")
        reset_services()
        parameters.clear_caches()
        stack = Stack()
        get_services().clock = lambda: stack.now
        yield stack
    reset_services()
    parameters.clear_caches()
