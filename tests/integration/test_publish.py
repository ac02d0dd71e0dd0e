"""The morning run publishes approved posts to X, oldest approval first, at most the cap, once each.

X is faked at the HTTP layer, so tweepy's own code and our calls to X's media endpoints run."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.conftest import APPROVERS, Stack
from tests.integration.fake_x import ACCOUNT, FakeX
from tests.integration.publishing_steps import (
    GIF,
    PNG,
    approved_proposal,
    pauses_of,
    run_publish,
    status_of,
    x_fixture,  # noqa: F401 - a fixture
)
from tests.integration.review_steps import PROPOSER, last_mail


def test_the_morning_run_publishes_oldest_approval_first_up_to_the_cap_spaced_out(
    stack: Stack, x: FakeX
) -> None:
    # Given four approved posts, approved one after the other
    ids = [approved_proposal(stack, f"Conseil n°{n} : fermez à clé & soyez vigilants") for n in range(1, 5)]

    # When the morning run runs
    report = run_publish({"scheduled_time": "2026-12-02T07:00:00Z"})

    # Then the three oldest approvals go out, in that order, three minutes apart
    assert x.texts == [f"Conseil n°{n} : fermez à clé &amp; soyez vigilants" for n in range(1, 4)]
    assert pauses_of().seconds == [180, 180]
    assert [entry["id"] for entry in report["published"]] == ids[:3]
    # And each keeps its X id and URL
    for entry, tweet in zip(report["published"], x.timeline, strict=True):
        proposal = stack.proposal(entry["id"])
        assert proposal.status.value == "PUBLISHED"
        assert proposal.post_id == tweet.id
        assert proposal.post_url == f"https://x.com/i/web/status/{tweet.id}"
    # And the fourth waits, approved, for the next run
    assert status_of(stack, ids[3]) == "APPROVED"
    assert report["deferred"] == [ids[3]]
    # And the proposer is told, with the link; the approvers get no notice per post (their digest says)
    url = stack.proposal(ids[0]).post_url
    notices = [m for m in stack.mails_to(PROPOSER) if m.subject.startswith("Publiée")]
    assert len(notices) == 3
    assert any(url in mail.text for mail in notices)
    for approver in APPROVERS:
        assert [m for m in stack.mails_to(approver) if m.subject.startswith("Publiée")] == []


def test_nothing_due_is_a_normal_day(stack: Stack, x: FakeX) -> None:
    # Given a post approved but under embargo until tomorrow
    embargoed = approved_proposal(stack, "Demain seulement", not_before=stack.now + timedelta(days=1))

    # When the morning run runs
    report = run_publish()

    # Then nothing is posted, nothing is read from X, nobody is mailed
    assert x.post_attempts == 0 and x.timeline_reads == 0
    assert report["published"] == [] and report["stopped"] == ""
    assert status_of(stack, embargoed) == "APPROVED"
    assert stack.mails_to(PROPOSER) == []


def test_an_embargoed_post_goes_out_at_the_first_run_after_its_embargo(stack: Stack, x: FakeX) -> None:
    proposal_id = approved_proposal(stack, "Demain seulement", not_before=stack.now + timedelta(hours=20))
    run_publish()
    stack.now += timedelta(days=1)
    run_publish()
    assert status_of(stack, proposal_id) == "PUBLISHED"
    assert x.texts == ["Demain seulement"]


def test_images_go_to_x_with_their_alt_text(stack: Stack, x: FakeX) -> None:
    # Given a post with a photo and a GIF, each with its description
    proposal_id = approved_proposal(
        stack,
        "Avis de recherche",
        images=((PNG, "image/png", "Un vélo bleu"), (GIF, "image/gif", "Le suspect, de dos")),
    )
    # When the morning run publishes it
    run_publish()

    # Then both images were uploaded, described, and attached to the post
    assert status_of(stack, proposal_id) == "PUBLISHED"
    assert len(x.timeline) == 1
    media_ids = x.timeline[0].media_ids
    assert len(media_ids) == 2
    assert x.alt_texts[media_ids[0]] == "Un vélo bleu"
    assert x.alt_texts[media_ids[1]] == "Le suspect, de dos"
    # The GIF went through X's chunked upload, and the run waited for X to process it
    assert x.status_checks == 1 and pauses_of().seconds == [1.0]


def test_an_image_x_refuses_fails_the_post_with_xs_message(stack: Stack, x: FakeX) -> None:
    from tests.integration.fake_x import Answer

    proposal_id = approved_proposal(stack, "Avec une image", images=((PNG, "image/png", "Une affiche"),))
    x.next_uploads.append(
        Answer(400, {"title": "Invalid Request", "detail": "media type unrecognized.", "status": 400})
    )

    run_publish()

    proposal = stack.proposal(proposal_id)
    assert proposal.status.value == "FAILED"
    assert "media type unrecognized" in (proposal.status_reason or "")
    assert x.timeline == []
    assert "media type unrecognized" in last_mail(stack, APPROVERS[0], "refusée par X").text


def test_an_image_upload_that_does_not_connect_is_tried_again(stack: Stack, x: FakeX) -> None:
    from tests.integration.fake_x import Answer

    proposal_id = approved_proposal(stack, "Avec une image", images=((PNG, "image/png", "Une affiche"),))
    x.next_uploads.append(Answer(timeout=True))

    run_publish()

    assert status_of(stack, proposal_id) == "PUBLISHED"
    assert len(x.timeline) == 1 and len(x.uploads) == 1
    assert pauses_of().seconds == [2.0]


def test_a_post_whose_account_name_is_known_links_to_it(stack: Stack, x: FakeX) -> None:
    # When the credentials secret names the account (sparing X's users/me), URLs carry the name
    import json

    import boto3

    from tests.integration.conftest import REGION
    from tests.integration.publishing_steps import CREDENTIALS, X_SECRET, use_environment

    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=X_SECRET, SecretString=json.dumps({**CREDENTIALS, "username": ACCOUNT, "user_id": "1"})
    )
    use_environment(stack)
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
    proposal_id = approved_proposal(stack, "Bonjour")
    run_publish()
    assert stack.proposal(proposal_id).post_url == f"https://x.com/{ACCOUNT}/status/{x.timeline[0].id}"
