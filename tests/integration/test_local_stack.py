"""The local stack (`make run`): requests reach the function as API Gateway would send them, the limits of
API Gateway and Lambda hold, sent mail shows in the outbox, and the state survives a restart."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
from email.message import EmailMessage
from typing import TYPE_CHECKING

import pytest

from postdesk_tools.local_stack.console import ConsoleResponse
from tests.integration.local_stack_fixtures import (  # noqa: F401 - fixtures are found by name
    Reply,
    call,
    local_stack_fixture,
    shared_local_stack_fixture,
    start_local_stack_fixture,
)
from tests.integration.sample_handler import PNG_BYTES

if TYPE_CHECKING:
    from pathlib import Path

    from postdesk_tools.local_stack.stack import LocalStack
    from tests.integration.local_stack_fixtures import StartStack

MB = 1024 * 1024


def _multipart(fields: dict[str, str], file_name: str, content: bytes) -> tuple[bytes, str]:
    boundary = "----postdesk-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{file_name}"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _send_mail(stack: LocalStack, to: str, subject: str, text: str, html: str) -> None:
    message = EmailMessage()
    message["From"] = "postdesk <postdesk@example.org>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Tue, 01 Dec 2026 08:00:00 +0100"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    stack.aws.client("ses").send_raw_email(
        Source="postdesk@example.org", Destinations=[to], RawMessage={"Data": message.as_bytes()}
    )


def test_a_request_reaches_the_function_as_an_api_gateway_proxy_event(shared_local_stack: LocalStack) -> None:
    # Given the local stack, When a browser asks for a page with a query string
    reply = call(
        "GET",
        f"{shared_local_stack.url}/proposals/caf%C3%A9%20noir?lang=en&tag=a&tag=b&empty=",
        headers={"Accept": "text/html", "X-Test": "yes"},
    )

    # Then the function got the event API Gateway sends for its /{proxy+} resource
    assert reply.status == 200
    seen = reply.json()
    event, context = seen["event"], seen["context"]
    assert event["resource"] == "/{proxy+}"
    assert event["path"] == "/proposals/caf%C3%A9%20noir"
    assert event["pathParameters"] == {"proxy": "proposals/café noir"}
    assert event["httpMethod"] == "GET"
    assert event["queryStringParameters"] == {"lang": "en", "tag": "b", "empty": ""}
    assert event["multiValueQueryStringParameters"]["tag"] == ["a", "b"]
    assert event["headers"]["X-Test"] == "yes"
    assert event["multiValueHeaders"]["X-Test"] == ["yes"]
    assert event["headers"]["X-Forwarded-Proto"] == "http"
    assert event["stageVariables"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    request_context = event["requestContext"]
    assert request_context["stage"] == "prod"
    assert request_context["identity"]["sourceIp"] == "127.0.0.1"
    assert request_context["resourcePath"] == "/{proxy+}"
    assert request_context["httpMethod"] == "GET"
    assert isinstance(request_context["requestTimeEpoch"], int)
    assert request_context["requestId"] == context["aws_request_id"] == reply.headers["x-amzn-RequestId"]
    # with the function's settings from template.yaml
    assert context["memory_limit_in_mb"] == 512
    assert 0 < context["remaining_ms"] <= 29_000
    assert context["invoked_function_arn"].startswith("arn:aws:lambda:eu-west-1:")
    # and its answer, multi-value headers included, is what the browser gets
    assert reply.headers.get_all("Set-Cookie") == ["a=1", "b=2"]


def test_the_root_is_its_own_resource_without_path_parameters(shared_local_stack: LocalStack) -> None:
    event = call("GET", f"{shared_local_stack.url}/").json()["event"]

    assert event["resource"] == "/"
    assert event["pathParameters"] is None
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None


def test_a_json_body_arrives_as_text(shared_local_stack: LocalStack) -> None:
    body = json.dumps({"text": "Fermeture <exceptionnelle> & gratuite", "kind": "advice"}).encode()

    event = call(
        "POST", f"{shared_local_stack.url}/proposals", body=body, headers={"Content-Type": "application/json"}
    ).json()["event"]

    assert event["isBase64Encoded"] is False
    assert json.loads(event["body"])["text"] == "Fermeture <exceptionnelle> & gratuite"


def test_a_multipart_form_arrives_base64_encoded(shared_local_stack: LocalStack) -> None:
    # Given a form with an image, as the proposal form posts it
    body, content_type = _multipart({"text": "Bonjour", "kind": "advice"}, "photo.png", PNG_BYTES)

    # When it is posted
    event = call(
        "POST", f"{shared_local_stack.url}/proposals", body=body, headers={"Content-Type": content_type}
    ).json()["event"]

    # Then the function gets it base64-encoded, byte for byte (multipart/form-data is a binary type)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body


def test_a_body_over_10_mb_is_refused_by_the_gateway_with_413(shared_local_stack: LocalStack) -> None:
    body, content_type = _multipart({"text": "Bonjour"}, "huge.png", b"\0" * (10 * MB + 1))

    reply = call(
        "POST", f"{shared_local_stack.url}/proposals", body=body, headers={"Content-Type": content_type}
    )

    assert reply.status == 413
    assert "10 MB" in reply.json()["message"]


def test_an_event_over_6_mb_is_refused_with_413_naming_lambdas_limit(shared_local_stack: LocalStack) -> None:
    # Given a 5 MB image: under API Gateway's 10 MB, but a third larger once base64-encoded in the event
    body, content_type = _multipart({"text": "Bonjour"}, "big.png", b"\0" * (5 * MB))

    reply = call(
        "POST", f"{shared_local_stack.url}/proposals", body=body, headers={"Content-Type": content_type}
    )

    assert reply.status == 413
    message = reply.json()["message"]
    assert "Lambda" in message
    assert "6 MB" in message


def test_a_failing_handler_gets_api_gateways_502(shared_local_stack: LocalStack) -> None:
    reply = call("GET", f"{shared_local_stack.url}/boom")

    assert reply.status == 502
    assert reply.json() == {"message": "Internal server error"}


def test_a_base64_answer_is_decoded_when_the_client_accepts_its_binary_type(
    shared_local_stack: LocalStack,
) -> None:
    as_image = call("GET", f"{shared_local_stack.url}/image.png", headers={"Accept": "image/png,*/*"})
    as_page = call("GET", f"{shared_local_stack.url}/image.png", headers={"Accept": "text/html,image/png"})

    assert as_image.body == PNG_BYTES
    # API Gateway looks at the first Accept type only: a page request gets the base64 text
    assert base64.b64decode(as_page.body) == PNG_BYTES


def test_a_sent_mail_shows_in_the_outbox_with_its_text_html_and_links(local_stack: LocalStack) -> None:
    # Given two mails sent through SES as raw MIME, the second with a signed link
    _send_mail(local_stack, "deputy1@example.org", "First", "Hello", "<p>Hello</p>")
    review = f"{local_stack.url}/review/abc?token=x.y&lang=en"
    _send_mail(
        local_stack,
        "director@example.org",
        "À relire <b>urgent</b>",
        f"Approuver : {review}\nAudit: {local_stack.url}/audit.",
        f'<p><a href="{review.replace("&", "&amp;")}">Approuver</a> <a href="mailto:x@example.org">x</a></p>',
    )

    # When a person opens the outbox
    mails = call("GET", f"{local_stack.url}/_local/outbox.json").json()
    page = call("GET", f"{local_stack.url}/_local/outbox")

    # Then the newest mail comes first, with what it says and where its links go
    assert [mail["subject"] for mail in mails] == ["À relire <b>urgent</b>", "First"]
    newest = mails[0]
    assert newest["to"] == ["director@example.org"]
    assert newest["from"] == "postdesk <postdesk@example.org>"
    assert newest["text"].startswith("Approuver : ")
    assert '<a href="' in newest["html"]
    assert newest["links"] == [review, f"{local_stack.url}/audit"]
    assert newest["sent_at"] == "2026-12-01T08:00:00+01:00"
    # and the page shows it escaped, its links clickable
    assert page.status == 200
    assert "À relire &lt;b&gt;urgent&lt;/b&gt;" in page.text
    assert "<b>urgent</b>" not in page.text
    assert f'href="{review.replace("&", "&amp;")}"' in page.text


def _links(reply: Reply) -> dict[str, str]:
    """The Link header's addresses by relation (`<url>; rel="next"`)."""
    return {
        part.split(";")[1].strip().removeprefix('rel="').removesuffix('"'): part.split(";")[0].strip(" <>")
        for part in reply.headers["Link"].split(",")
    }


