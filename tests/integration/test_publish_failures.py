"""When X says no, or nothing: every failure leaves a state and a reason, and no post goes out twice."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import boto3
import pytest

from postdesk.handlers.wiring import get_services
from tests.integration.conftest import APPROVERS, REGION, Stack
from tests.integration.fake_x import (
    DUPLICATE,
    NOT_PERMITTED,
    TOO_MANY,
    UNAUTHORIZED,
    UNAVAILABLE,
    Answer,
    FakeX,
)
from tests.integration.publishing_steps import (
    X_SECRET,
    approved_proposal,
    pauses_fixture,  # noqa: F401 - a fixture
    pauses_of,
    run_publish,
    status_of,
    use_environment,
    x_fixture,  # noqa: F401 - a fixture
)
from tests.integration.review_steps import PROPOSER, last_mail, link_in

RATE_LIMIT_HEADERS = {
    "x-rate-limit-limit": "100",
    "x-rate-limit-remaining": "0",
    "x-rate-limit-reset": "1796194800",  # 2026-12-02 07:00 UTC
    "x-app-limit-24hour-limit": "1667",
    "x-app-limit-24hour-remaining": "1200",
    "x-app-limit-24hour-reset": "1796198400",
    "x-user-limit-24hour-limit": "17",
    "x-user-limit-24hour-remaining": "0",
    "x-user-limit-24hour-reset": "1796202000",  # 2026-12-02 09:00 UTC
}


def _due_ids(stack: Stack) -> list[str]:
    return [p.id for p in get_services().store.due(stack.now)]


def test_a_429_stops_the_run_and_leaves_the_rest_approved_for_the_next(
    stack: Stack, x: FakeX, caplog: pytest.LogCaptureFixture
) -> None:
    # Given two approved posts, and X at its daily quota for this account
    first = approved_proposal(stack, "Premier")
    second = approved_proposal(stack, "Second")
    x.next_posts.append(Answer(429, TOO_MANY, RATE_LIMIT_HEADERS))

    # When the morning run runs
    report = run_publish()

    # Then it stops at once: one attempt, nothing out, both still approved and due, with the reason
    assert x.post_attempts == 1 and x.timeline == []
    assert (status_of(stack, first), status_of(stack, second)) == ("APPROVED", "APPROVED")
    assert sorted(_due_ids(stack)) == sorted([first, second])
    assert report["deferred"] == [first, second] and "rate limit" in report["stopped"]
    assert "2026-12-02T09:00:00+00:00" in (stack.proposal(first).status_reason or "")
    # And the log says when X resets, and X's 24-hour quotas
    limit = next(r.__dict__ for r in caplog.records if r.getMessage() == "X's rate limit: the run stops")
    assert limit["reset_at"] == "2026-12-02T09:00:00+00:00"
    assert limit["x-user-limit-24hour-remaining"] == "0"
    assert limit["x-app-limit-24hour-remaining"] == "1200"

    # And the next run publishes both, oldest approval first
    stack.now += timedelta(days=1)
    run_publish()
    assert x.texts == ["Premier", "Second"]


def test_a_503_is_tried_again_after_looking_and_the_post_goes_out_once(stack: Stack, x: FakeX) -> None:
    proposal_id = approved_proposal(stack, "Après une panne")
    x.next_posts.append(Answer(503, UNAVAILABLE))

    run_publish()

    assert status_of(stack, proposal_id) == "PUBLISHED"
    assert x.texts == ["Après une panne"] and x.post_attempts == 2
    # X answered 5xx: before posting again the run looked at the account, and waited a little
    assert x.timeline_reads == 1
    assert pauses_of().seconds == [2.0]


def test_timeouts_are_tried_a_few_times_then_the_post_waits_approved(stack: Stack, x: FakeX) -> None:
    proposal_id = approved_proposal(stack, "X ne répond pas")
    x.next_posts.extend([Answer(timeout=True)] * 3)

    report = run_publish()

    assert x.post_attempts == 3 and x.timeline == []
    assert pauses_of().seconds == [2.0, 8.0]
    assert x.timeline_reads == 3  # looked each time before posting again
    assert status_of(stack, proposal_id) == "APPROVED"
    assert _due_ids(stack) == [proposal_id]
    assert "did not answer in time" in report["stopped"]


def test_a_post_x_took_without_answering_is_found_on_the_account_not_posted_again(
    stack: Stack, x: FakeX
) -> None:
    proposal_id = approved_proposal(stack, "Vu sur https://www.example.org/conseils & partagé")
    x.next_posts.append(Answer(timeout=True, taken=True))

    run_publish()

    proposal = stack.proposal(proposal_id)
    assert proposal.status.value == "PUBLISHED"
    assert x.post_attempts == 1 and len(x.timeline) == 1
    assert proposal.post_id == x.timeline[0].id
    assert any(e.action == "published" for e in stack.audit(proposal_id))


def test_a_duplicate_refusal_asks_the_approvers_and_is_never_posted_again(stack: Stack, x: FakeX) -> None:
    proposal_id = approved_proposal(stack, "Déjà vu")
    x.next_posts.append(Answer(403, DUPLICATE))

    report = run_publish()

    proposal = stack.proposal(proposal_id)
    assert proposal.status.value == "NEEDS_RECONCILE"
    assert "duplicate content" in (proposal.status_reason or "")
    assert report["needs_reconcile"] == [proposal_id]
    for approver in APPROVERS:
        mail = last_mail(stack, approver, "À vérifier sur X")
        # The mail says why in words, and offers only what can succeed: publishing again would be
        # refused as a duplicate too
        assert "X a refusé le texte comme un doublon" in mail.text
        for label in ("Elle a été publiée", "L'abandonner"):
            link_in(mail, label)
        assert "La publier à nouveau" not in mail.text
    # The next runs leave it alone
    stack.now += timedelta(days=1)
    run_publish()
    assert x.post_attempts == 1


@pytest.mark.parametrize(
    ("status", "body"), [(401, UNAUTHORIZED), (403, NOT_PERMITTED)], ids=["401", "403-permissions"]
)
def test_refused_credentials_alert_the_operator_once_and_posts_stay_approved(
    stack: Stack, x: FakeX, status: int, body: dict[str, object]
) -> None:
    first = approved_proposal(stack, "Premier")
    second = approved_proposal(stack, "Second")
    x.next_posts.append(Answer(status, body))

    report = run_publish()

    assert x.post_attempts == 1
    assert (status_of(stack, first), status_of(stack, second)) == ("APPROVED", "APPROVED")
    assert sorted(_due_ids(stack)) == sorted([first, second])
    assert str(status) in report["stopped"]
    # The operator, who can fix it, is told what and what waits behind it; the approvers are not mailed
    alerts = _alerts(stack)
    assert [m.subject for m in alerts] == [
        "Publication bloquée\u00a0: X refuse les identifiants (2 en attente)"
    ]
    assert str(body["detail"]) in alerts[0].text
    for approver in APPROVERS:
        assert [m for m in stack.mails_to(approver) if "bloquée" in m.subject] == []
    assert stack.mails_to(PROPOSER) == []
    # And a second run that meets the same refusal does not tell them again
    x.next_posts.append(Answer(status, body))
    stack.now += timedelta(days=1)
    run_publish()
    assert len(_alerts(stack)) == 1


@pytest.mark.parametrize("secret", [None, "{}"], ids=["no-secret", "empty-secret"])
def test_without_x_credentials_nothing_is_published_and_the_operator_is_alerted(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    if secret is not None:
        boto3.client("secretsmanager", region_name=REGION).create_secret(Name=X_SECRET, SecretString=secret)
        monkeypatch.setenv("X_CREDENTIALS_SECRET", X_SECRET)
    use_environment(stack)
    proposal_id = approved_proposal(stack, "Personne ne lira ceci")

    report = run_publish()

    assert status_of(stack, proposal_id) == "APPROVED"
    assert report["deferred"] == [proposal_id]
    assert "credentials" in report["stopped"]
    alert = last_mail(stack, OPERATOR, "bloquée")
    assert "Rien ne peut être publié" in alert.text and "1 publication(s) approuvée(s)" in alert.text


def test_a_post_x_refuses_for_good_fails_with_xs_message_and_the_approvers_are_told(
    stack: Stack, x: FakeX
) -> None:
    proposal_id = approved_proposal(stack, "Refusé")
    x.next_posts.append(
        Answer(400, {"errors": [{"message": "Your Tweet text is too long."}], "title": "Invalid Request"})
    )
    other = approved_proposal(stack, "Accepté")

    report = run_publish()

    proposal = stack.proposal(proposal_id)
    assert proposal.status.value == "FAILED"
    assert "Your Tweet text is too long." in (proposal.status_reason or "")
    assert report["failed"] == [proposal_id]
    mail = last_mail(stack, APPROVERS[1], "refusée par X")
    assert "Your Tweet text is too long." in mail.text
    link_in(mail, "La publier à nouveau")
    # A refusal of one post does not stop the run
    assert status_of(stack, other) == "PUBLISHED"


def test_the_text_is_counted_again_at_publish_time(stack: Stack, x: FakeX) -> None:
    from postdesk.store.table import PROPOSAL_SK, ProposalItem, proposal_pk

    proposal_id = approved_proposal(stack, "Court")
    # Given a text that became too long as X counts it (€ counts 2) after it was approved
    item = ProposalItem.get(proposal_pk(proposal_id), PROPOSAL_SK)
    item.update(actions=[ProposalItem.text.set("€" * 141)])

    run_publish()

    proposal = stack.proposal(proposal_id)
    assert proposal.status.value == "FAILED"
    assert "282 characters as X counts them" in (proposal.status_reason or "")
    assert x.post_attempts == 0


def test_a_crash_between_posting_and_recording_is_settled_from_the_account_by_a_later_run(
    stack: Stack, x: FakeX, monkeypatch: pytest.MonkeyPatch
) -> None:
    from postdesk.domain.states import Status
    from postdesk.store.proposals import ProposalStore

    proposal_id = approved_proposal(stack, "Publié puis panne")
    # Given a run that dies right after X took its post, before recording it
    record = ProposalStore.transition

    def crash_on_record(
        self: ProposalStore, proposal: object, target: Status, *args: object, **kwargs: object
    ):  # type: ignore[no-untyped-def]
        if target is Status.PUBLISHED:
            raise RuntimeError("Lambda was stopped")
        return record(self, proposal, target, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ProposalStore, "transition", crash_on_record)
    with pytest.raises(RuntimeError):
        run_publish()
    monkeypatch.setattr(ProposalStore, "transition", record)
    assert status_of(stack, proposal_id) == "PUBLISHING"

    # When a run comes while the claim is young (it might belong to a live run): it is left alone
    stack.now += timedelta(minutes=5)
    run_publish()
    assert status_of(stack, proposal_id) == "PUBLISHING" and x.timeline_reads == 0

    # When the next run comes after the lease: it reads the account, finds the post, records it
    stack.now += timedelta(minutes=30)
    run_publish()
    proposal = stack.proposal(proposal_id)
    assert proposal.status.value == "PUBLISHED"
    assert x.post_attempts == 1 and proposal.post_id == x.timeline[0].id
    assert (
        "found on the account" in next(e for e in stack.audit(proposal_id) if e.action == "published").detail
    )
    assert last_mail(stack, PROPOSER, "Publié")


def test_a_stale_claim_with_no_post_on_the_account_asks_a_person(
    stack: Stack, x: FakeX, monkeypatch: pytest.MonkeyPatch
) -> None:
    from postdesk.channels.x import XChannel

    proposal_id = approved_proposal(stack, "Jamais parti")

    def crash(self: XChannel, text: str, images: object) -> object:
        raise RuntimeError("Lambda was stopped before posting")

    post = XChannel.post
    monkeypatch.setattr(XChannel, "post", crash)
    with pytest.raises(RuntimeError):
        run_publish()
    monkeypatch.setattr(XChannel, "post", post)

    stack.now += timedelta(hours=1)
    run_publish()

    proposal = stack.proposal(proposal_id)
    assert proposal.status.value == "NEEDS_RECONCILE"
    assert "no post of this text is on the account" in (proposal.status_reason or "")
    assert x.post_attempts == 0
    link_in(last_mail(stack, APPROVERS[0], "À vérifier sur X"), "La publier à nouveau")


def test_two_runs_at_once_publish_each_post_once(stack: Stack, x: FakeX) -> None:
    ids = [approved_proposal(stack, f"Message {n}") for n in range(3)]
    get_services().settings.publish_spacing_seconds = 0
    reports: list[dict[str, object]] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        reports.append(run_publish())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(x.texts) == ["Message 0", "Message 1", "Message 2"]
    assert all(status_of(stack, proposal_id) == "PUBLISHED" for proposal_id in ids)
    published = [entry["id"] for report in reports for entry in report["published"]]  # type: ignore[attr-defined]
    assert sorted(published) == sorted(ids)


def test_the_same_scheduled_run_delivered_twice_publishes_once(stack: Stack, x: FakeX) -> None:
    # Given two approved posts and a cap of one post a morning
    ids = [approved_proposal(stack, f"Message {n}") for n in range(2)]
    get_services().settings.publish_cap = 1
    event = {"scheduled_time": "2026-12-02T07:00:00Z"}

    # When the scheduler delivers the same morning's event twice
    first = run_publish(event)
    second = run_publish(event)

    # Then the second delivery publishes nothing, though a post is still due
    assert [entry["id"] for entry in first["published"]] == ids[:1]
    assert second["skipped"] is True and second["published"] == []
    assert x.texts == ["Message 0"]
    assert status_of(stack, ids[1]) == "APPROVED"
    # And the next morning is another scheduled time
    run_publish({"scheduled_time": "2026-12-03T07:00:00Z"})
    assert x.texts == ["Message 0", "Message 1"]


def test_the_same_scheduled_run_delivered_twice_at_the_same_moment_publishes_once(
    stack: Stack, x: FakeX
) -> None:
    # Given two approved posts and a cap of one post a morning
    ids = [approved_proposal(stack, f"Message {n}") for n in range(2)]
    get_services().settings.publish_cap = 1
    get_services().settings.publish_spacing_seconds = 0
    event = {"scheduled_time": "2026-12-02T07:00:00Z"}
    reports: list[dict[str, object]] = []
    barrier = threading.Barrier(2)

    def deliver() -> None:
        barrier.wait()
        reports.append(run_publish(event))

    # When the scheduler delivers the same morning's event twice, both at once
    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then one delivery runs the morning and the other does nothing
    assert sorted(bool(report["skipped"]) for report in reports) == [False, True]
    assert x.texts == ["Message 0"]
    assert status_of(stack, ids[0]) == "PUBLISHED" and status_of(stack, ids[1]) == "APPROVED"


def test_posts_past_their_expiry_expire_instead_of_going_out(stack: Stack, x: FakeX) -> None:
    proposal_id = approved_proposal(
        stack, "Pour ce soir seulement", expires_at=stack.now + timedelta(hours=2)
    )
    stack.now += timedelta(hours=3)

    report = run_publish()

    assert status_of(stack, proposal_id) == "EXPIRED"
    assert report["expired"] == [proposal_id]
    assert x.post_attempts == 0
    assert last_mail(stack, PROPOSER, "expirée")


def test_the_spacing_is_kept_within_the_time_the_run_has_left(stack: Stack, x: FakeX) -> None:
    ids = [approved_proposal(stack, f"Message {n}") for n in range(3)]

    # When the function has 4 minutes left: one post, then no room for 3 minutes of spacing and a post
    report = run_publish(remaining_ms=240_000)

    assert x.texts == ["Message 0"]
    assert report["deferred"] == ids[1:]
    assert [status_of(stack, proposal_id) for proposal_id in ids[1:]] == ["APPROVED", "APPROVED"]


OPERATOR = "operator@example.org"


def _alerts(stack: Stack) -> list[Any]:
    """What the operator was told: publishing blocked or stopped."""
    return [m for m in stack.mails_to(OPERATOR) if m.subject.startswith("Publication")]


def test_x_unreachable_leaves_every_post_approved_stops_the_run_and_alerts_once(
    stack: Stack, x: FakeX
) -> None:
    # Given two approved posts, and X's name that does not resolve (DNS down): nothing reaches X
    first = approved_proposal(stack, "Premier")
    second = approved_proposal(stack, "Second")
    x.next_posts.extend([Answer(unreachable=True)] * 3)

    # When the morning run runs
    report = run_publish()

    # Then nothing went out, both posts are still approved and due, nobody is asked to settle anything,
    # and the run stopped with one alert per approver (not one per post)
    assert x.timeline == [] and x.timeline_reads == 0
    assert (status_of(stack, first), status_of(stack, second)) == ("APPROVED", "APPROVED")
    assert sorted(_due_ids(stack)) == sorted([first, second])
    assert "could not be reached" in report["stopped"] and report["needs_reconcile"] == []
    assert len(_alerts(stack)) == 1
    assert "n'a pas pu être joint" in last_mail(stack, OPERATOR, "injoignable").text

    # When X is back and the next run runs, Then both go out, once each
    stack.now += timedelta(days=1)
    run_publish()
    assert x.texts == ["Premier", "Second"]
    assert (status_of(stack, first), status_of(stack, second)) == ("PUBLISHED", "PUBLISHED")


def test_a_post_that_may_have_gone_out_while_x_became_unreachable_stays_claimed_and_is_never_posted_twice(
    stack: Stack, x: FakeX
) -> None:
    # Given an approved post that X takes without answering in time, and then X can't be reached to read
    # the account
    proposal_id = approved_proposal(stack, "Partie sans réponse")
    other = approved_proposal(stack, "Suivante")
    x.next_posts.append(Answer(timeout=True, taken=True))
    x.next_reads.append(Answer(unreachable=True))

    # When the morning run runs
    report = run_publish()

    # Then the post stays claimed (never released to be posted again), the next one is not posted, no
    # person is asked post by post, and one alert per approver says X could not be reached
    assert len(x.timeline) == 1 and x.post_attempts == 1
    assert status_of(stack, proposal_id) == "PUBLISHING"
    assert status_of(stack, other) == "APPROVED"
    assert report["needs_reconcile"] == [] and report["stopped"]
    assert len(_alerts(stack)) == 1

    # When a run comes while X still can't be reached, Then it posts nothing at all
    x.next_reads.append(Answer(unreachable=True))
    stack.now += timedelta(minutes=30)
    run_publish()
    assert len(x.timeline) == 1 and status_of(stack, proposal_id) == "PUBLISHING"

    # When X answers again, Then the next run finds the post on the account first, records it, and
    # publishes the next one: each text once
    stack.now += timedelta(days=1)
    run_publish()
    assert x.texts == ["Partie sans réponse", "Suivante"]
    assert status_of(stack, proposal_id) == "PUBLISHED"
    assert stack.proposal(proposal_id).post_id == x.timeline[0].id
    assert status_of(stack, other) == "PUBLISHED"


def test_a_run_after_a_429_waits_for_xs_recorded_reset_time(stack: Stack, x: FakeX) -> None:
    # Given a run stopped by X's 429, whose headers say the account's quota resets at 09:00 UTC tomorrow
    proposal_id = approved_proposal(stack, "Patience")
    x.next_posts.append(Answer(429, TOO_MANY, RATE_LIMIT_HEADERS))
    run_publish()
    assert x.post_attempts == 1

    # When a run comes before that time, Then it posts nothing and says until when it waits
    stack.now = stack.now.replace(year=2026, month=12, day=2, hour=8, minute=0)
    report = run_publish()
    assert x.post_attempts == 1 and status_of(stack, proposal_id) == "APPROVED"
    assert "2026-12-02T09:00:00+00:00" in report["stopped"]

    # When a run comes after it, Then the post goes out
    stack.now = stack.now.replace(hour=9, minute=5)
    run_publish()
    assert x.texts == ["Patience"]
