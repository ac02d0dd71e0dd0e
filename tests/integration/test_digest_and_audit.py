"""The morning digest, the approvers' list and audit log with its exports, and mail that is owed."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from tests.integration.conftest import Context, Stack
from tests.integration.review_steps import (
    DEPUTY1,
    DEPUTY2,
    DIRECTOR,
    PROPOSER,
    last_mail,
    link_in,
    open_page,
    pending_proposal,
    press,
    review_link,
)


def list_link_for(stack: Stack, actor: str) -> str:
    """A list link genuinely signed with the stack's key, for `actor`, valid until tomorrow."""
    from postdesk.domain.links import ALL_PROPOSALS, LIST, LinkClaims, new_link_id, sign
    from postdesk.handlers.wiring import get_services

    claims = LinkClaims(actor, ALL_PROPOSALS, 0, LIST, int(stack.now.timestamp()) + 86400, new_link_id())
    return f"https://postdesk.example.org/l/{sign(claims, get_services().signing_keys())}"


def _digest(stack: Stack, when: str = "2026-12-01T06:30:00Z") -> dict[str, object]:
    from postdesk.handlers.digest import lambda_handler

    return lambda_handler({"scheduled_time": when}, Context())


def test_the_digest_tells_each_approver_what_waits_for_their_vote_and_what_will_go_out(stack: Stack) -> None:
    waiting = pending_proposal(stack, text="Conseil : verrouillez vos portes", kind="solved_case")
    press(stack, review_link(stack, DIRECTOR, "Approuver"))
    approved = pending_proposal(stack, text="Recrutement : rejoignez-nous")
    press(stack, review_link(stack, DEPUTY2, "Approuver"))
    assert stack.proposal(approved).status.value == "APPROVED"
    assert stack.proposal(waiting).status.value == "PENDING"
    # When the digest runs
    report = _digest(stack)
    assert sorted(report["sent_to"]) == sorted([DIRECTOR, DEPUTY1, DEPUTY2])  # type: ignore[arg-type]
    # Then deputy 1 sees the pending proposal with its links, and what the next run publishes
    mail = last_mail(stack, DEPUTY1, "Bulletin du")
    assert mail.subject == "Bulletin du mardi 1 décembre\u00a0: 1 à décider, 1 à publier"
    assert "Conseil : verrouillez vos portes" in mail.text
    assert "Recrutement : rejoignez-nous" in mail.text
    link_in(mail, "Approuver")
    # The director already voted on it: nothing waits for them
    assert last_mail(stack, DIRECTOR, "Bulletin du").subject.endswith("0 à décider, 1 à publier")
    # And the digest's approve link works like the review mail's
    press(stack, link_in(mail, "Approuver"))
    assert stack.proposal(waiting).status.value == "APPROVED"


def test_the_same_scheduled_digest_delivered_twice_sends_once(stack: Stack) -> None:
    pending_proposal(stack)
    first = _digest(stack)
    second = _digest(stack)
    assert first["sent_to"] and second["skipped"] is True
    assert len([m for m in stack.mails_to(DIRECTOR) if m.subject.startswith("Bulletin du")]) == 1


def test_a_quiet_day_sends_a_short_digest_that_says_so(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.integration.publishing_steps import use_environment

    # Given nothing to decide or publish, When the digest runs, Then each approver is told it is quiet
    assert len(_digest(stack)["sent_to"]) == 3
    mail = last_mail(stack, DIRECTOR, "Bulletin du")
    assert "rien à décider ni à publier" in mail.subject and "journée normale" in mail.text
    # And with DIGEST_ON_QUIET_DAYS=false, a quiet day sends nothing at all
    monkeypatch.setenv("DIGEST_ON_QUIET_DAYS", "false")
    use_environment(stack)
    assert _digest(stack, "2026-12-02T06:30:00Z")["sent_to"] == []


def test_the_desk_shows_every_proposal_and_the_audit_log_and_exports_it(stack: Stack) -> None:
    # Given a rejected proposal whose text and reason look like spreadsheet formulas, and one pending
    proposal_id = pending_proposal(stack, text='=HYPERLINK("http://evil") +1 <b>')
    press(stack, review_link(stack, DIRECTOR, "Rejeter"), {"reason": "@SUM(A1) -2"})
    pending_proposal(stack, text="Deuxième")
    _digest(stack)
    # When the deputy opens the desk from the digest
    list_url = link_in(last_mail(stack, DEPUTY1, "Bulletin du"), "Bureau des décideurs")
    page = open_page(stack, list_url)
    # Then what waits for their decision comes first, its state in words, with their own action links
    assert page.status == 200
    waiting = page.body.split("Les autres propositions")[0]
    assert "Deuxième" in waiting and "en attente de la décision de la direction" in waiting
    assert ">Approuver</a>" in waiting and ">Rejeter</a>" in waiting
    # And the rejected one, by its filter, escaped, with who rejected it and why in its journal
    path, query = stack.path_of(list_url)
    rejected = stack.request("GET", path, query={**query, "state": "REJECTED"}).body
    assert "&lt;b&gt;" in rejected and "rejetée" in rejected
    opened = stack.request("GET", path, query={**query, "p": proposal_id}).body
    assert f"Rejetée ({DIRECTOR})" in opened and "@SUM(A1) -2" in opened
    # The CSV export neutralises formulas; the JSON export keeps the text as it is
    path, _ = stack.path_of(list_url)
    exported = stack.request("GET", path + "/audit.csv")
    assert exported.status == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.body)))
    details = [row["detail"] for row in rows if row["proposal_id"] == proposal_id]
    assert "'@SUM(A1) -2" in details
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())
    document = stack.request("GET", path + "/audit.json").json()
    assert any(entry["detail"] == "@SUM(A1) -2" for entry in document)