def test_the_outbox_pages_newest_first_with_links_to_the_other_pages(local_stack: LocalStack) -> None:
    # Given five mails sent
    for number in range(1, 6):
        _send_mail(local_stack, "deputy1@example.org", f"Mail {number}", "text", "<p>html</p>")

    # When a script reads the outbox two mails at a time, following the links
    first = call("GET", f"{local_stack.url}/_local/outbox.json?limit=2")
    second = call("GET", f"{local_stack.url}{_links(first)['next']}")
    last = call("GET", f"{local_stack.url}{_links(second)['next']}")

    # Then each page is the list it always was, newest first, and says how many there are
    assert [mail["subject"] for mail in first.json()] == ["Mail 5", "Mail 4"]
    assert [mail["subject"] for mail in second.json()] == ["Mail 3", "Mail 2"]
    assert [mail["subject"] for mail in last.json()] == ["Mail 1"]
    assert first.headers["X-Total-Count"] == "5"
    assert "prev" not in _links(first) and "next" not in _links(last)
    assert _links(last)["prev"] == _links(first)["next"]
    # and a person sees the same pages, with links from one to the next
    page = call("GET", f"{local_stack.url}/_local/outbox?limit=2&page=2").text
    assert "page 2 sur 3" in page
    assert 'rel="next">Suivante</a>' in page and 'rel="prev">Précédente</a>' in page
    assert page.index("Mail 3") < page.index("Mail 2") and "Mail 4" not in page


