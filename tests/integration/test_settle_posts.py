"""A person settles what the run could not, from the alert mail: it was published, publish it again, or
abandon it. Each link acts once, for an approver, and lands in the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.conftest import APPROVERS, Stack
from tests.integration.fake_x import ACCOUNT, DUPLICATE, Answer, FakeX
from tests.integration.publishing_steps import (
    approved_proposal,
    run_publish,
    status_of,
    x_fixture,  # noqa: F401 - a fixture
)
from tests.integration.review_steps import (
    DEPUTY1,
    DEPUTY2,
    DIRECTOR,
    PROPOSER,
    last_mail,
    link_in,
    open_page,
    press,
)


def _needs_reconcile(stack: Stack, x: FakeX, text: str = "Déjà vu", *, duplicate: bool = True) -> str:
    """A post a person must settle: X refused it as a duplicate, or (`duplicate=False`) X did not answer
    and then refused to show the account's posts, so nobody can tell whether it went out."""
    proposal_id = approved_proposal(stack, text)
    if duplicate:
        x.next_posts.append(Answer(403, DUPLICATE))
    else:
        x.next_posts.append(Answer(timeout=True))
        x.next_reads.append(
            Answer(
                400,
                {
                    "title": "Invalid Request",
                    "detail": "One or more parameters to your request was invalid.",
                    "status": 400,
                },
            )
        )
    run_publish()
    assert status_of(stack, proposal_id) == "NEEDS_RECONCILE"
    return proposal_id


def _link(stack: Stack, approver: str, label: str, subject: str = "À vérifier sur X") -> str:
    return link_in(last_mail(stack, approver, subject), label)


def test_it_was_published_records_the_post_from_its_address_without_posting(stack: Stack, x: FakeX) -> None:
    proposal_id = _needs_reconcile(stack, x)
    url = _link(stack, DEPUTY1, "Elle a été publiée")

    # Opening the link shows the post and asks for its address; it changes nothing
    page = open_page(stack, url)
    assert page.status == 200 and 'name="url"' in page.body and "Déjà vu" in page.body
    assert page.body.count('<form method="post"') == 1
    assert status_of(stack, proposal_id) == "NEEDS_RECONCILE"

    # An address that is not a post's is refused, naming the field
    wrong = press(stack, url, {"url": "https://example.org/nope"})
    assert wrong.status == 422 and 'id="err-url"' in wrong.body
    assert status_of(stack, proposal_id) == "NEEDS_RECONCILE"

    # The post's address records it as published, and everyone is told
    address = f"https://x.com/{ACCOUNT}/status/1234567890123456789"
    assert press(stack, url, {"url": address}).status == 200
    proposal = stack.proposal(proposal_id)
    assert (proposal.status.value, proposal.post_id, proposal.post_url) == (
        "PUBLISHED",
        "1234567890123456789",
        address,
    )
    assert address in last_mail(stack, PROPOSER, "Publié").text
    entry = next(e for e in stack.audit(proposal_id) if e.action == "marked published")
    assert (entry.actor, entry.detail, entry.via.startswith("link ")) == (DEPUTY1, address, True)
    assert x.post_attempts == 1

    # And the link acts once; the other approvers' links no longer apply
    assert press(stack, url, {"url": address}).status == 409
    assert press(stack, _link(stack, DEPUTY2, "L'abandonner")).status == 409


def test_publish_it_again_makes_the_post_due_for_the_next_run(stack: Stack, x: FakeX) -> None:
    proposal_id = _needs_reconcile(stack, x, "Pas parti en fait", duplicate=False)

    assert press(stack, _link(stack, DIRECTOR, "La publier à nouveau")).status == 200
    assert status_of(stack, proposal_id) == "APPROVED"
    assert any(e.action == "publish again" and e.actor == DIRECTOR for e in stack.audit(proposal_id))

    stack.now += timedelta(days=1)
    run_publish()
    assert status_of(stack, proposal_id) == "PUBLISHED"
    assert x.texts == ["Pas parti en fait"]


def test_abandon_ends_it_tells_everyone_and_its_other_links_stop_working(stack: Stack, x: FakeX) -> None:
    proposal_id = _needs_reconcile(stack, x, duplicate=False)

    assert press(stack, _link(stack, DEPUTY2, "L'abandonner")).status == 200

    proposal = stack.proposal(proposal_id)
    assert proposal.status.value == "FAILED"
    assert proposal.status_reason == f"abandoned by {DEPUTY2}"
    assert "abandonné" in last_mail(stack, PROPOSER, "abandonnée").text
    again = press(stack, _link(stack, DIRECTOR, "La publier à nouveau"))
    assert again.status == 409
    assert status_of(stack, proposal_id) == "FAILED"
    assert [e.action for e in stack.audit(proposal_id)].count("abandoned") == 1


