"""A colleague proposes a post: through the form or the JSON API, then confirms it by mail."""

from __future__ import annotations

import base64

from tests.integration.conftest import Stack

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _proposal(**overrides: object) -> dict[str, object]:
    return {
        "text": "Fermez votre voiture à clé, même pour 2 minutes !",
        "kind": "prevention",
        "proposer_email": "agent.dupont@example.org",
        **overrides,
    }


def test_a_json_proposal_is_stored_awaiting_confirmation_and_mails_a_link(stack: Stack) -> None:
    # When a colleague proposes a post through the JSON API
    answer = stack.post_json("/proposals", _proposal())
    # Then it is stored, awaiting confirmation
    assert answer.status == 201
    created = answer.json()
    assert created["status"] == "AWAITING_CONFIRMATION"
    assert stack.proposal(created["id"]).status.value == "AWAITING_CONFIRMATION"
    # And the proposer gets one mail, text and HTML, with a confirmation link
    mails = stack.mails_to("agent.dupont@example.org")
    assert len(mails) == 1
    assert mails[0].text and mails[0].html
    assert "Fermez votre voiture" in mails[0].text
    assert len(mails[0].links) == 1 and mails[0].links[0].startswith("https://postdesk.example.org/l/")
    assert ">Confirmer</a>" in mails[0].html


def test_opening_the_confirmation_link_changes_nothing_and_pressing_confirm_makes_it_pending(
    stack: Stack,
) -> None:
    created = stack.post_json("/proposals", _proposal()).json()
    path, query = stack.path_of(stack.mails_to("agent.dupont@example.org")[0].links[0])
    # When the proposer (or a mail scanner) opens the link
    page = stack.request("GET", path, query=query)
    # Then the page shows the post and one form with a button, and nothing changed
    assert page.status == 200
    assert page.body.count('<form method="post"') == 1
    assert "Confirmer</button>" in page.body
    assert "Fermez votre voiture à clé" in page.body
    assert stack.proposal(created["id"]).status.value == "AWAITING_CONFIRMATION"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    # When they press the button
    done = stack.request(
        "POST", path, query=query, headers={"Content-Type": "application/x-www-form-urlencoded"}, body=""
    )
    # Then the proposal is PENDING, and the audit log says who confirmed it through which link
    assert done.status == 200
    assert stack.proposal(created["id"]).status.value == "PENDING"
    actions = [(e.action, e.actor) for e in stack.audit(created["id"])]
    assert ("confirmed", "agent.dupont@example.org") in actions
    assert actions[0] == ("submitted", "agent.dupont@example.org")