def test_a_desk_link_is_only_for_approvers_and_only_for_a_day(stack: Stack) -> None:
    # Given a digest with its list link for a deputy
    pending_proposal(stack, text="Conseil du jour : fermez vos fenêtres")
    _digest(stack)
    list_url = link_in(last_mail(stack, DEPUTY1, "Bulletin du"), "Bureau des décideurs")
    # When the deputy opens it that day, Then it shows the proposals
    that_day = open_page(stack, list_url)
    assert that_day.status == 200 and "Conseil du jour" in that_day.body
    # When someone else signs a list link for themselves (no longer, or never, an approver)
    forged = list_link_for(stack, "someone@example.org")
    refused = open_page(stack, forged)
    # Then it is refused and shows nothing
    assert refused.status == 403 and "Conseil du jour" not in refused.body
    # When the deputy opens it a day and an hour later, Then it is refused: a desk link lasts a day
    stack.now += timedelta(hours=25)
    assert open_page(stack, list_url).status == 403


def test_an_approve_link_cannot_open_the_list(stack: Stack) -> None:
    pending_proposal(stack)
    path, _ = stack.path_of(review_link(stack, DIRECTOR, "Approuver"))
    assert stack.request("GET", path + "/audit.csv").status == 403


def test_a_mail_that_fails_to_send_is_owed_and_sent_by_the_next_sweep(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from postdesk.handlers.mail_sweep import lambda_handler as sweep
    from postdesk.handlers.wiring import get_services

    services = get_services()
    real_send = services.mailer.send

    def failing(mail: object) -> str:
        raise ConnectionError("SES is unreachable")

    monkeypatch.setattr(services.mailer, "send", failing)
    # When a colleague proposes while SES is down
    created = stack.post_json("/proposals", {"text": "Bonjour", "kind": "advice", "proposer_email": PROPOSER})
    # Then the proposal is stored and answered, the mail is owed, and the failure is audited
    assert created.status == 201
    assert stack.mails_to(PROPOSER) == []
    assert "mail_failed" in [e.action for e in stack.audit(created.json()["id"])]
    assert len(services.store.owed_mail()) == 1
    # When SES is back and the sweep runs
    monkeypatch.setattr(services.mailer, "send", real_send)
    stack.now += timedelta(minutes=2)
    assert sweep({}, Context()) == {"sent": 1}
    # Then the proposer has the confirmation mail, and nothing is owed any more
    assert link_in(last_mail(stack, PROPOSER), "Confirmer")
    assert services.store.owed_mail() == []


def test_the_morning_expires_what_was_never_confirmed_or_outlived_its_expiry(stack: Stack) -> None:
    from datetime import timedelta

    never_confirmed = stack.post_json(
        "/proposals", {"text": "Jamais confirmée", "kind": "advice", "proposer_email": PROPOSER}
    ).json()["id"]
    outlived = pending_proposal(stack, text="Fête de quartier samedi", expires_at="2026-12-02T12:00:00+01:00")
    still_fine = pending_proposal(stack, text="Sans date limite")
    # Three days later, the morning digest runs
    stack.now += timedelta(days=3)
    _digest(stack, "2026-12-04T06:30:00Z")
    assert stack.proposal(never_confirmed).status.value == "EXPIRED"
    assert stack.proposal(never_confirmed).status_reason == "never confirmed in time"
    assert stack.proposal(outlived).status.value == "EXPIRED"
    assert last_mail(stack, PROPOSER, "expirée")
    assert stack.proposal(still_fine).status.value == "PENDING"
    # And the digest no longer offers the expired one for a vote
    assert "Fête de quartier" not in last_mail(stack, DIRECTOR, "Bulletin du").text
