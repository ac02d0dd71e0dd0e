"""The dev console, as a developer walks it on `make run`'s stack: each link of a mail named by what it
does and for whom, a form to see the mail of one address, buttons for the runs the schedule makes in
AWS, a form to paste a raw mail, times in the stack's zone, and every page framed the same way, with the
headers of a page that must not be framed, sniffed or leak its address."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from postdesk_tools.local_stack.console import SECURITY_HEADERS
from postdesk_tools.local_stack.lambda_function import DEFAULT_HANDLER
from postdesk_tools.local_stack.stack import LocalStack
from tests.integration.local_stack_fixtures import NO_FLOOD_LIMITS, Reply, call, clear_overrides

AUTHOR = "agent.console@example.org"
DIRECTOR = "director@example.org"
HTML = {"Accept": "text/html"}
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
PAGES = ["/_local/", "/_local/outbox", f"/_local/outbox?to={DIRECTOR}", "/_local/inbound", "/_local/timeline"]


@pytest.fixture(name="console_stack", scope="module")
def console_stack_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The local stack with the real functions, in which one proposal went out to the approvers."""
    state_dir = tmp_path_factory.mktemp("console-stack")
    with pytest.MonkeyPatch.context() as monkeypatch:
        clear_overrides(monkeypatch, state_dir)
        for name, value in NO_FLOOD_LIMITS.items():
            monkeypatch.setenv(name, value)
        stack = LocalStack(
            state_dir=state_dir, port=0, aws_port=0, smtp_port=0, handler=DEFAULT_HANDLER, warm=False
        )
        with stack:
            proposed = call(
                "POST",
                f"{stack.url}/proposals",
                body=(
                    b'{"text": "Pr\xc3\xa9vention : fermez votre v\xc3\xa9hicule.", "kind": "advice", '
                    b'"proposer_email": "' + AUTHOR.encode() + b'"}'
                ),
                headers={"Content-Type": "application/json", "Accept": "application/json"},
            )
            assert proposed.status == 201, proposed.text
            _press(_link_labelled(stack, AUTHOR, "Confirmer"))
            yield stack


def _outbox_json(stack: LocalStack, to: str) -> list[dict[str, Any]]:
    return list(call("GET", f"{stack.url}/_local/outbox.json?{urlencode({'to': to})}").json())


def _link_labelled(stack: LocalStack, to: str, action_label: str) -> str:
    for mail in _outbox_json(stack, to):
        for link in mail["link_details"]:
            if link["label"] == f"{action_label} — {to}":
                return str(link["url"])
    raise AssertionError(f"no link {action_label!r} for {to}")


def _press(link: str) -> Reply:
    """Open the link's page as its reader does, then press its form's button with the form's fields."""
    page = call("GET", link, headers=HTML)
    assert page.status == 200, page.text
    form = re.search(r'<form[^>]*method="post"[^>]*>(.*?)</form>', page.text, re.S)
    assert form is not None, page.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1)))
    pressed = call("POST", link, body=urlencode(fields).encode(), headers=FORM)
    assert pressed.status in (200, 303), pressed.text
    return pressed


def test_each_link_of_a_mail_is_shown_by_its_action_and_its_reader(console_stack: LocalStack) -> None:
    # Given a proposal confirmed by its author, When a developer opens the director's outbox
    page = call("GET", f"{console_stack.url}/_local/outbox?{urlencode({'to': DIRECTOR})}", headers=HTML).text

    # Then each link of the mail "À décider" says what it does and for whom, not its token
    for label in ("Approuver", "Rejeter", "Demander des modifications", "Modifier"):
        assert f">{label} — {DIRECTOR}</a>" in page
    # And scripts read the same in the JSON, beside the links they always had
    (mail,) = [m for m in _outbox_json(console_stack, DIRECTOR) if "À décider" in m["subject"]]
    details = {link["action"]: link for link in mail["link_details"]}
    assert {"approve", "reject", "request_changes", "edit"} <= set(details)
    assert details["approve"]["reader"] == DIRECTOR and details["approve"]["url"] in mail["links"]
    assert [link["url"] for link in mail["link_details"]] == mail["links"]
    assert {"to", "subject", "text", "html", "links"} <= set(mail)


def test_a_link_named_approve_does_approve_for_that_approver(console_stack: LocalStack) -> None:
    # Given the link the console names "Approuver — director@example.org"
    link = _link_labelled(console_stack, DIRECTOR, "Approuver")
    # When it is opened and pressed, Then the director's approval is counted
    _press(link)
    (proposal,) = call("GET", f"{console_stack.url}/_local/proposals.json").json()
    assert DIRECTOR in str(proposal["votes"])


