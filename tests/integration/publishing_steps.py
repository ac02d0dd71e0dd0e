"""Steps shared by the morning run's stories: approved proposals, X faked at the HTTP layer, the publish
function called as Lambda calls it, and a clock that moves on when the run pauses.

A test module imports the fixtures it uses (`from tests.integration.publishing_steps import x_fixture`);
they are named `*_fixture` in Python and by their plain name in pytest."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
import responses

from postdesk.domain.kinds import Kind
from postdesk.domain.links import new_link_id
from postdesk.domain.proposal import AuditEntry, Proposal, StoredImage
from postdesk.domain.states import Status
from postdesk.handlers.wiring import get_services, reset_services
from postdesk.store.proposals import LinkUse
from tests.integration.conftest import REGION, Stack
from tests.integration.fake_x import FakeX
from tests.integration.review_steps import DIRECTOR, PROPOSER

X_SECRET = "postdesk-test/x-credentials"
CREDENTIALS = {
    "consumer_key": "test-consumer-key",
    "consumer_secret": "test-consumer-secret",
    "access_token": "test-access-token",
    "access_token_secret": "test-access-token-secret",
}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 64


class Pauses:
    """The run's pauses (spacing, backoff): recorded, and the test's clock moved on instead of waiting."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        self.stack.now += timedelta(seconds=seconds)


def use_environment(stack: Stack) -> Pauses:
    """Read the environment again (a test changed it), on the test's clock and pauses."""
    reset_services()
    services = get_services()
    pauses = Pauses(stack)
    services.clock = lambda: stack.now
    services.sleep = pauses
    return pauses


@pytest.fixture(name="pauses")
def pauses_fixture(stack: Stack) -> Pauses:
    return use_environment(stack)


@pytest.fixture(name="x")
def x_fixture(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeX]:
    """X credentials in Secrets Manager, and X itself faked at the HTTP layer."""
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name=X_SECRET, SecretString=json.dumps(CREDENTIALS)
    )
    monkeypatch.setenv("X_CREDENTIALS_SECRET", X_SECRET)
    use_environment(stack)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeX(mock, lambda: stack.now)


def pauses_of() -> Pauses:
    sleep = get_services().sleep
    assert isinstance(sleep, Pauses)
    return sleep


def approved_proposal(
    stack: Stack,
    text: str,
    *,
    kind: str = "prevention",
    images: tuple[tuple[bytes, str, str], ...] = (),
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
    urgent: bool = False,
) -> str:
    """A proposal approved a second ago, through the store's own approval (what an approve link does)."""
    services = get_services()
    now = stack.now
    proposal_id = uuid.uuid4().hex
    stored = []
    for number, (data, content_type, alt) in enumerate(images, start=1):
        key = f"proposals/{proposal_id}/v1/{number}"
        services.media.put(key, data, content_type)
        stored.append(StoredImage(key, content_type, alt, len(data)))
    proposal = Proposal(
        id=proposal_id,
        status=Status.PENDING,
        version=1,
        kind=Kind(kind),
        text=text,
        proposer_email=PROPOSER,
        created_at=now,
        updated_at=now,
        confirm_by=now + timedelta(hours=72),
        quorum=1,
        urgent=urgent,
        not_before=not_before,
        expires_at=expires_at,
        prosecutor_reference="PR-1" if kind == "witness_appeal" else None,
        images=stored,
    )
    services.store.create(proposal, AuditEntry(proposal_id, now, PROPOSER, "submitted", 1, "test"))
    services.store.record_approval(
        proposal,
        DIRECTOR,
        link_use=LinkUse(new_link_id(), DIRECTOR, "approve"),
        audit=AuditEntry(proposal_id, now, DIRECTOR, "approved", 1, "test"),
        mails_if_approved=lambda approved: [],
        now=now,
    )
    stack.now += timedelta(seconds=1)
    return proposal_id


class PublishContext:
    """What Lambda hands the publish function: its remaining time is what the run keeps within."""

    function_name = "PublishFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:PublishFunction"
    aws_request_id = "publish-test"

    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def run_publish(event: dict[str, Any] | None = None, *, remaining_ms: int = 900_000) -> dict[str, Any]:
    from postdesk.handlers.publish import lambda_handler

    answer: dict[str, Any] = lambda_handler(event or {}, PublishContext(remaining_ms))
    return answer


def status_of(stack: Stack, proposal_id: str) -> str:
    return str(stack.proposal(proposal_id).status.value)
