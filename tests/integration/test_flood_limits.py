"""The public form can't be used to mail a colleague without limit: per proposer address (whatever its
case or plus-tag), per recipient of the confirmation mail and per source network, per hour and per day.
Beyond a limit the answer is a 429 saying when to retry, and nothing is stored or mailed."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import boto3
import pytest

from postdesk.handlers.wiring import get_services, reset_services
from tests.integration.conftest import Answer, Stack
from tests.integration.test_propose import PNG

DIRECTOR = "director@example.org"
TEXT = "Votre compte est suspendu : reconnectez-vous sur https://evil.test/login"


def _anonymous(stack: Stack, address: str, *, source_ip: str | None = None, key: str | None = None) -> Answer:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return stack.request(
        "POST",
        "/proposals",
        body=json.dumps({"text": TEXT, "kind": "other", "proposer_email": address}),
        headers=headers,
        source_ip=source_ip,
    )


def _proposals() -> int:
    return len(list(get_services().store.all()))


def _objects() -> int:
    s3 = boto3.client("s3", region_name="eu-west-1")
    return int(s3.list_objects_v2(Bucket="postdesk-test-media").get("KeyCount", 0))


def _configure(stack: Stack, monkeypatch: pytest.MonkeyPatch, **environment: str) -> None:
    """The operator sets other limits (template parameters, passed as environment variables)."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    reset_services()
    get_services().clock = lambda: stack.now


def _form_token(stack: Stack, query: dict[str, str] | None = None) -> str:
    page = stack.request("GET", "/proposals/new", query=query).body
    match = re.search(r'name="form_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def test_fifty_anonymous_requests_for_plus_tag_variants_of_the_directors_address_send_five_mails(
    stack: Stack,
) -> None:
    # Given the default limits (5 proposals an hour per proposer, and 5 confirmation mails per mailbox)
    # When a script posts 50 proposals in a row, each from a variant of the director's address
    answers = [_anonymous(stack, f"Director+{n}@Example.org") for n in range(50)]

    # Then five are taken and the other 45 are told to wait
    statuses = [answer.status for answer in answers]
    assert statuses == [201] * 5 + [429] * 45
    # And the director's mailbox got five confirmation mails, all to the canonical address
    mails = stack.mails()
    assert len(mails) == 5
    assert all(mail.to == [DIRECTOR] for mail in mails)
    # And nothing of the 45 was stored
    assert _proposals() == 5
    assert {p.proposer_email for p in get_services().store.all()} == {DIRECTOR}


def test_beyond_the_limit_a_script_is_told_when_to_retry(stack: Stack) -> None:
    # Given five proposals by one colleague this hour (it is 09:00 UTC, 10:00 in Paris)
    for _ in range(5):
        assert _anonymous(stack, "agent.dupont@example.org").status == 201

    # When a sixth comes
    answer = _anonymous(stack, "agent.dupont@example.org")

    # Then it is a 429 with Retry-After, and a body that says when, in seconds and as a time
    assert answer.status == 429
    document = answer.json()
    assert document["error"] == "too_many_requests"
    assert document["reason"] == "too_many_for_address_hour"
    assert document["retry_at"] == "2026-12-01T10:00:00Z"
    assert int(answer.headers["retry-after"]) == document["retry_after"]
    assert 3500 < document["retry_after"] <= 3600
    assert "5 at most" in document["message"] and "Try again after 11:00" in document["message"]


def test_beyond_the_limit_the_form_shows_a_clear_page_and_stores_no_image(stack: Stack) -> None:
    fields = {
        "text": "Journée portes ouvertes",
        "kind": "recruitment",
        "proposer_email": "agent.martin@example.org",
        "alt_1": "L'affiche",
    }
    for _ in range(5):
        sent = stack.post_form("/proposals", {**fields, "form_token": _form_token(stack)})
        assert sent.status == 303
    objects = _objects()

    # When the colleague sends the form a sixth time within the hour, with an image
    answer = stack.post_form(
        "/proposals", {**fields, "form_token": _form_token(stack)}, {"image_1": ("a.png", "image/png", PNG)}
    )

    # Then the page says, in French, that nothing was sent and when to try again
    assert answer.status == 429
    assert answer.headers["content-type"].startswith("text/html")
    assert "retry-after" in answer.headers
    page = html.unescape(answer.body)
    assert "Trop de propositions" in page
    assert "rien n'a été enregistré ni envoyé" in page and "Réessayez après 11:00" in page
    # And the image did not reach the bucket, nor a sixth mail the mailbox
    assert _objects() == objects
    assert len(stack.mails_to("agent.martin@example.org")) == 5


def test_the_429_page_is_in_english_on_request(stack: Stack) -> None:
    for _ in range(5):
        _anonymous(stack, "agent.leroy@example.org")
    answer = stack.request(
        "POST",
        "/proposals",
        body="text=Hello&kind=other&proposer_email=agent.leroy%40example.org",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
        query={"lang": "en"},
    )
    assert answer.status == 429
    assert "Too many proposals" in answer.body and "Try again after 11:00" in answer.body


def test_an_hour_later_the_colleague_may_propose_again_until_the_daily_limit(stack: Stack) -> None:
    # Given a colleague who proposes five times an hour, hour after hour
    taken = 0
    for _hour in range(5):
        for _ in range(5):
            if _anonymous(stack, "agent.dupont@example.org").status == 201:
                taken += 1
        stack.now += timedelta(hours=1)
    # Then twenty are taken in the day (the day as Paris counts it), and the rest are refused till tomorrow
    assert taken == 20
    refused = _anonymous(stack, "agent.dupont@example.org")
    assert refused.status == 429
    document = refused.json()
    assert document["reason"] == "too_many_for_address_day"
    assert document["retry_at"] == "2026-12-01T23:00:00Z"  # midnight in Paris
    assert "Try again tomorrow" in document["message"]
    # And after midnight in Paris, the colleague may propose again
    stack.now = stack.now.replace(hour=23, minute=0, second=1)
    assert _anonymous(stack, "agent.dupont@example.org").status == 201