def test_the_outbox_is_filtered_by_recipient_with_a_form(console_stack: LocalStack) -> None:
    page = call("GET", f"{console_stack.url}/_local/outbox", headers=HTML).text
    # The form asks for a recipient and sends it as ?to=, suggesting the approvers
    assert '<form method="get" action="/_local/outbox"' in page
    assert 'name="to"' in page and '<option value="deputy1@example.org">' in page

    only = call("GET", f"{console_stack.url}/_local/outbox?{urlencode({'to': AUTHOR})}", headers=HTML).text
    assert f"Seulement les messages à {AUTHOR}" in only
    assert "À décider" not in only and "Confirmez" in only


def test_times_are_in_the_stacks_zone_to_the_second(console_stack: LocalStack) -> None:
    page = call("GET", f"{console_stack.url}/_local/outbox", headers=HTML).text
    shown = re.findall(r"<time datetime=\"([^\"]+)\">([^<]+)</time>", page)
    assert shown
    for machine, person in shown:
        assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d \(heure de Paris\)", person), person
        assert not re.search(r"\.\d{6}", machine + person)


def test_the_index_says_the_path_to_follow_with_its_links_in_order(console_stack: LocalStack) -> None:
    page = call("GET", f"{console_stack.url}/_local/", headers=HTML).text
    path = page[page.index('<ol class="path">') : page.index("</ol>")]
    steps = [
        "/proposals/new",
        "/_local/outbox",
        "Confirmer",
        "Approuver",
        "/_local/publish",
        "/_local/timeline",
    ]
    positions = [path.index(step) for step in steps]
    assert positions == sorted(positions)


def test_the_runs_are_buttons_and_a_dry_run_shows_what_would_go_out(console_stack: LocalStack) -> None:
    page = call("GET", f"{console_stack.url}/_local/outbox", headers=HTML).text
    for action, button in (
        ("/_local/publish", "Lancer la publication du matin"),
        ("/_local/publish?dry_run=true", "Essai à blanc"),
        ("/_local/digest", "Envoyer le récapitulatif du matin"),
    ):
        assert re.search(
            rf'<form class="inline" method="post" action="{re.escape(action)}"><button[^>]*>{button}', page
        )

    dry = call("POST", f"{console_stack.url}/_local/publish?dry_run=true", headers=HTML)
    assert dry.status == 200
    assert "<h1>Essai à blanc de la publication du matin</h1>" in dry.text
    assert "rien n'a été publié ni changé" in dry.text

    digest = call("POST", f"{console_stack.url}/_local/digest", headers=HTML)
    assert digest.status == 303 and digest.headers["Location"] == "/_local/outbox"


def test_a_raw_mail_pasted_in_the_form_is_received_as_ses_would_deliver_it(console_stack: LocalStack) -> None:
    before = len(call("GET", f"{console_stack.url}/_local/inbound.json").json())
    page = call("GET", f"{console_stack.url}/_local/inbound", headers=HTML).text
    assert '<textarea id="raw_message" name="raw_message"' in page

    raw = (
        "From: Agent Dupont <agent.dupont@example.org>\nTo: propositions@example.org\n"
        "Subject: [conseil] Vélos\n\nAttachez votre vélo par le cadre.\n"
    )
    pasted = call(
        "POST",
        f"{console_stack.url}/_local/inbound",
        body=urlencode({"raw_message": raw}).encode(),
        headers=FORM,
    )

    assert pasted.status == 303 and pasted.headers["Location"] == "/_local/inbound"
    received = call("GET", f"{console_stack.url}/_local/inbound.json").json()
    assert len(received) == before + 1 and received[0]["outcome"] == "accepted"


@pytest.mark.parametrize(
    "sender",
    [
        "Agent Dupont <agént@example.org>",
        "Agént Dupônt <agent@example.org>",
        "=?utf-8?q?Ag=C3=A9nt?= <agent@example.org>",
    ],
)
def test_a_sender_outside_ascii_gets_a_clear_answer_not_a_500(console_stack: LocalStack, sender: str) -> None:
    raw = f"From: {sender}\r\nTo: propositions@example.org\r\nSubject: Test\r\n\r\nUn texte.\r\n".encode()
    answer = call(
        "POST", f"{console_stack.url}/_local/inbound", body=raw, headers={"Content-Type": "message/rfc822"}
    )
    assert answer.status == 200, answer.text
    (outcome,) = answer.json()["outcomes"]
    assert outcome["outcome"] in ("accepted", "refused")
    if outcome["outcome"] == "refused":
        assert outcome["detail"]


@pytest.mark.parametrize("path", PAGES)
def test_every_console_page_is_framed_for_people_with_the_headers_of_a_private_page(
    console_stack: LocalStack, path: str
) -> None:
    answer = call("GET", f"{console_stack.url}{path}", headers=HTML)
    assert answer.status == 200
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers[name] == value
    assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")
    page = answer.text
    assert '<html lang="fr">' in page and page.count("<main>") == 1 and page.count("<h1>") == 1
    assert 'class="exposed"' not in page  # on 127.0.0.1, no warning
