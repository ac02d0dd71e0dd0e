"""The approvers decide through signed links: quorum, veto, no self-approval, versions, one use."""

from __future__ import annotations

import threading

import pytest

from tests.integration.conftest import APPROVERS, Stack
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


def test_each_approver_gets_one_review_mail_showing_the_post_and_four_links(stack: Stack) -> None:
    pending_proposal(
        stack,
        text='Appel à témoins <urgent> & "vol"',
        kind="witness_appeal",
        prosecutor_reference="PR-2026-77",
        urgent=True,
    )
    for approver in APPROVERS:
        mails = [m for m in stack.mails_to(approver) if "À décider" in m.subject]
        assert len(mails) == 1
        mail = mails[0]
        assert 'Appel à témoins <urgent> & "vol"' in mail.text
        assert "Appel à témoins &lt;urgent&gt; &amp; &#34;vol&#34;" in mail.html
        assert "PR-2026-77" in mail.text and "urgent" in mail.text
        for label in ("Approuver", "Rejeter", "Demander des modifications", "Modifier"):
            assert f">{label}</a>" in mail.html
            link_in(mail, label)
    # And the proposer gets a receipt with a Withdraw link
    assert "Retirer" in last_mail(stack, PROPOSER, "transmise").text


def test_opening_an_approve_link_changes_nothing_pressing_it_approves_with_quorum_one(stack: Stack) -> None:
    proposal_id = pending_proposal(stack)
    approve = review_link(stack, DIRECTOR, "Approuver")
    page = open_page(stack, approve)
    assert page.status == 200 and "Approuver</button>" in page.body
    assert page.body.count('<form method="post"') == 1
    assert stack.proposal(proposal_id).status.value == "PENDING"
    done = press(stack, approve)
    assert done.status == 200
    assert stack.proposal(proposal_id).status.value == "APPROVED"
    # The proposer is told, with when it goes out; the approvers see it on their desk, not in more mail
    told = last_mail(stack, PROPOSER, "approuvée")
    assert "Elle partira lors de la publication du" in told.text
    for approver in APPROVERS:
        assert [m.subject for m in stack.mails_to(approver) if "approuvée" in m.subject.lower()] == []


def test_a_solved_case_needs_two_approvals(stack: Stack) -> None:
    proposal_id = pending_proposal(stack, kind="solved_case")
    press(stack, review_link(stack, DIRECTOR, "Approuver"))
    assert stack.proposal(proposal_id).status.value == "PENDING"
    press(stack, review_link(stack, DEPUTY1, "Approuver"))
    assert stack.proposal(proposal_id).status.value == "APPROVED"


def test_a_proposal_flagged_judicial_risk_needs_two_approvals(stack: Stack) -> None:
    # Given an advice post (one approval by default) that its proposer flagged as a judicial risk
    proposal_id = pending_proposal(stack, judicial_risk=True)
    # When a first approver approves, Then it still waits
    press(stack, review_link(stack, DEPUTY2, "Approuver"))
    assert stack.proposal(proposal_id).status.value == "PENDING"
    # When a second approver approves, Then it is approved
    press(stack, review_link(stack, DIRECTOR, "Approuver"))
    assert stack.proposal(proposal_id).status.value == "APPROVED"


def test_any_rejection_is_a_veto_and_its_reason_reaches_the_proposer(stack: Stack) -> None:
    proposal_id = pending_proposal(stack, kind="solved_case")
    press(stack, review_link(stack, DIRECTOR, "Approuver"))
    reject = review_link(stack, DEPUTY1, "Rejeter")
    assert 'name="reason"' in open_page(stack, reject).body
    # A rejection without a reason is refused, with the field named
    empty = press(stack, reject, {"reason": "  "})
    assert empty.status == 422 and 'id="err-reason"' in empty.body
    assert press(stack, reject, {"reason": "Affaire <en cours> d'instruction"}).status == 200
    assert stack.proposal(proposal_id).status.value == "REJECTED"
    mail = last_mail(stack, PROPOSER, "rejetée")
    assert "Affaire <en cours> d'instruction" in mail.text
    assert "Affaire &lt;en cours&gt; d&#39;instruction" in mail.html
    # Further approvals change nothing
    late = press(stack, review_link(stack, DEPUTY2, "Approuver"))
    assert late.status == 409
    assert stack.proposal(proposal_id).status.value == "REJECTED"


