"""Hostile and malformed input to the proposal form and the JSON API: each is a clear 4xx naming the
body or the field, in the page's language, and nothing is stored, kept in S3 or mailed."""

from __future__ import annotations

import base64
import json

import pytest

from tests.integration.conftest import Stack
from tests.integration.review_steps import DIRECTOR, pending_proposal, review_link
from tests.integration.test_bad_input import GOOD, _image, _objects, _stored_items


def _nothing_kept(stack: Stack) -> None:
    assert _stored_items() == 0
    assert _objects() == 0
    assert stack.mails() == []


def _errors(answer_body: str) -> dict[str, str]:
    return {error["field"]: error["message"] for error in json.loads(answer_body)["errors"]}


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("a\x00b@example.org", "U+0000"),
        ("a\x1bb@example.org", "U+001B"),
        ("a\x7fb@example.org", "U+007F"),
        ("a%evil.test@example.org", "%"),
        ("\u0430gent@example.org", "а (U+0430)"),  # a Cyrillic а, which looks like a Latin a
        ("a!#$&*/=?^`{|}~@example.org", "!"),
    ],
)
def test_an_address_no_mail_program_reads_as_written_is_refused_as_proposer(
    stack: Stack, address: str, words: str
) -> None:
    # Given an address of the organisation's domain holding a character an address cannot hold
    # When a script proposes a post from it
    answer = stack.post_json("/proposals", {**GOOD, "proposer_email": address})
    # Then the answer is a 422 naming the address field and the character
    assert answer.status == 422, answer.body
    message = _errors(answer.body)["proposer_email"]
    assert "cannot hold" in message and words in message
    # And nothing is stored and nobody is mailed
    _nothing_kept(stack)


def test_a_text_holding_nul_is_refused(stack: Stack) -> None:
    # When a script proposes a text holding a NUL character
    answer = stack.post_json("/proposals", {**GOOD, "text": "Fermez à clé\x00 !"})
    # Then it is told which field holds a control character
    assert answer.status == 422, answer.body
    assert "control characters (U+0000)" in _errors(answer.body)["text"]
    _nothing_kept(stack)


def test_a_text_with_tabs_and_line_breaks_is_ordinary_text(stack: Stack) -> None:
    # When a colleague pastes a text with a tab and Windows line breaks
    answer = stack.post_json("/proposals", {**GOOD, "text": "Horaires :\tlundi\r\nmardi"})
    # Then it is accepted, its line breaks as one newline
    assert answer.status == 201, answer.body
    assert stack.proposal(answer.json()["id"]).text == "Horaires :\tlundi\nmardi"


@pytest.mark.parametrize("alt", [{"text": "une affiche"}, ["une", "affiche"], 42, True])
def test_an_image_alt_text_that_is_not_a_string_is_refused(stack: Stack, alt: object) -> None:
    # When a script sends an image whose alt text is an object, a list, a number or a boolean
    answer = stack.post_json("/proposals", {**GOOD, "images": [{**_image(), "alt": alt}]})
    # Then the alt field is named, instead of the value being turned into a string
    assert answer.status == 422, answer.body
    assert _errors(answer.body)["images[0].alt"] == "must be a string"
    _nothing_kept(stack)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            '{"text": "t", "kind": "advice", "proposer_email": "a@example.org", "n": ' + "9" * 4301 + "}",
            "number",
        ),
        ("[" * 5000 + "]" * 5000, "nested deeper than 32"),
        ('{"text": ' + "[" * 100000 + "]" * 100000 + "}", "nested deeper than 32"),
        ('{"text": NaN}', "NaN is not JSON"),
    ],
)
def test_a_body_beyond_the_json_limits_is_a_400_naming_the_body(stack: Stack, body: str, words: str) -> None:
    # When a script posts a number of thousands of digits, or JSON nested thousands deep
    answer = stack.request(
        "POST",
        "/proposals",
        body=body,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    # Then it gets a 400 that names the body and the limit, not a 502
    assert answer.status == 400, answer.body
    message = answer.json()["message"]
    assert message.startswith("The body") and words in message
    _nothing_kept(stack)


def test_a_lone_surrogate_is_a_422_naming_its_field_and_no_image_is_kept(stack: Stack) -> None:
    # Given a JSON proposal whose text holds a lone surrogate, with an image attached
    body = json.dumps({**GOOD, "images": [_image()]})[:-1] + ', "text": "a\\ud800b"}'
    # When a script posts it
    answer = stack.request(
        "POST",
        "/proposals",
        body=body,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    # Then the text field is named
    assert answer.status == 422, answer.body
    assert "broken character" in _errors(answer.body)["text"]
    # And the image was never written to S3
    _nothing_kept(stack)


def test_a_lone_surrogate_in_an_alt_text_names_the_alt_field(stack: Stack) -> None:
    body = json.dumps({**GOOD, "images": [{**_image(), "alt": "ALT"}]}).replace("ALT", "\\udfff")
    answer = stack.request(
        "POST",
        "/proposals",
        body=body,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    assert answer.status == 422, answer.body
    assert "images[0].alt" in _errors(answer.body)
    _nothing_kept(stack)


@pytest.mark.parametrize("field", ["not_before", "expires_at"])
@pytest.mark.parametrize("moment", ["0001-01-01T00:00", "9999-12-31T23:59:59-12:00", "2100-01-01T08:00"])
def test_a_date_outside_a_sane_window_is_a_422_naming_it(stack: Stack, field: str, moment: str) -> None:
    # When a script proposes a post embargoed until (or expiring at) year 1, 9999 or 2100
    answer = stack.post_json("/proposals", {**GOOD, field: moment})
    # Then the date's field is named with the window it must fall in
    assert answer.status == 422, answer.body
    assert "must be between 2000-01-01 and " in _errors(answer.body)[field]
    _nothing_kept(stack)


def test_the_form_says_what_is_wrong_in_french_and_keeps_nothing(stack: Stack) -> None:
    # When a colleague's form carries an escape character in the text, a foreign letter in the address
    # and a date of year 1
    answer = stack.post_form(
        "/proposals",
        {
            "text": "Bonjour\x1b[31m",
            "kind": "prevention",
            "proposer_email": "\u0430gent@example.org",
            "not_before": "0001-01-01T00:00",
        },
        files={"image_1": ("a.png", "image/png", base64.b64decode(_image()["data"]))},
    )
    # Then the form comes back with a 422 and each error beside its field, in French
    assert answer.status == 422
    page = answer.body
    assert 'id="err-text"' in page and "caractères de contrôle (U+001B)" in page
    assert (
        'id="err-proposer_email"' in page and "ne peut pas contenir ces caractères\u00a0: а (U+0430)" in page
    )
    assert 'id="err-not_before"' in page and "doit être comprise entre le 2000-01-01" in page
    _nothing_kept(stack)


def test_a_rejection_reason_holding_control_characters_is_refused(stack: Stack) -> None:
    # Given a proposal waiting for the approvers
    proposal_id = pending_proposal(stack)
    path, query = stack.path_of(review_link(stack, DIRECTOR, "Rejeter"))
    # When an approver's script rejects it with a reason holding an escape sequence
    answer = stack.request(
        "POST",
        path,
        query=query,
        body=json.dumps({"reason": "non\x1b[2J"}),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    # Then the reason is named, and the proposal is still waiting
    assert answer.status == 422, answer.body
    assert "control characters (U+001B)" in _errors(answer.body)["reason"]
    assert stack.proposal(proposal_id).status.value == "PENDING"
