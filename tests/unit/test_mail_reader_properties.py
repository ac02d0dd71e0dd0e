"""Properties of the mail reader: whatever SES hands on and whatever the message holds, reading it
raises nothing but the documented refusal (NotAnSesEvent for what is not SES's event); every other
oddity is a recorded problem or a refusal reason."""

from __future__ import annotations

import contextlib
import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postdesk.inbound_mail.authentication import judge
from postdesk.inbound_mail.reading import ReadMail, read_message
from postdesk.inbound_mail.ses_event import NotAnSesEvent, from_header, received_mail, received_mails

EVENTS = Path(__file__).parent.parent / "events"
SAMPLE = json.loads((EVENTS / "ses_email_receiving.json").read_text())
CORPUS = sorted((EVENTS / "mail").glob("*.eml"))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
_header_text = st.lists(
    st.sampled_from(
        [*list('<>@"(),:;.\\ =?\t\r\nabcdeéа\x00\x1b'), "=?utf-8?q?", "?=", "example.org", "org"]
    ),
    max_size=30,
).map("".join)
_header_name = st.sampled_from(
    [
        "From",
        "from",
        "Authentication-Results",
        "DKIM-Signature",
        "Auto-Submitted",
        "Precedence",
        "Subject",
        "X",
    ]
)


@st.composite
def _ses_records(draw: st.DrawFn) -> dict[str, Any]:
    """SES's sample record with any of its fields replaced by odd values, and odd headers."""
    record: dict[str, Any] = copy.deepcopy(SAMPLE["Records"][0])
    mail, receipt = record["ses"]["mail"], record["ses"]["receipt"]
    mail["headers"] = draw(
        st.lists(st.fixed_dictionaries({"name": _header_name, "value": _header_text}) | _json, max_size=8)
    )
    for key in ("source", "messageId", "commonHeaders", "destination", "headersTruncated"):
        if draw(st.booleans()):
            mail[key] = draw(_json | _header_text)
    for key in ("recipients", "dmarcVerdict", "spfVerdict", "dkimVerdict", "spamVerdict"):
        if draw(st.booleans()):
            receipt[key] = draw(_json)
    if draw(st.booleans()):
        record["ses"] = draw(st.sampled_from([None, [], "x", {"mail": []}, {"mail": {}, "receipt": "x"}]))
    return record


@SETTINGS
@given(event=_json)
def test_any_json_event_is_read_or_refused_as_not_ses(event: Any) -> None:
    # Given any JSON document as an event, When the inbound function reads it,
    # Then it gets mails or NotAnSesEvent, never another exception
    with contextlib.suppress(NotAnSesEvent):
        received_mails(event if isinstance(event, dict) else {"Records": event})


@SETTINGS
@given(record=_ses_records())
def test_any_ses_shaped_record_is_judged_without_raising(record: dict[str, Any]) -> None:
    # Given SES's record with odd fields and headers
    try:
        mail = received_mail(record)
    except NotAnSesEvent:
        return
    # When it is judged, Then the answer is a refusal with a reason, or none
    refusal = judge(mail)
    assert refusal is None or refusal.reason in {"virus", "spam", "automatic", "not_authenticated"}
    # And a mail is only read when its From header is one address
    if refusal is None:
        assert len(mail.from_addresses) == 1 and not mail.from_problem


@SETTINGS
@given(values=st.lists(_header_text, max_size=3))
def test_any_from_header_is_one_address_or_a_stated_problem(values: list[str]) -> None:
    addresses, problem = from_header(values)
    assert problem or len(addresses) == 1


def _message(draw: st.DrawFn, depth: int) -> bytes:
    """A message (or part) from the pieces real mail is made of, some of them broken."""
    headers = draw(
        st.lists(
            st.tuples(
                st.sampled_from(
                    [
                        "Content-Type",
                        "Content-Transfer-Encoding",
                        "Content-Disposition",
                        "Subject",
                        "From",
                        "MIME-Version",
                    ]
                ),
                st.sampled_from(
                    [
                        "text/plain; charset=utf-8",
                        "text/plain; charset=x-unknown",
                        "text/plain; format=flowed; delsp=yes",
                        "text/html; charset=iso-8859-1",
                        "image/png",
                        "application/octet-stream",
                        'multipart/mixed; boundary="b"',
                        'multipart/alternative; boundary="b"',
                        "multipart/related",
                        "message/rfc822",
                        "base64",
                        "quoted-printable",
                        '"attachment; filename="=?utf-8?b?w6k=?="',
                        "=?unknown?q?x?=",
                        "[Prévention] Alt: x",
                    ]
                )
                | _header_text,
            ),
            max_size=5,
        )
    )
    head = b"".join(f"{name}: {value}\r\n".encode("utf-8", "surrogateescape") for name, value in headers)
    if depth < 3 and draw(st.booleans()):
        parts = [_message(draw, depth + 1) for _ in range(draw(st.integers(0, 3)))]
        body = b"".join(b"--b\r\n" + part + b"\r\n" for part in parts) + draw(
            st.sampled_from([b"--b--\r\n", b""])
        )
    else:
        body = draw(
            st.sampled_from(
                [b"Bonjour\r\nAlt: une affiche\r\n", b"=C3=A9=\r\n", b"iVBORw0KGgo=", b"\x89PNG\r\n\x1a\n"]
            )
            | st.binary(max_size=80)
        )
    return head + b"\r\n" + body


@SETTINGS
@given(raw=st.binary(max_size=400))
def test_any_bytes_are_read_as_a_proposal_or_its_problems(raw: bytes) -> None:
    read = read_message(raw)
    assert isinstance(read, ReadMail)
    assert read.text or read.problems


@SETTINGS
@given(data=st.data())
def test_any_mime_built_of_real_and_broken_pieces_is_read_without_raising(data: st.DataObject) -> None:
    # Given a message assembled from headers, parts and bodies real mail uses, some of them broken
    raw = _message(data.draw, 0)
    # When it is read
    read = read_message(raw)
    # Then it is a proposal's parts, or the problems that keep it from being one
    assert read.text or read.problems


@SETTINGS
@given(index=st.integers(0, len(CORPUS) - 1), cut=st.integers(0, 10_000), junk=st.binary(max_size=20))
def test_a_real_mail_cut_short_or_spliced_with_junk_is_read_without_raising(
    index: int, cut: int, junk: bytes
) -> None:
    raw = CORPUS[index].read_bytes()
    read = read_message(raw[: cut % (len(raw) + 1)] + junk + raw[cut % (len(raw) + 1) :])
    assert isinstance(read, ReadMail)


def test_parts_nested_a_thousand_deep_are_a_malformed_mail_not_a_crash() -> None:
    # Given a mail whose multipart parts nest 1,200 levels deep (the parser recurses on them)
    head, tail = b"", b""
    for level in range(1200):
        head += f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n'.encode()
        tail = f"\r\n--b{level}--\r\n".encode() + tail
    raw = (
        b"From: agent@example.org\r\nMIME-Version: 1.0\r\n"
        + head
        + b"Content-Type: text/plain\r\n\r\nhi"
        + tail
    )
    # When it is read, Then it is refused as malformed, the sender told so
    assert [problem.code for problem in read_message(raw).problems] == ["malformed"]