def test_a_confirmation_link_acts_only_once(stack: Stack) -> None:
    created = stack.post_json("/proposals", _proposal()).json()
    path, _ = stack.path_of(stack.mails_to("agent.dupont@example.org")[0].links[0])
    stack.request("POST", path, body="", headers={"Content-Type": "application/x-www-form-urlencoded"})
    # When the same link is posted again
    again = stack.request(
        "POST", path, body="", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    # Then it is refused clearly and the proposal is still PENDING with one confirmation
    assert again.status == 409
    assert "Cette proposition a déjà été confirmée." in again.body
    assert [e.action for e in stack.audit(created["id"])].count("confirmed") == 1


def test_a_forged_or_tampered_link_is_refused_with_a_clear_page(stack: Stack) -> None:
    created = stack.post_json("/proposals", _proposal()).json()
    path, _ = stack.path_of(stack.mails_to("agent.dupont@example.org")[0].links[0])
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    for bad in (tampered, "/l/not-a-token", "/l/eyJhIjoiYiJ9.c2ln"):
        page = stack.request("GET", bad)
        assert page.status == 403, bad
        assert "postdesk" in page.body
        posted = stack.request(
            "POST", bad, body="", headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert posted.status == 403
    assert stack.proposal(created["id"]).status.value == "AWAITING_CONFIRMATION"


def test_a_link_past_its_expiry_is_refused_and_the_proposal_expires(stack: Stack) -> None:
    from datetime import timedelta

    created = stack.post_json("/proposals", _proposal()).json()
    path, _ = stack.path_of(stack.mails_to("agent.dupont@example.org")[0].links[0])
    # Given the proposer waited past the confirmation time
    stack.now += timedelta(hours=73)
    # When they press confirm
    answer = stack.request(
        "POST", path, body="", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    # Then the link is refused as expired and nothing moves to PENDING
    assert answer.status == 403
    assert "a expiré" in answer.body
    assert stack.proposal(created["id"]).status.value == "AWAITING_CONFIRMATION"


def test_the_web_form_posts_multipart_with_images_and_answers_check_your_mailbox(stack: Stack) -> None:
    # When a colleague fills the form with an image and its alt text
    answer = stack.post_form(
        "/proposals",
        {
            "text": 'Recrutement : rejoignez-nous ! <3 & "merci"',
            "kind": "recruitment",
            "proposer_email": "agent.martin@example.org",
            "alt_1": "Deux agents devant le commissariat",
        },
        files={"image_1": ("photo.png", "image/png", PNG)},
    )
    # Then the answer sends the browser on to a page (POST, then GET: a refresh sends nothing twice)
    assert answer.status == 303
    path, query = stack.path_of(answer.headers["location"])
    page = stack.request("GET", path, query=query)
    # Which says to check the mailbox, shows what was sent, the image's description in plain sight
    assert page.status == 200 and "Vérifiez votre boîte mail" in page.body
    assert "agent.martin@example.org" in page.body
    assert "Deux agents devant le commissariat</figcaption>" in page.body
    assert "Proposer une autre publication" in page.body
    mail = stack.mails_to("agent.martin@example.org")[0]
    # And the user's text is escaped in the HTML mail, plain in the text mail
    assert "&lt;3 &amp; &#34;merci&#34;" in mail.html or "&lt;3 &amp; &quot;merci&quot;" in mail.html
    assert '<3 & "merci"' in mail.text


def test_the_form_page_is_french_by_default_and_english_on_request(stack: Stack) -> None:
    french = stack.request("GET", "/proposals/new")
    english = stack.request("GET", "/proposals/new", query={"lang": "en"})
    assert french.status == english.status == 200
    assert '<html lang="fr">' in french.body and "Proposer une publication" in french.body
    assert '<html lang="en">' in english.body and "Propose a post" in english.body
    assert 'enctype="multipart/form-data"' in french.body


def test_a_head_request_is_answered_as_the_get_of_the_same_address(stack: Stack) -> None:
    # Given API Gateway's ANY method, which hands a HEAD on as it came (link checkers and monitors send them)
    # When the form's address and an unknown one are asked for with HEAD
    form = stack.request("HEAD", "/proposals/new", query={"lang": "en"})
    unknown = stack.request("HEAD", "/no-such-page")
    # Then each answers as its GET does (the HTTP layer in front drops the body)
    assert form.status == 200 and form.headers["content-type"].startswith("text/html")
    assert "Propose a post" in form.body
    assert unknown.status == stack.request("GET", "/no-such-page").status == 404


def test_openapi_describes_the_routes(stack: Stack) -> None:
    answer = stack.request("GET", "/openapi.json")
    assert answer.status == 200
    paths = answer.json()["paths"]
    assert "/proposals" in paths and "post" in paths["/proposals"]


def _form_token(stack: Stack) -> str:
    import re

    form = stack.request("GET", "/proposals/new").body
    match = re.search(r'name="form_token" value="([^"]+)"', form)
    assert match, "the form carries no one-time token"
    return match.group(1)


def test_the_same_form_sent_twice_makes_one_proposal(stack: Stack) -> None:
    from postdesk.handlers.wiring import get_services

    # Given the form, opened once, filled and sent
    fields = {
        "text": "Soirée portes ouvertes au commissariat",
        "kind": "recruitment",
        "proposer_email": "agent.martin@example.org",
        "form_token": _form_token(stack),
    }
    first = stack.post_form("/proposals", fields)
    # When it is sent again (a double click, a retry after a lost answer, the browser's back and resend)
    again = stack.post_form("/proposals", fields)
    # Then the second answer leads to the first proposal's page, and nothing new is stored or mailed
    assert first.status == again.status == 303
    assert len(list(get_services().store.all())) == 1
    assert len(stack.mails_to("agent.martin@example.org")) == 1
    first_page = stack.request("GET", *stack.path_of(first.headers["location"])[:1]).body
    again_page = stack.request("GET", *stack.path_of(again.headers["location"])[:1]).body
    assert "Soirée portes ouvertes" in first_page and "Soirée portes ouvertes" in again_page
