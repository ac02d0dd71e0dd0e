"""The users' stories in a real browser, through `postdesk local`: the proposer fills the form and
confirms from their mailbox; approvers decide from theirs."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e


def _mail(stack: RunningStack, to: str, subject_has: str) -> dict[str, Any]:
    mails = [m for m in stack.outbox() if to in m["to"] and subject_has in m["subject"]]
    assert mails, f"no mail to {to} about {subject_has!r}: {[m['subject'] for m in stack.outbox()]}"
    return mails[0]  # newest first


def _open_mail(page: Any, mail: dict[str, Any]) -> None:
    """Read the mail as its HTML part shows it, the way a mail client would."""
    page.set_content(mail["html"])


def _status(stack: RunningStack, text: str) -> str:
    matches = [p for p in stack.proposals() if p["text"] == text]
    assert len(matches) == 1, matches
    return str(matches[0]["status"])


def _follow(page: Any, link: str) -> None:
    """Open a link of the page (a mail, most often) and wait for the page it opens."""
    with page.expect_navigation():
        page.get_by_role("link", name=link).click()


def _press(page: Any, button: str) -> None:
    """Press a form's button and wait for the page it leads to, as a person waits before reading."""
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def _propose(page: Any, stack: RunningStack, text: str, proposer: str, kind: str = "prevention") -> None:
    page.goto(f"{stack.url}/proposals/new")
    page.get_by_label("Texte de la publication").fill(text)
    page.get_by_label("Type de publication").select_option(kind)
    page.get_by_label("Votre adresse de travail").fill(proposer)
    with page.expect_navigation():  # POST, then the redirect to the page of what was sent
        page.get_by_role("button", name="Envoyer la proposition").click()
    page.get_by_role("heading", name="Vérifiez votre boîte mail").wait_for()


def test_a_colleague_proposes_confirms_from_the_mail_and_the_proposal_is_pending(
    page: Any, local_stack: RunningStack
) -> None:
    text = "Prévention : ne laissez rien de visible dans votre voiture. <Merci> & bonne journée !"
    # The form counts characters as X does while they type
    page.goto(f"{local_stack.url}/proposals/new")
    page.get_by_label("Texte de la publication").fill("Prix : 10 €")
    assert page.locator("#text-count").inner_text() == "12 / 280"
    _propose(page, local_stack, text, "agent.leroy@example.org")
    assert _status(local_stack, text) == "AWAITING_CONFIRMATION"
    # The mail in the outbox holds the link; opening it changes nothing
    _open_mail(page, _mail(local_stack, "agent.leroy@example.org", "Confirmez"))
    _follow(page, "Confirmer")
    expect(page.get_by_role("heading", name="Confirmer votre proposition")).to_be_visible()
    assert page.locator(".post").inner_text() == text
    assert _status(local_stack, text) == "AWAITING_CONFIRMATION"
    # Pressing the button confirms
    _press(page, "Confirmer")
    expect(page.get_by_role("heading", name="Proposition confirmée")).to_be_visible()
    assert _status(local_stack, text) == "PENDING"


def test_the_form_shows_errors_beside_the_fields_and_keeps_what_was_typed(
    page: Any, local_stack: RunningStack
) -> None:
    page.goto(f"{local_stack.url}/proposals/new?lang=en")
    page.get_by_label("Text of the post").fill("x" * 281)
    page.get_by_label("Kind of post").select_option("witness_appeal")
    page.get_by_label("Your work email address").fill("someone@gmail.com")
    _press(page, "Send the proposal")
    assert page.locator("#err-text").inner_text().endswith("is 281 characters as X counts them; 280 at most")
    assert "work address" in page.locator("#err-proposer_email").inner_text()
    assert "prosecutor" in page.locator("#err-prosecutor_reference").inner_text()
    assert page.get_by_label("Text of the post").input_value() == "x" * 281
    assert page.get_by_label("Your work email address").input_value() == "someone@gmail.com"


def test_an_approver_approves_from_the_mail_after_a_page_that_changes_nothing(
    page: Any, local_stack: RunningStack
) -> None:
    text = "Recrutement : la police nationale recrute, rejoignez-nous !"
    _propose(page, local_stack, text, "agent.moreau@example.org", kind="recruitment")
    _open_mail(page, _mail(local_stack, "agent.moreau@example.org", "Confirmez"))
    _follow(page, "Confirmer")
    _press(page, "Confirmer")
    # The director opens the review mail, then the Approve link: a page, nothing changes
    _open_mail(page, _mail(local_stack, "director@example.org", "Recrutement : la police"))
    _follow(page, "Approuver")
    expect(page.get_by_role("button", name="Approuver")).to_be_visible()
    assert _status(local_stack, text) == "PENDING"
    # Pressing Approve reaches the quorum of one
    _press(page, "Approuver")
    expect(page.get_by_text("Le quorum est atteint")).to_be_visible()
    assert _status(local_stack, text) == "APPROVED"
    approved = _mail(local_stack, "agent.moreau@example.org", "Approuvée")
    assert "Elle partira lors de la publication du" in approved["text"]