def test_a_failed_post_can_be_published_again_or_abandoned(stack: Stack, x: FakeX) -> None:
    proposal_id = approved_proposal(stack, "Refusé une fois")
    x.next_posts.append(Answer(400, {"detail": "Something went wrong, try again later.", "status": 400}))
    run_publish()
    assert status_of(stack, proposal_id) == "FAILED"
    mail = last_mail(stack, DEPUTY1, "refusée par X")
    assert "Elle a été publiée" not in mail.text  # X said no: nothing to look for

    assert press(stack, link_in(mail, "La publier à nouveau")).status == 200
    stack.now += timedelta(days=1)
    run_publish()
    assert status_of(stack, proposal_id) == "PUBLISHED"


def test_only_approvers_settle_posts(stack: Stack, x: FakeX) -> None:
    from postdesk.domain.links import LinkClaims, new_link_id, sign
    from postdesk.handlers.wiring import get_services

    proposal_id = _needs_reconcile(stack, x)
    claims = LinkClaims(
        PROPOSER, proposal_id, 1, "publish_again", int(stack.now.timestamp()) + 3600, new_link_id()
    )
    forged = f"https://postdesk.example.org/l/{sign(claims, get_services().signing_keys())}"

    assert press(stack, forged).status == 403
    assert status_of(stack, proposal_id) == "NEEDS_RECONCILE"
    assert any(e.action == "refused publish_again" for e in stack.audit(proposal_id))
    for approver in APPROVERS:
        assert last_mail(stack, approver, "À vérifier sur X")


def test_a_post_of_another_account_is_not_taken_as_ours(
    stack: Stack, x: FakeX, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.integration.publishing_steps import use_environment

    # Given the account's name configured, and a post to settle
    monkeypatch.setenv("X_ACCOUNT", ACCOUNT)
    use_environment(stack)
    proposal_id = _needs_reconcile(stack, x)
    url = _link(stack, DEPUTY1, "Elle a été publiée")
    # When an approver gives the address of another account's post, Then it is refused, saying why
    other = press(stack, url, {"url": "https://x.com/someone_else/status/1234567890123456789"})
    assert other.status == 422 and f"ce n&#39;est pas une publication de @{ACCOUNT}" in other.body
    assert status_of(stack, proposal_id) == "NEEDS_RECONCILE"
    # And the account's own post is taken
    mine = press(stack, url, {"url": f"https://x.com/{ACCOUNT.upper()}/status/1234567890123456789"})
    assert mine.status == 200 and status_of(stack, proposal_id) == "PUBLISHED"


def test_the_settle_page_says_why_and_offers_nothing_that_cannot_succeed(stack: Stack, x: FakeX) -> None:
    from postdesk.domain.links import PUBLISH_AGAIN, LinkClaims, new_link_id, sign
    from postdesk.handlers.wiring import get_services

    # Given a post X refused as a duplicate
    proposal_id = _needs_reconcile(stack, x)
    # When an approver opens "it was published", Then the page says why a person is asked
    page = open_page(stack, _link(stack, DIRECTOR, "Elle a été publiée"))
    assert "X a refusé le texte comme un doublon" in page.body
    # And a "publish again" link for it (made by hand: none was mailed) is refused, saying why
    proposal = stack.proposal(proposal_id)
    claims = LinkClaims(
        DIRECTOR,
        proposal_id,
        proposal.version,
        PUBLISH_AGAIN,
        int(stack.now.timestamp()) + 3600,
        new_link_id(),
    )
    forged = f"https://postdesk.example.org/l/{sign(claims, get_services().signing_keys())}"
    refused = open_page(stack, forged)
    assert refused.status == 409 and "serait refusé de même" in refused.body


def test_a_proposer_who_opens_a_settle_link_is_told_only_approvers_settle(stack: Stack, x: FakeX) -> None:
    from postdesk.domain.links import ABANDON, LinkClaims, new_link_id, sign
    from postdesk.handlers.wiring import get_services

    proposal_id = _needs_reconcile(stack, x)
    proposal = stack.proposal(proposal_id)
    claims = LinkClaims(
        PROPOSER, proposal_id, proposal.version, ABANDON, int(stack.now.timestamp()) + 3600, new_link_id()
    )
    page = open_page(stack, f"https://postdesk.example.org/l/{sign(claims, get_services().signing_keys())}")
    assert page.status == 403 and "Seuls les décideurs règlent une publication" in page.body
