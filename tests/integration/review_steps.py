"""Steps shared by the approvers' stories: propose and confirm, find a person's link, press it."""

from __future__ import annotations

from typing import Any

from postdesk.domain.addresses import canonical_address
from postdesk_tools.local_stack.outbox import SentMail
from tests.integration.conftest import Answer, Stack

DIRECTOR, DEPUTY1, DEPUTY2 = "director@example.org", "deputy1@example.org", "deputy2@example.org"
PROPOSER = "agent.dupont@example.org"
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}


def pending_proposal(stack: Stack, **fields: Any) -> str:
    document = {
        "text": "Prévention : fermez à clé !",
        "kind": "prevention",
        "proposer_email": PROPOSER,
        **fields,
    }
    created = stack.post_json("/proposals", document)
    assert created.status == 201, created.body
    proposal_id = created.json()["id"]
    # The confirmation goes to the proposer's canonical address (no plus-tag, lower case).
    confirm = link_in(last_mail(stack, canonical_address(document["proposer_email"])), "Confirmer")
    assert press(stack, confirm).status == 200
    return proposal_id


def last_mail(stack: Stack, person: str, subject_has: str = "") -> SentMail:
    mails = [m for m in stack.mails_to(person) if subject_has.lower() in m.subject.lower()]
    assert mails, f"no mail to {person} with {subject_has!r}"
    return mails[-1]


def link_in(mail: SentMail, label: str) -> str:
    """The URL of the link whose visible text is `label`, in the mail's text part."""
    return url_labelled(mail.text, label, mail.subject)


def url_labelled(text: str, label: str, subject: str = "") -> str:
    """The URL after `label` in a mail's text part (`label : url`, the space before the colon a no-break
    one in French, none in English)."""
    for line in text.splitlines():
        name, colon, url = line.partition(":")
        if colon and name.rstrip(" \u00a0") == label and url.strip().startswith("http"):
            return url.strip()
    raise AssertionError(f"no {label!r} link in {subject!r}: {text}")


def open_page(stack: Stack, url: str) -> Answer:
    path, query = stack.path_of(url)
    return stack.request("GET", path, query=query)


def press(stack: Stack, url: str, fields: dict[str, str] | None = None) -> Answer:
    """Open the link as its reader does (GET), then press its page's button (POST). A link whose button
    acts must have opened on a page with that one form: a reader can't press what never showed."""
    from urllib.parse import urlencode

    opened = open_page(stack, url)
    path, query = stack.path_of(url)
    pressed = stack.request("POST", path, query=query, body=urlencode(fields or {}), headers=FORM)
    if pressed.status < 300:
        assert opened.status == 200, f"the link acted but its page answered {opened.status}: {opened.body}"
        assert opened.body.count('<form method="post"') == 1, "the link's page has no single form"
    return pressed


def review_link(stack: Stack, approver: str, label: str) -> str:
    return link_in(last_mail(stack, approver, "À décider"), label)