def test_an_approver_rejects_and_the_reason_reaches_the_proposer(
    page: Any, local_stack: RunningStack
) -> None:
    text = "Affaire résolue : deux interpellations après les cambriolages du quartier nord."
    _propose(page, local_stack, text, "agent.petit@example.org", kind="solved_case")
    _open_mail(page, _mail(local_stack, "agent.petit@example.org", "Confirmez"))
    _follow(page, "Confirmer")
    _press(page, "Confirmer")
    _open_mail(page, _mail(local_stack, "deputy1@example.org", "Affaire résolue : deux"))
    _follow(page, "Rejeter")
    page.get_by_label("Motif du rejet").fill("L'enquête est encore en cours : rien avant le procès.")
    _press(page, "Rejeter")
    expect(page.get_by_text("La proposition est rejetée")).to_be_visible()
    assert _status(local_stack, text) == "REJECTED"
    notice = _mail(local_stack, "agent.petit@example.org", "Rejetée")
    assert "L'enquête est encore en cours : rien avant le procès." in notice["text"]


def _approved(page: Any, stack: RunningStack, text: str, proposer: str) -> None:
    _propose(page, stack, text, proposer, kind="advice")
    _open_mail(page, _mail(stack, proposer, "Confirmez"))
    _follow(page, "Confirmer")
    _press(page, "Confirmer")
    _open_mail(page, _mail(stack, "deputy2@example.org", text[:20]))
    _follow(page, "Approuver")
    _press(page, "Approuver")
    assert _status(stack, text) == "APPROVED"


def test_the_morning_run_publishes_an_approved_post_once_and_tells_the_proposer(
    page: Any, local_stack: RunningStack
) -> None:
    text = "Conseil : avant de partir en vacances, signalez votre absence (opération Tranquillité vacances)."
    _approved(page, local_stack, text, "agent.roux@example.org")
    # When someone runs the morning run from the console
    page.goto(f"{local_stack.url}/_local/timeline")
    with page.expect_navigation():
        page.get_by_role("button", name="Lancer la publication du matin").click()
    # Then the post is on the timeline, and the proposer is told with its link
    assert page.url.endswith("/_local/timeline"), page.url
    assert page.get_by_text(text).count() == 1
    assert _status(local_stack, text) == "PUBLISHED"
    assert _mail(local_stack, "agent.roux@example.org", "Publiée")
    # And a second run publishes nothing more
    with page.expect_navigation():
        page.get_by_role("button", name="Lancer la publication du matin").click()
    assert page.get_by_text(text).count() == 1
    assert [p["text"] for p in local_stack.get_json("/_local/timeline.json")].count(text) == 1


def test_a_mail_to_the_submission_address_becomes_a_proposal_confirmed_in_the_browser(
    page: Any, local_stack: RunningStack
) -> None:
    import smtplib
    from email.message import EmailMessage

    assert local_stack.smtp_port is not None
    message = EmailMessage()
    message["From"] = "Agent Blanc <agent.blanc@example.org>"
    message["To"] = "propositions@example.org"
    message["Subject"] = "[prévention] Démarchage frauduleux"
    message.set_content(
        "Attention aux faux agents des eaux : demandez toujours une carte professionnelle.\n\n-- \nAgent Blanc"
    )
    with smtplib.SMTP("127.0.0.1", local_stack.smtp_port, timeout=30) as smtp:
        smtp.send_message(message)
    text = "Attention aux faux agents des eaux : demandez toujours une carte professionnelle."
    assert _status(local_stack, text) == "AWAITING_CONFIRMATION"
    _open_mail(page, _mail(local_stack, "agent.blanc@example.org", "Confirmez"))
    _follow(page, "Confirmer")
    assert page.locator(".post").inner_text() == text
    _press(page, "Confirmer")
    assert _status(local_stack, text) == "PENDING"


def test_changes_are_requested_the_proposer_edits_from_the_mail_and_the_new_version_is_published(
    page: Any, local_stack: RunningStack
) -> None:
    first = "Service à l'honneur : la brigade fluviale veille sur la Seine, été comme hiver, jour et nuit."
    edited = "Service à l'honneur : la brigade fluviale veille sur la Seine, jour et nuit."
    proposer = "agent.garnier@example.org"
    _propose(page, local_stack, first, proposer, kind="service_focus")
    _open_mail(page, _mail(local_stack, proposer, "Confirmez"))
    _follow(page, "Confirmer")
    _press(page, "Confirmer")
    # Given a deputy who asks for changes from the review mail, opening the link before pressing
    _open_mail(page, _mail(local_stack, "deputy1@example.org", "Service à l'honneur"))
    _follow(page, "Demander des modifications")
    page.get_by_label("Ce qu'il faut modifier").fill("Plus court, s'il vous plaît.")
    _press(page, "Demander des modifications")
    assert _status(local_stack, first) == "CHANGES_REQUESTED"
    # When the proposer opens "Modifier" from their mail: the page opens for them (it was refused once)
    asked = _mail(local_stack, proposer, "Modifications demandées")
    assert "Plus court, s'il vous plaît." in asked["text"]
    _open_mail(page, asked)
    _follow(page, "Modifier")
    expect(page.get_by_role("heading", name="Modifier le texte")).to_be_visible()
    page.get_by_role("textbox").first.fill(edited)
    _press(page, "Modifier")
    expect(page.get_by_text("Nouvelle version enregistrée")).to_be_visible()
    assert _status(local_stack, edited) == "PENDING"
    # Then the new version reaches the approvers, one approves it, and the morning run publishes it once
    _open_mail(page, _mail(local_stack, "deputy2@example.org", "Service à l'honneur"))
    _follow(page, "Approuver")
    expect(page.locator(".post")).to_have_text(edited)
    _press(page, "Approuver")
    assert _status(local_stack, edited) == "APPROVED"
    page.goto(f"{local_stack.url}/_local/timeline")
    _press(page, "Lancer la publication du matin")
    assert [p["text"] for p in local_stack.get_json("/_local/timeline.json")].count(edited) == 1
    assert _status(local_stack, edited) == "PUBLISHED"