def test_a_rejection_is_possible_after_approval_until_claimed(stack: Stack) -> None:
    proposal_id = pending_proposal(stack)
    press(stack, review_link(stack, DIRECTOR, "Approuver"))
    assert stack.proposal(proposal_id).status.value == "APPROVED"
    press(stack, review_link(stack, DEPUTY1, "Rejeter"), {"reason": "Mauvais moment"})
    assert stack.proposal(proposal_id).status.value == "REJECTED"


def test_an_approver_cannot_approve_their_own_proposal(stack: Stack) -> None:
    proposal_id = pending_proposal(stack, proposer_email="Director+com@Example.org")
    mail = last_mail(stack, DIRECTOR, "À décider")
    # Their mail carries no Approve link and says why
    assert "Approuver" not in mail.text and "Vous êtes l'auteur" in mail.text
    # And a forged attempt with another approver's approve link made out to them is refused
    from postdesk.domain.links import LinkClaims, new_link_id, sign
    from postdesk.handlers.wiring import get_services

    services = get_services()
    claims = LinkClaims(DIRECTOR, proposal_id, 1, "approve", int(stack.now.timestamp()) + 3600, new_link_id())
    url = f"https://postdesk.example.org/l/{sign(claims, services.signing_keys())}"
    page = open_page(stack, url)
    assert page.status == 403 and "un autre décideur" in page.body.replace(
        "another approver", "un autre décideur"
    )
    assert press(stack, url).status == 403
    assert stack.proposal(proposal_id).status.value == "PENDING"
    assert any(e.action == "refused approve" for e in stack.audit(proposal_id))


def test_an_approve_link_acts_only_once(stack: Stack) -> None:
    proposal_id = pending_proposal(stack, kind="solved_case")
    approve = review_link(stack, DIRECTOR, "Approuver")
    assert press(stack, approve).status == 200
    again = press(stack, approve)
    assert again.status == 409
    assert stack.proposal(proposal_id).approvals == frozenset({DIRECTOR})


def test_an_edit_makes_a_new_version_voids_approvals_and_old_links_do_nothing(stack: Stack) -> None:
    proposal_id = pending_proposal(stack, kind="solved_case")
    old_approve = review_link(stack, DEPUTY2, "Approuver")
    press(stack, review_link(stack, DIRECTOR, "Approuver"))
    # When deputy 1 edits the text directly
    edit = review_link(stack, DEPUTY1, "Modifier")
    assert press(stack, edit, {"text": "Prévention : fermez à clé, toujours !"}).status == 200
    proposal = stack.proposal(proposal_id)
    assert (proposal.version, proposal.status.value, proposal.approvals) == (2, "PENDING", frozenset())
    assert proposal.text == "Prévention : fermez à clé, toujours !"
    # Then the old approve link says the text changed and does nothing
    stale = press(stack, old_approve)
    assert stale.status == 409 and "version" in stale.body
    assert stack.proposal(proposal_id).approvals == frozenset()
    # Everyone gets fresh links for version 2; the editor may not approve their own text
    assert "Approuver" not in last_mail(stack, DEPUTY1, "À décider").text
    press(stack, review_link(stack, DIRECTOR, "Approuver"))
    press(stack, review_link(stack, DEPUTY2, "Approuver"))
    assert stack.proposal(proposal_id).status.value == "APPROVED"