def test_the_outbox_shows_the_mail_of_one_address(local_stack: LocalStack) -> None:
    _send_mail(local_stack, "deputy1@example.org", "For the deputy", "text", "<p>html</p>")
    _send_mail(local_stack, "director@example.org", "For the director", "text", "<p>html</p>")

    mails = call("GET", f"{local_stack.url}/_local/outbox.json?to=Director@example.org").json()

    assert [mail["subject"] for mail in mails] == ["For the director"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page=abc", "page: a whole number from 1 is expected, not 'abc'"),
        ("page=0", "page: a whole number from 1 is expected, not '0'"),
        ("limit=10000", "limit: at most 500, not 10000"),
    ],
)
def test_a_page_that_is_not_a_page_is_refused_naming_the_parameter(
    shared_local_stack: LocalStack, query: str, message: str
) -> None:
    for listing in ("outbox.json", "proposals.json"):
        answer = call("GET", f"{shared_local_stack.url}/_local/{listing}?{query}")

        assert answer.status == 400
        assert answer.json() == {"message": message}


def test_proposals_json_pages_newest_first(local_stack: LocalStack) -> None:
    table = local_stack.environment["TABLE_NAME"]
    dynamodb = local_stack.aws.client("dynamodb")
    for number in range(1, 4):
        dynamodb.put_item(
            TableName=table,
            Item={
                "pk": {"S": f"PROPOSAL#p{number}"},
                "sk": {"S": "PROPOSAL"},
                "id": {"S": f"p{number}"},
                "created_at": {"S": f"2026-12-0{number}T08:00:00+00:00"},
            },
        )

    first = call("GET", f"{local_stack.url}/_local/proposals.json?limit=2")
    second = call("GET", f"{local_stack.url}{_links(first)['next']}")

    assert [proposal["id"] for proposal in first.json()] == ["p3", "p2"]
    assert [proposal["id"] for proposal in second.json()] == ["p1"]
    assert first.headers["X-Total-Count"] == "3"


