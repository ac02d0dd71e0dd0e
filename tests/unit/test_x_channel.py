"""The X channel's reading of X's answers: each failure becomes the error the run knows what to do with.

X is faked at the HTTP layer (no socket is opened), so tweepy's own code runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
import responses

from postdesk.channels import (
    CredentialsMissing,
    CredentialsRefused,
    DuplicateContent,
    RateLimited,
    Refused,
    Unavailable,
    Unreachable,
)
from postdesk.channels.x import TimeoutSession, XChannel, XCredentials

TWEETS = "https://api.twitter.com/2/tweets"
CREDENTIALS = XCredentials("ck", "cs", "at", "ats")


@pytest.fixture
def x() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


def _answer(
    x: responses.RequestsMock, status: int, body: object, headers: dict[str, str] | None = None
) -> None:
    x.add(responses.POST, TWEETS, status=status, json=body, headers=headers or {})


def test_a_post_is_signed_with_the_accounts_oauth1_credentials_and_has_a_timeout(
    x: responses.RequestsMock,
) -> None:
    _answer(x, 201, {"data": {"id": "1800000000000000001", "text": "Bonjour"}})
    channel = XChannel(CREDENTIALS)

    posted = channel.post("Bonjour", [])

    assert posted.id == "1800000000000000001"
    assert posted.url == "https://x.com/i/web/status/1800000000000000001"
    request = x.calls[0].request
    assert request.headers["Authorization"].startswith("OAuth ")
    assert 'oauth_consumer_key="ck"' in request.headers["Authorization"]
    assert json.loads(request.body) == {"text": "Bonjour"}
    assert x.calls[0].request.req_kwargs["timeout"] == (5.0, 20.0)


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (
            403,
            {"detail": "You are not allowed to create a Tweet with duplicate content.", "status": 403},
            DuplicateContent,
        ),
        (403, {"detail": "You are not permitted to perform this action.", "status": 403}, CredentialsRefused),
        (401, {"title": "Unauthorized", "detail": "Unauthorized", "status": 401}, CredentialsRefused),
        (400, {"errors": [{"message": "Your Tweet text is too long."}]}, Refused),
        (503, {"title": "Service Unavailable", "status": 503}, Unavailable),
    ],
)
def test_each_refusal_of_x_becomes_what_the_run_acts_on(
    x: responses.RequestsMock, status: int, body: object, error: type[Exception]
) -> None:
    _answer(x, status, body)
    with pytest.raises(error):
        XChannel(CREDENTIALS).post("Bonjour", [])


def test_a_429_carries_xs_reset_time_and_quota_headers(x: responses.RequestsMock) -> None:
    _answer(
        x,
        429,
        {"title": "Too Many Requests", "status": 429},
        {
            "x-rate-limit-reset": "1796194800",
            "x-user-limit-24hour-remaining": "0",
            "x-user-limit-24hour-reset": "1796202000",
        },
    )
    with pytest.raises(RateLimited) as limited:
        XChannel(CREDENTIALS).post("Bonjour", [])
    assert limited.value.reset_at == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # the spent 24-hour quota's
    assert limited.value.headers["x-user-limit-24hour-remaining"] == "0"


def test_a_timeout_after_sending_may_have_posted_a_connect_timeout_has_not(x: responses.RequestsMock) -> None:
    x.add(responses.POST, TWEETS, body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(Unavailable) as read:
        XChannel(CREDENTIALS).post("Bonjour", [])
    assert read.value.maybe_posted is True

    x.replace(responses.POST, TWEETS, body=requests.exceptions.ConnectTimeout("no route"))
    with pytest.raises(Unavailable) as connect:
        XChannel(CREDENTIALS).post("Bonjour", [])
    assert connect.value.maybe_posted is False


def test_the_timeout_session_gives_every_call_a_timeout_unless_one_is_given() -> None:
    session = TimeoutSession((1.0, 2.0))
    seen: list[object] = []

    def send(request: object, **kwargs: object) -> object:
        seen.append(kwargs["timeout"])
        raise requests.exceptions.ConnectionError("stop here")

    session.send = send  # type: ignore[method-assign]
    for timeout in (None, 9):
        with pytest.raises(requests.exceptions.ConnectionError):
            session.request("GET", "https://api.x.com/2/users/me", timeout=timeout)
    assert seen == [(1.0, 2.0), 9]


@pytest.mark.parametrize(
    ("value", "missing"),
    [
        ({}, "is empty"),
        ("not json", "is empty"),
        (
            {"consumer_key": "ck", "consumer_secret": " ", "access_token": "at"},
            "consumer_secret, access_token_secret",
        ),
    ],
)
def test_credentials_missing_are_named_never_shown(value: object, missing: str) -> None:
    with pytest.raises(CredentialsMissing) as error:
        XCredentials.from_secret_value(value, "postdesk/x")
    assert missing in error.value.message
    assert "ck" not in error.value.message.replace("lacks", "")


def test_no_secret_name_means_no_credentials() -> None:
    from postdesk.channels.x import load_credentials

    with pytest.raises(CredentialsMissing, match="XCredentialsSecretName"):
        load_credentials("")


@pytest.mark.parametrize(
    "failure",
    [
        requests.exceptions.ProxyError("proxy refused"),
        requests.exceptions.SSLError("handshake failed"),
        requests.exceptions.ConnectTimeout("no route"),
    ],
    ids=["proxy", "tls-handshake", "connect-timeout"],
)
def test_a_failure_before_anything_was_sent_is_unreachable_never_maybe_posted(
    x: responses.RequestsMock, failure: Exception
) -> None:
    # Given X that can't be reached at all
    x.add(responses.POST, TWEETS, body=failure)
    # When a post is attempted, Then it is known not to have gone out
    with pytest.raises(Unreachable) as refused:
        XChannel(CREDENTIALS).post("Bonjour", [])
    assert refused.value.maybe_posted is False


@pytest.mark.parametrize("kind", ["dns", "refused"])
def test_a_dns_failure_or_a_refused_connection_is_unreachable(x: responses.RequestsMock, kind: str) -> None:
    from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

    # Given requests' error for a name that does not resolve, or a connection refused
    cause = (
        NameResolutionError("api.twitter.com", None, "[Errno -3] Temporary failure in name resolution")  # type: ignore[arg-type]
        if kind == "dns"
        else NewConnectionError(None, "[Errno 111] Connection refused")  # type: ignore[arg-type]
    )
    x.add(responses.POST, TWEETS, body=requests.ConnectionError(MaxRetryError(None, "/2/tweets", cause)))  # type: ignore[arg-type]
    # When a post is attempted, Then nothing was sent
    with pytest.raises(Unreachable):
        XChannel(CREDENTIALS).post("Bonjour", [])


def test_a_connection_lost_after_sending_may_have_posted(x: responses.RequestsMock) -> None:
    from urllib3.exceptions import ProtocolError

    # Given X that took the request and closed the connection without an answer
    lost = requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError(104, "reset")))
    x.add(responses.POST, TWEETS, body=lost)
    # When a post is attempted, Then it may have gone out
    with pytest.raises(Unavailable) as failed:
        XChannel(CREDENTIALS).post("Bonjour", [])
    assert not isinstance(failed.value, Unreachable) and failed.value.maybe_posted is True