def test_a_repeat_answered_from_an_idempotency_key_counts_against_no_limit(stack: Stack) -> None:
    # Given a proposal sent with an Idempotency-Key, and repeated ten times (a client retrying)
    first = _anonymous(stack, "agent.dupont@example.org", key="retry-1")
    repeats = [_anonymous(stack, "agent.dupont@example.org", key="retry-1") for _ in range(10)]
    assert {r.json()["id"] for r in repeats} == {first.json()["id"]}
    # When the colleague then makes four other proposals
    others = [_anonymous(stack, "agent.dupont@example.org") for _ in range(4)]
    # Then they are taken: the repeats counted nothing; the limit is reached with the fifth proposal
    assert [o.status for o in others] == [201] * 4
    assert _anonymous(stack, "agent.dupont@example.org").status == 429


def test_a_form_sent_again_with_its_one_time_token_counts_against_no_limit(stack: Stack) -> None:
    # Given a form sent, then sent again six times (double clicks, a refresh, the back button)
    fields = {
        "text": "Opération tranquillité vacances",
        "kind": "advice",
        "proposer_email": "agent.martin@example.org",
        "form_token": _form_token(stack),
    }
    answers = [stack.post_form("/proposals", fields) for _ in range(7)]
    assert {a.status for a in answers} == {303}
    # When the colleague fills four new forms
    for n in range(4):
        sent = stack.post_form(
            "/proposals", {**fields, "text": f"Conseil {n}", "form_token": _form_token(stack)}
        )
        assert sent.status == 303
    # Then five proposals were made, and the sixth new one is the one refused
    assert _proposals() == 5
    refused = stack.post_form("/proposals", {**fields, "text": "Conseil 5", "form_token": _form_token(stack)})
    assert refused.status == 429


def test_one_network_sending_for_many_addresses_is_limited_unless_it_is_the_office(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an operator who set 3 proposals an hour per source address, exempting the office's network
    _configure(
        stack,
        monkeypatch,
        PROPOSALS_PER_SOURCE_IP_PER_HOUR="3",
        LIMIT_EXEMPT_NETWORKS="192.0.2.0/24, 2001:db8:1::/48",
    )
    # When a script on one address proposes for four different colleagues
    answers = [_anonymous(stack, f"agent{n}@example.org", source_ip="203.0.113.9") for n in range(4)]
    # Then the fourth is refused, saying it is the network's limit
    assert [a.status for a in answers] == [201, 201, 201, 429]
    assert answers[3].json()["reason"] == "too_many_for_network_hour"
    # And an IPv6 client is one client whatever address of its /64 it uses
    v6 = [_anonymous(stack, f"v6.{n}@example.org", source_ip=f"2001:db8:2:3::{n}") for n in range(1, 5)]
    assert [a.status for a in v6] == [201, 201, 201, 429]
    # While the office's colleagues, all behind one address, are not limited by it
    office = [_anonymous(stack, f"colleague{n}@example.org", source_ip="192.0.2.10") for n in range(6)]
    assert {a.status for a in office} == {201}
    office6 = [_anonymous(stack, f"c6.{n}@example.org", source_ip=f"2001:db8:1:{n}::1") for n in range(5)]
    assert {a.status for a in office6} == {201}


def test_limits_are_the_operators_to_set_and_zero_turns_one_off(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two proposals an hour per proposer, and no limit per recipient
    _configure(
        stack,
        monkeypatch,
        PROPOSALS_PER_PROPOSER_PER_HOUR="2",
        CONFIRMATIONS_PER_RECIPIENT_PER_HOUR="0",
        CONFIRMATIONS_PER_RECIPIENT_PER_DAY="0",
    )
    statuses = [_anonymous(stack, "agent.dupont@example.org").status for _ in range(3)]
    assert statuses == [201, 201, 429]


def test_the_confirmation_mail_shows_the_texts_addresses_unclickable_and_says_to_ignore_it(
    stack: Stack,
) -> None:
    # Given a proposal whose text carries web addresses, made in someone else's name
    text = "Compte suspendu : reconnectez-vous sur https://police-intranet-login.com/reset ou www.evil.com"
    answer = stack.post_json(
        "/proposals", {"text": text, "kind": "other", "proposer_email": "Director+x@example.org"}
    )
    assert answer.status == 201
    # When the confirmation mail reaches the (canonical) address
    (mail,) = stack.mails()
    assert mail.to == [DIRECTOR]
    # Then the text is there, readable, but no mail program makes a link of its addresses
    shown = "reconnectez-vous sur https[://]police-intranet-login[.]com/reset ou www[.]evil[.]com"
    assert shown in mail.text and shown in html.unescape(mail.html)
    for part in (mail.text, mail.html, mail.subject):
        assert "https://police" not in part and "www.evil" not in part and "login.com" not in part
    assert all(link.startswith("https://postdesk.example.org/") for link in mail.links)
    # And it says to ignore it when one did not propose anything
    assert "Si vous n'êtes pas à l'origine de cette proposition" in html.unescape(mail.html)
    # While the proposal keeps its text as written
    assert stack.proposal(answer.json()["id"]).text == text