def test_a_change_request_sends_the_proposer_an_edit_link_and_the_edit_returns_it_to_pending(
    stack: Stack,
) -> None:
    proposal_id = pending_proposal(stack)
    press(stack, review_link(stack, DEPUTY1, "Demander des modifications"), {"comment": "Ajoutez le 17"})
    assert stack.proposal(proposal_id).status.value == "CHANGES_REQUESTED"
    mail = last_mail(stack, PROPOSER, "Modifications demandées")
    assert "Ajoutez le 17" in mail.text
    edit = link_in(mail, "Modifier")
    too_long = press(stack, edit, {"text": "x" * 281})
    assert too_long.status == 422 and "281" in too_long.body
    assert press(stack, edit, {"text": "Prévention : fermez à clé ! En cas d'urgence, le 17."}).status == 200
    proposal = stack.proposal(proposal_id)
    assert (proposal.status.value, proposal.version) == ("PENDING", 2)
    # The proposer may still not approve: a fresh review mail went to every approver for version 2
    assert "version 2" in last_mail(stack, DIRECTOR, "À décider").text


def test_the_proposer_can_withdraw_until_the_post_is_claimed(stack: Stack) -> None:
    proposal_id = pending_proposal(stack)
    withdraw = link_in(last_mail(stack, PROPOSER, "transmise"), "Retirer")
    assert press(stack, withdraw).status == 200
    assert stack.proposal(proposal_id).status.value == "WITHDRAWN"
    assert press(stack, review_link(stack, DIRECTOR, "Approuver")).status == 409


def test_a_removed_approvers_links_stop_working(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from aws_lambda_powertools.utilities import parameters

    from tests.integration.conftest import APPROVERS_PARAMETER, REGION

    # Given a review link mailed to deputy 2, who is then removed from the approvers (as the operator
    # does with `postdesk approvers`), once the functions' cache of the list has run out
    proposal_id = pending_proposal(stack)
    approve = review_link(stack, DEPUTY2, "Approuver")
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=APPROVERS_PARAMETER, Value=f"{DIRECTOR},{DEPUTY1},someone.new@example.org", Overwrite=True
    )
    parameters.clear_caches()
    answer = press(stack, approve)
    # In French on a French page, as every refusal
    assert answer.status == 403 and "ne fait plus partie des décideurs" in answer.body
    assert stack.proposal(proposal_id).status.value == "PENDING"


def test_two_approvers_pressing_at_once_both_count_and_one_transition_happens(stack: Stack) -> None:
    proposal_id = pending_proposal(stack, kind="solved_case")
    links = [review_link(stack, approver, "Approuver") for approver in (DIRECTOR, DEPUTY1, DEPUTY2)]
    answers: list[int] = []
    barrier = threading.Barrier(3)

    def vote(url: str) -> None:
        barrier.wait()
        answers.append(press(stack, url).status)

    threads = [threading.Thread(target=vote, args=(url,)) for url in links]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    proposal = stack.proposal(proposal_id)
    assert proposal.status.value == "APPROVED"
    assert proposal.approvals == frozenset({DIRECTOR, DEPUTY1, DEPUTY2})
    assert sorted(answers) == [200, 200, 200]
    assert [e.action for e in stack.audit(proposal_id)].count("quorum reached") == 1
    assert len([m for m in stack.mails_to(PROPOSER) if "approuvée" in m.subject.lower()]) == 1


def test_every_decision_lands_in_the_audit_log_with_who_version_and_link(stack: Stack) -> None:
    proposal_id = pending_proposal(stack)
    press(stack, review_link(stack, DIRECTOR, "Rejeter"), {"reason": "Non"})
    entries = {e.action: e for e in stack.audit(proposal_id)}
    assert entries["rejected"].actor == DIRECTOR
    assert entries["rejected"].version == 1
    assert entries["rejected"].via.startswith("link ")
    assert entries["rejected"].detail == "Non"


def test_an_edit_is_held_to_the_same_text_rules_as_a_proposal(stack: Stack) -> None:
    proposal_id = pending_proposal(stack)
    edit = review_link(stack, DEPUTY1, "Modifier")
    refused = press(stack, edit, {"text": "Texte \ufffe invisible"})
    assert refused.status == 422
    assert "caractères que X refuse" in refused.body
    assert stack.proposal(proposal_id).version == 1