def test_proposals_json_lists_every_proposal_with_its_votes(local_stack: LocalStack) -> None:
    table = local_stack.environment["TABLE_NAME"]
    dynamodb = local_stack.aws.client("dynamodb")
    proposal = {
        "pk": {"S": "PROPOSAL#p1"},
        "sk": {"S": "PROPOSAL"},
        "id": {"S": "p1"},
        "status": {"S": "PENDING"},
        "version": {"N": "2"},
        "kind": {"S": "advice"},
        "text": {"S": "Fermez vos fenêtres"},
        "quorum": {"N": "1"},
    }
    dynamodb.put_item(TableName=table, Item=proposal)
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "PROPOSAL#p1"}, "sk": {"S": "AUDIT#1"}})

    proposals = call("GET", f"{local_stack.url}/_local/proposals.json").json()

    assert proposals == [
        {
            "id": "p1",
            "status": "PENDING",
            "version": 2,
            "kind": "advice",
            "text": "Fermez vos fenêtres",
            "votes": [],
            "pk": "PROPOSAL#p1",
            "sk": "PROPOSAL",
            "quorum": 1,
        }
    ]


def test_the_console_lists_its_pages_and_takes_new_ones(local_stack: LocalStack) -> None:
    local_stack.console.add(
        "POST", "/_local/example", lambda request: ConsoleResponse.json({"got": request.body.decode()}), "Try"
    )

    index = call("GET", f"{local_stack.url}/_local/").text
    posted = call("POST", f"{local_stack.url}/_local/example", body=b"hello")

    assert 'href="/_local/outbox"' in index
    assert "POST /_local/example" in index
    assert posted.json() == {"got": "hello"}
    assert call("GET", f"{local_stack.url}/_local/example").status == 405
    assert call("GET", f"{local_stack.url}/_local/nothing-here").status == 404


def test_the_handlers_environment_points_at_the_local_stack(start_local_stack: StartStack) -> None:
    from aws_lambda_powertools.utilities import parameters

    from postdesk.config import settings_from_environment

    stack = start_local_stack()

    assert os.environ["AWS_ENDPOINT_URL"] == stack.aws.endpoint
    # The links' base URL is read from SSM, as a deployed stack without a custom domain reads it
    parameters.clear_caches()
    assert settings_from_environment().public_base_url == stack.url
    assert os.environ["CHANNEL"] == "local"
    assert os.environ["APPROVERS"] == "director@example.org,deputy1@example.org,deputy2@example.org"
    assert os.environ["LOCAL_TIMELINE_PATH"].startswith(str(stack.state_dir.resolve()))

    stack.stop()

    assert "PUBLIC_BASE_URL_PARAMETER" not in os.environ


def test_the_state_survives_a_restart(start_local_stack: StartStack, tmp_path: Path) -> None:
    # Given a stack with an item, a sent mail and its signing key
    state_dir = tmp_path / "kept"
    first = start_local_stack(state_dir=state_dir)
    assert first.created_resources
    table = first.environment["TABLE_NAME"]
    secret = first.environment["SIGNING_KEYS_SECRET"]
    first.aws.client("dynamodb").put_item(
        TableName=table, Item={"pk": {"S": "PROPOSAL#kept"}, "sk": {"S": "PROPOSAL"}, "text": {"S": "Kept"}}
    )
    _send_mail(first, "director@example.org", "Still there", "text", "<p>html</p>")
    signing_keys = first.aws.client("secretsmanager").get_secret_value(SecretId=secret)["SecretString"]
    first.stop()

    # When it is started again on the same state directory
    second = start_local_stack(state_dir=state_dir)

    # Then everything is back from the snapshot the stop wrote, and the resources were not created again
    assert second.aws.replay["snapshot"] == 1
    assert second.aws.replay["replayed"] == 0
    assert not second.created_resources
    item = second.aws.client("dynamodb").get_item(
        TableName=table, Key={"pk": {"S": "PROPOSAL#kept"}, "sk": {"S": "PROPOSAL"}}
    )
    assert item["Item"]["text"] == {"S": "Kept"}
    assert (
        second.aws.client("secretsmanager").get_secret_value(SecretId=secret)["SecretString"] == signing_keys
    )
    assert [mail["subject"] for mail in call("GET", f"{second.url}/_local/outbox.json").json()] == [
        "Still there"
    ]


