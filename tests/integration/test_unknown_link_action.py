"""A link signed for an action postdesk does not know (one retired since the mail went out, or one a
newer version signed) shows a clear page in the reader's language, answers a script with a JSON 4xx,
and changes nothing."""

from __future__ import annotations

import html
from datetime import timedelta
from unittest.mock import patch

import pytest

from postdesk.domain.links import ACTION_CODES, LinkClaims, new_link_id, sign
from postdesk.handlers.wiring import get_services
from tests.integration.conftest import Stack
from tests.integration.review_steps import DIRECTOR, pending_proposal

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _signed_link(stack: Stack, action: str) -> str:
    """A link signed with the stack's own keys, as a mail of another version of postdesk would carry."""
    proposal_id = pending_proposal(stack)
    proposal = stack.proposal(proposal_id)
    claims = LinkClaims(
        DIRECTOR,
        proposal_id,
        proposal.version,
        action,
        int((stack.now + timedelta(days=14)).timestamp()),
        new_link_id(),
    )
    # Another version's action has a number this version does not know: sign it under one
    codes = {**ACTION_CODES, action: ACTION_CODES.get(action, 200 + len(action))}
    with patch.dict(ACTION_CODES, codes):
        return f"/l/{sign(claims, get_services().signing_keys())}"


@pytest.mark.parametrize("action", ["approve_twice", "archive", "propose"])
def test_a_link_with_an_action_postdesk_does_not_know_shows_a_clear_page_and_does_nothing(
    stack: Stack, action: str
) -> None:
    # Given a validly signed link for an action postdesk does not know
    path = _signed_link(stack, action)
    before = stack.proposal(_only_proposal(stack))

    # When the director opens it, and presses on it anyway, in French and in English
    opened = stack.request("GET", path, headers={"Accept": "text/html"})
    pressed = stack.request("POST", path, body="", headers={**FORM, "Accept": "text/html"})
    english = stack.request("GET", path, headers={"Accept": "text/html"}, query={"lang": "en"})

    # Then each is a page that says the action is unknown (or retired) and that nothing was done
    for answer in (opened, pressed):
        assert answer.status == 403 and answer.headers["content-type"].startswith("text/html")
        assert "que postdesk ne connaît pas (ou plus)" in html.unescape(answer.body)
        assert "Rien n'a été fait" in html.unescape(answer.body)
    assert english.status == 403
    assert "an action postdesk does not know (or no longer knows)" in english.body
    # And the proposal is as it was
    assert stack.proposal(before.id) == before


def _only_proposal(stack: Stack) -> str:
    (proposal,) = get_services().store.all()
    return proposal.id


def test_a_script_is_answered_json_for_an_unknown_action(stack: Stack) -> None:
    path = _signed_link(stack, "retired_action")
    for method in ("GET", "POST"):
        answer = stack.request(
            method,
            path,
            body="{}",
            headers={"Accept": "application/json", "Content-Type": "application/json"},
        )
        assert answer.status == 403
        assert answer.json()["reason"] == "unknown_action"
        assert "does not know" in answer.json()["message"]
