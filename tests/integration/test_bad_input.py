"""Bad input gets a clear 4xx naming the field and the problem, and nothing half-made is stored."""

from __future__ import annotations

import base64

import boto3
import pytest

from tests.integration.conftest import Stack
from tests.integration.test_propose import PNG

GOOD = {"text": "Prévention : fermez à clé !", "kind": "prevention", "proposer_email": "agent@example.org"}


def _stored_items() -> int:
    client = boto3.client("dynamodb", region_name="eu-west-1")
    return client.scan(TableName="postdesk-test", Select="COUNT")["Count"]


def _objects() -> int:
    return (
        boto3.client("s3", region_name="eu-west-1")
        .list_objects_v2(Bucket="postdesk-test-media")
        .get("KeyCount", 0)
    )


def _image(alt: str = "Une affiche de prévention", data: bytes = PNG) -> dict[str, str]:
    return {"content_type": "image/png", "data": base64.b64encode(data).decode(), "alt": alt}


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"text": ""}, "text", "required"),
        ({"text": "   "}, "text", "required"),
        ({"text": "é" * 281}, "text", "281 characters"),
        ({"text": "€" * 141}, "text", "282 characters"),
        ({"text": 42}, "text", "must be a string"),
        ({"kind": "gossip"}, "kind", "must be one of"),
        ({"proposer_email": "someone@gmail.com"}, "proposer_email", "work address"),
        ({"proposer_email": "not an address"}, "proposer_email", "not an email address"),
        ({"judicial_risk": "maybe"}, "judicial_risk", "true or false"),
        ({"expires_at": "tomorrow"}, "expires_at", "ISO 8601"),
        ({"expires_at": "2020-01-01T08:00:00+01:00"}, "expires_at", "already past"),
        ({"kind": "witness_appeal"}, "prosecutor_reference", "prosecutor's reference"),
        (
            {"kind": "witness_appeal", "prosecutor_reference": "PR-2026-1", "prosecutor_agreement": False},
            "prosecutor_agreement",
            "agreement",
        ),
        ({"urgent": True}, "urgent", "only a call for witnesses"),
        ({"images": [_image()] * 5}, "images", "5 images attached; 4 at most"),
        ({"images": [_image(alt="")]}, "images[0].alt", "alt text"),
        ({"images": [_image(data=b"%PDF-1.7 not an image")]}, "images[0]", "not an image"),
        ({"images": [_image(data=PNG + b"\0" * (4 * 1024 * 1024 + 10))]}, "images[0]", "larger than 4 MB"),
        ({"images": "photo.png"}, "images", "must be a list"),
    ],
)
def test_a_wrong_field_gets_a_422_naming_it_and_nothing_is_stored(
    stack: Stack, change: dict[str, object], field: str, words: str
) -> None:
    # When a script proposes a post with one wrong field
    answer = stack.post_json("/proposals", {**GOOD, **change})
    # Then the answer names the field and what is wrong
    assert answer.status == 422, answer.body
    errors = {e["field"]: e["message"] for e in answer.json()["errors"]}
    assert field in errors and words in errors[field], errors
    # And nothing was stored, no image kept, no mail sent
    assert _stored_items() == 0
    assert _objects() == 0
    assert stack.mails() == []


def test_text_with_markup_characters_is_ordinary_text(stack: Stack) -> None:
    answer = stack.post_json("/proposals", {**GOOD, "text": "<script>alert('x')</script> & \"quotes\""})
    assert answer.status == 201
    assert stack.proposal(answer.json()["id"]).text == "<script>alert('x')</script> & \"quotes\""


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        ("{not json", "application/json", 400, "malformed JSON"),
        ("[1, 2]", "application/json", 400, "JSON object"),
        ("text=hello", "text/plain", 415, "Content-Type"),
        ("--x\r\nbroken", "multipart/form-data", 400, "boundary"),
    ],
)
def test_a_malformed_body_gets_a_clear_4xx(
    stack: Stack, body: str, content_type: str, status: int, words: str
) -> None:
    answer = stack.request(
        "POST", "/proposals", body=body, headers={"Content-Type": content_type, "Accept": "application/json"}
    )
    assert answer.status == status, answer.body
    assert words in answer.json()["message"]
    assert _stored_items() == 0


def test_a_huge_body_gets_413(stack: Stack) -> None:
    answer = stack.post_json("/proposals", {**GOOD, "text": "x" * (7 * 1024 * 1024)})
    assert answer.status == 413
    assert "6291456 at most" in answer.json()["message"]
    assert _stored_items() == 0


def test_the_form_shows_each_error_next_to_its_field_and_keeps_what_was_typed(stack: Stack) -> None:
    # When a colleague sends the form with a foreign address, a call for witnesses without agreement,
    # and an image without alt text
    answer = stack.post_form(
        "/proposals",
        {
            "text": 'Appel à témoins : <vol> & "agression"',
            "kind": "witness_appeal",
            "proposer_email": "moi@gmail.com",
            "prosecutor_reference": "PR-42",
            "alt_1": "",
        },
        files={"image_1": ("a.png", "image/png", PNG)},
    )
    # Then the form comes back with a 422, each error beside its field, in French
    assert answer.status == 422
    page = answer.body
    assert 'id="err-proposer_email"' in page and "adresse de travail" in page
    assert 'id="err-prosecutor_agreement"' in page and "accord du parquet" in page
    assert 'id="err-alt_1"' in page and "description" in page
    assert 'aria-invalid="true" aria-describedby="err-proposer_email"' in page
    # And what they typed is still there, escaped
    assert "Appel à témoins : &lt;vol&gt; &amp; &#34;agression&#34;</textarea>" in page
    assert 'value="PR-42"' in page and 'value="moi@gmail.com"' in page
    assert '<option value="witness_appeal" selected>' in page
    assert "joignez à nouveau vos images" in page  # a browser never refills a file input
    assert _stored_items() == 0 and _objects() == 0


def test_a_form_with_more_than_four_images_is_refused(stack: Stack) -> None:
    fields = {**GOOD, **{f"alt_{n}": f"image {n}" for n in range(1, 6)}}
    files = {f"image_{n}": (f"{n}.png", "image/png", PNG) for n in range(1, 6)}
    answer = stack.post_form("/proposals", fields, files)
    assert answer.status == 422
    assert 'id="err-images"' in answer.body and "5 images jointes\u202f; 4 au plus" in answer.body
    assert _stored_items() == 0


def test_an_unknown_route_is_a_404_not_a_500(stack: Stack) -> None:
    assert stack.request("GET", "/nowhere").status == 404