def test_reset_forgets_the_state(start_local_stack: StartStack, tmp_path: Path) -> None:
    state_dir = tmp_path / "reset"
    first = start_local_stack(state_dir=state_dir)
    _send_mail(first, "director@example.org", "Gone", "text", "<p>html</p>")
    first.stop()

    second = start_local_stack(state_dir=state_dir, reset=True)

    assert second.created_resources
    assert call("GET", f"{second.url}/_local/outbox.json").json() == []


def test_the_state_survives_a_crash_of_moto(start_local_stack: StartStack, tmp_path: Path) -> None:
    # Given a stack stopped cleanly once (so with a snapshot), then changed, then killed without warning
    state_dir = tmp_path / "crashed"
    first = start_local_stack(state_dir=state_dir)
    table = first.environment["TABLE_NAME"]
    dynamodb = first.aws.client("dynamodb")
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "before"}, "sk": {"S": "PROPOSAL"}})
    first.stop()
    second = start_local_stack(state_dir=state_dir)
    second.aws.client("dynamodb").put_item(
        TableName=table, Item={"pk": {"S": "after"}, "sk": {"S": "PROPOSAL"}}
    )
    assert second.aws.pid is not None
    os.kill(second.aws.pid, signal.SIGKILL)
    second.stop()

    # When it starts again
    third = start_local_stack(state_dir=state_dir)

    # Then the snapshot and what was recorded after it bring back both items
    assert third.aws.replay["snapshot"] == 1
    assert third.aws.replay["replayed"] >= 1
    items = third.aws.client("dynamodb").scan(TableName=table)["Items"]
    assert {item["pk"]["S"] for item in items} == {"before", "after"}


def test_without_a_snapshot_the_whole_recording_is_replayed(
    start_local_stack: StartStack, tmp_path: Path
) -> None:
    state_dir = tmp_path / "no-snapshot"
    first = start_local_stack(state_dir=state_dir)
    table = first.environment["TABLE_NAME"]
    first.aws.client("dynamodb").put_item(
        TableName=table, Item={"pk": {"S": "kept"}, "sk": {"S": "PROPOSAL"}}
    )
    first.stop()
    (state_dir / "aws-snapshot.pickle").unlink()

    second = start_local_stack(state_dir=state_dir)

    assert second.aws.replay["snapshot"] == 0
    assert not second.created_resources
    items = second.aws.client("dynamodb").scan(TableName=table)["Items"]
    assert [item["pk"]["S"] for item in items] == ["kept"]


def _raw(stack: LocalStack, request: bytes) -> tuple[bytes, bool]:
    """What the gateway answers to bytes sent as they are, and whether it then closed the connection (a
    bounded wait: a gateway stuck reading would show as no answer, not as a hung test)."""
    host, port = stack.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        closed = False
        try:
            while chunk := connection.recv(65536):
                answer += chunk
            closed = True
        except TimeoutError:
            pass
    return answer, closed


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


@pytest.mark.parametrize(
    ("encoding", "body", "said"),
    [
        (b"xchunked", b"5\r\nhello\r\n0\r\n\r\n", b"Transfer-Encoding: xchunked"),
        (b"chunked", b"-5\r\nhello\r\n0\r\n\r\n", b"'-5' is not a chunk size"),
        (b"chunked", b"+5\r\nhello\r\n0\r\n\r\n", b"'+5' is not a chunk size"),
        (b"chunked", b"1" + b"0" * 16 + b"\r\nhello\r\n0\r\n\r\n", b"is not a chunk size"),
        (b"chunked", b"5\r\nhello world\r\n0\r\n\r\n", b"a chunk is not followed by CRLF"),
    ],
)
def test_a_body_whose_length_cant_be_trusted_is_refused_with_400_and_the_connection_closed(
    shared_local_stack: LocalStack, encoding: bytes, body: bytes, said: bytes
) -> None:
    # Given a client sending a body in a transfer coding API Gateway would not take
    request = (
        b"POST /proposals HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: " + encoding + b"\r\n\r\n" + body
    )
    # When it reaches the gateway
    answer, closed = _raw(shared_local_stack, request)
    # Then it is a 400 that says what was wrong, and the rest of the stream is not read as a request
    assert _status(answer) == 400, answer[:300]
    assert said in answer and b"Connection: close" in answer
    assert closed


