"""The morning digest as the directors' agenda, read on a phone: a realistic morning through `postdesk
local` (proposals waiting for each approver, a solved case waiting for its second approval, six approved
posts for a cap of three, one under embargo, one not yet confirmed), then the director's digest rendered
in Chromium at 375 px: every post to decide is whole with its own action links beside it, and every
approved, embargoed and waiting post is named."""

from __future__ import annotations

import json
import os
import re
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e

FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}


def _request(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(
        url, data=data, method="POST" if data is not None else "GET", headers=headers or {}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _mails(stack: RunningStack, to: str) -> list[dict[str, Any]]:
    return list(stack.get_json(f"/_local/outbox.json?to={urllib.parse.quote(to)}&limit=500"))


def _link(mail: dict[str, Any], label: str) -> str:
    for line in mail["text"].splitlines():
        name, colon, url = line.partition(":")
        if colon and name.rstrip(" \u00a0") == label and url.strip().startswith("http"):
            return url.strip()
    raise AssertionError(f"no {label!r} link in {mail['subject']!r}")


def _press(url: str, fields: dict[str, str] | None = None) -> None:
    """Open the link's page, then press its one button, as a person does."""
    status, page = _request(url, headers={"Accept": "text/html"})
    assert status == 200 and page.count('<form method="post"') == 1, page
    status, done = _request(url, urllib.parse.urlencode(fields or {}).encode(), FORM)
    assert status == 200, done


def _propose(stack: RunningStack, text: str, proposer: str, *, confirm: bool = True, **fields: Any) -> None:
    body = json.dumps({"text": text, "kind": "advice", "proposer_email": proposer, **fields}).encode()
    status, answer = _request(
        f"{stack.url}/proposals", body, {"Content-Type": "application/json", "Accept": "application/json"}
    )
    assert status == 201, answer
    if confirm:
        mail = next(
            m for m in _mails(stack, proposer) if text[:30] in m["text"] and "Confirmez" in m["subject"]
        )
        _press(_link(mail, "Confirmer"))


def _approve(stack: RunningStack, approver: str, text: str) -> None:
    mail = next(m for m in _mails(stack, approver) if text[:30] in m["text"] and "décider" in m["subject"])
    _press(_link(mail, "Approuver"))


def test_the_directors_digest_on_a_phone_shows_each_post_with_its_actions_and_names_every_held_post(
    local_stack: RunningStack, browser: Any
) -> None:
    # Given a realistic morning: two posts waiting for the director's decision...
    waiting = [
        "Conseil : signalez vos absences pour l'opération Tranquillité vacances.",
        "Recrutement : la réserve opérationnelle recrute, renseignez-vous au commissariat.",
    ]
    for number, text in enumerate(waiting):
        _propose(local_stack, text, f"agent.w{number}@example.org")
    # ...a solved case with one approval of two (judicial)...
    solved = "Affaire résolue : l'auteur des vols de vélos du centre-ville a été interpellé."
    _propose(local_stack, solved, "agent.s@example.org", kind="solved_case")
    _approve(local_stack, "deputy1@example.org", solved)
    # ...six approved posts for a cap of three per morning...
    approved = [
        f"Prévention n°{number} : verrouillez votre véhicule, même pour deux minutes." for number in range(6)
    ]
    for number, text in enumerate(approved):
        _propose(local_stack, text, f"agent.a{number}@example.org")
        _approve(local_stack, "deputy2@example.org", text)
    # ...one approved under an embargo of three days...
    embargo = "Service à l'honneur : la brigade fluviale présente ses nouveaux bateaux."
    not_before = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:00+00:00")
    _propose(local_stack, embargo, "agent.e@example.org", kind="service_focus", not_before=not_before)
    _approve(local_stack, "deputy2@example.org", embargo)
    # ...and one its author has not confirmed yet
    unconfirmed = "Conseil : méfiez-vous des faux démarcheurs qui se disent policiers."
    _propose(local_stack, unconfirmed, "agent.u@example.org", confirm=False)

    # When the morning digest is sent
    status, _ = _request(f"{local_stack.url}/_local/digest", b"", {"Accept": "application/json"})
    assert status == 200
    digest = next(
        m for m in _mails(local_stack, "director@example.org") if m["subject"].startswith("Bulletin du")
    )

    # And the director reads it on a phone
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.set_content(digest["html"])
    if os.environ.get("POSTDESK_SCREENSHOTS"):  # for a person to look at (not kept in the repository)
        page.screenshot(
            path=os.path.join(os.environ["POSTDESK_SCREENSHOTS"], "digest-375.png"), full_page=True
        )
        with open(os.path.join(os.environ["POSTDESK_SCREENSHOTS"], "digest.txt"), "w") as out:
            out.write(digest["text"])
    try:
        # Then every post to decide is whole, with its own action links right after it, each naming it
        blocks = page.locator("div").filter(has=page.get_by_role("link", name=re.compile("^Approuver")))
        texts = {text: None for text in [*waiting, solved]}
        for index in range(blocks.count()):
            block = blocks.nth(index)
            inner = block.inner_text()
            for text in texts:
                if text in inner:
                    links = block.get_by_role("link").all_inner_texts()
                    assert any(link.startswith("Approuver") and text[:20] in link for link in links), links
                    assert any(link.startswith("Rejeter") for link in links), links
                    texts[text] = True
        assert all(texts.values()), texts
        # And the solved case says it waits for its second approval, and is judicial
        body = page.inner_text("body")
        assert "1 accord sur 2" in body and "risque judiciaire" in body
        # And every approved, embargoed and waiting post is named, with when it goes out
        for text in [*approved, embargo, unconfirmed]:
            assert text in body, text
        assert body.count("Partira le") == 3  # the three the cap leaves for the next mornings
        assert "Embargo jusqu'au" in body
        assert "Attend la confirmation de son auteur" in body
        # And nothing on it is wider than the phone
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        context.close()