def test_a_body_with_both_content_length_and_chunked_is_refused(shared_local_stack: LocalStack) -> None:
    request = (
        b"POST /proposals HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    )
    answer, closed = _raw(shared_local_stack, request)
    assert _status(answer) == 400 and b"not both" in answer and closed


def test_a_chunk_bigger_than_api_gateway_takes_is_refused_without_waiting_for_it(
    shared_local_stack: LocalStack,
) -> None:
    # A 16-digit size is a size, but no body can be that long: the gateway says so at once, and closes
    request = b"POST /proposals HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n"
    answer, closed = _raw(shared_local_stack, request)
    assert _status(answer) == 413 and b"at most 10485760 bytes" in answer and closed


def test_a_well_formed_chunked_body_still_reaches_the_function(shared_local_stack: LocalStack) -> None:
    request = (
        b"POST /proposals HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nConnection: close\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"
    )
    answer, _ = _raw(shared_local_stack, request)
    assert _status(answer) == 200
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["event"]["body"] == "hello world"


@pytest.mark.parametrize(
    ("sent", "seen"),
    [("//_local/outbox.json", "/_local/outbox.json"), ("/proposals//new", "/proposals/new"), ("///", "/")],
)
def test_slashes_are_merged_as_api_gateway_does_and_only_the_consoles_own_spelling_is_the_console(
    shared_local_stack: LocalStack, sent: str, seen: str
) -> None:
    # Given a path with a run of slashes, When it reaches the gateway
    request = f"GET {sent} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    answer, _ = _raw(shared_local_stack, request)
    # Then the function gets it with its slashes merged, as API Gateway hands it on; the console, which
    # does not exist in AWS, never answers it
    head, _, body = answer.partition(b"\r\n\r\n")
    assert _status(answer) == 200 and b"X-Frame-Options" not in head
    assert json.loads(body)["event"]["path"] == seen


def _exchange(stack: LocalStack, method: str, path: str) -> tuple[bytes, bytes]:
    request = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    answer, closed = _raw(stack, request)
    assert closed
    head, _, body = answer.partition(b"\r\n\r\n")
    return head, body


def _content_length(head: bytes) -> int:
    line = next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
    return int(line.split(b":")[1])


def test_the_console_answers_head_as_get_without_a_body(shared_local_stack: LocalStack) -> None:
    # Given a console page, When it is asked for with GET and with HEAD
    got_head, got_body = _exchange(shared_local_stack, "GET", "/_local/")
    head_head, head_body = _exchange(shared_local_stack, "HEAD", "/_local/")
    # Then HEAD has the GET's status and length, and no body
    assert _status(head_head) == _status(got_head) == 200
    assert _content_length(head_head) == len(got_body) > 0
    assert head_body == b""


def test_an_api_head_reaches_the_function_as_head_and_its_answer_goes_out_without_a_body(
    shared_local_stack: LocalStack,
) -> None:
    # Given the API's ANY method, which hands a HEAD on to the function as it came (the function echoes
    # the event it got, so its GET answer names the method)
    _, got_body = _exchange(shared_local_stack, "GET", "/proposals/new?lang=en")
    assert json.loads(got_body)["event"]["httpMethod"] == "GET"
    # When the same address is asked for with HEAD
    head_head, head_body = _exchange(shared_local_stack, "HEAD", "/proposals/new?lang=en")
    # Then the function's answer is sent without its body, its length kept
    assert _status(head_head) == 200 and _content_length(head_head) > 0
    assert head_body == b""
