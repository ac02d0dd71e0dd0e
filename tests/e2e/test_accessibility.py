"""Accessibility as a test: axe-core on every page a person reaches through the usual flow, in French and
in English, at desktop width and on a 375 px phone, finds nothing; no page scrolls sideways at 320 px;
after a failed submit the focus is on the list of what to fix, in the order of the fields.

`make test` runs a sample of the matrix (each page once in French at desktop width, once in English on a
phone); `POSTDESK_A11Y_FULL=1` (`make soak`) runs all of it."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
NARROWEST = {"width": 320, "height": 640}
FULL = os.environ.get("POSTDESK_A11Y_FULL") == "1"
MATRIX = (
    [(lang, size) for lang in ("fr", "en") for size in (DESKTOP, PHONE)]
    if FULL
    else [("fr", DESKTOP), ("en", PHONE)]
)


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    # axe is injected into the page: the pages' CSP (script-src 'self') would refuse it otherwise
    opened = browser.new_context(bypass_csp=True)
    try:
        yield opened
    finally:
        opened.close()


def _links_of(mail: dict[str, Any]) -> dict[str, str]:
    """{visible text: url} of a mail's links, read from its text part ("label : url")."""
    found = {}
    for line in mail["text"].splitlines():
        label, colon, url = line.partition(":")
        if colon and url.strip().startswith("http"):
            found[label.rstrip(" \u00a0")] = url.strip()
    return found


def _mail(stack: RunningStack, to: str, subject_has: str) -> dict[str, Any]:
    mails = [m for m in stack.outbox() if to in m["to"] and subject_has.lower() in m["subject"].lower()]
    assert mails, f"no mail to {to} about {subject_has!r}"
    return mails[0]


def _with_language(url: str, language: str) -> str:
    url = re.sub(r"[?&]lang=en", "", url)
    if language == "fr":
        return url
    return url + ("&" if "?" in url else "?") + "lang=en"


def _audit(page: Any, url: str, size: dict[str, int]) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    page.set_viewport_size(size)
    page.goto(url)
    results = Axe().run(page)
    problems = [
        f"{violation['id']}: {violation['help']} ({len(violation['nodes'])}x, e.g. {violation['nodes'][0]['html'][:120]})"
        for violation in results.response["violations"]
    ]
    page.set_viewport_size(NARROWEST)
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > NARROWEST["width"]:
        problems.append(f"scrolls sideways at 320 px ({width} px wide)")
    return problems


def _pages(stack: RunningStack, page: Any) -> dict[str, str]:
    """Walk the usual flow once and collect the address of every page a person reaches on it."""
    base = stack.url
    pages = {"form": f"{base}/proposals/new"}
    text = "Prévention : ne laissez rien de visible dans votre voiture (https://www.example.org/conseils)."
    page.goto(pages["form"])
    page.get_by_label("Texte de la publication").fill(text)
    page.get_by_label("Type de publication").select_option("advice")
    page.get_by_label("Votre adresse de travail").fill("agent.a11y@example.org")
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer la proposition").click()
    pages["sent"] = page.url
    confirm = _links_of(_mail(stack, "agent.a11y@example.org", "Confirmez"))["Confirmer"]
    pages["confirm"] = confirm
    page.goto(confirm)  # opened, then pressed, as the proposer does
    page.get_by_role("button", name="Confirmer").click()
    page.get_by_role("heading", name="Proposition confirmée").wait_for()
    pending = _links_of(_mail(stack, "agent.a11y@example.org", "Transmise"))
    pages["follow"] = pending["Suivre ma proposition"]
    pages["withdraw"] = pending["Retirer"]
    review = _links_of(_mail(stack, "director@example.org", "À décider"))
    pages["approve"] = review["Approuver"]
    pages["reject"] = review["Rejeter"]
    pages["request_changes"] = review["Demander des modifications"]
    pages["edit"] = review["Modifier"]
    pages["desk"] = review["Bureau des décideurs"]
    proposal_id = next(p["id"] for p in stack.proposals() if p["text"] == text)
    pages["desk_proposal"] = pages["desk"] + f"?p={proposal_id}"
    return pages


def test_every_page_of_the_flow_passes_axe_in_french_and_english_on_desktop_and_phone(
    local_stack: RunningStack, context: Any
) -> None:
    # Given every page a proposer and an approver reach through the usual flow
    page = context.new_page()
    page.set_default_timeout(20_000)
    pages = _pages(local_stack, page)

    # When axe-core looks at each, in each language and width of the matrix
    problems = {}
    for name, url in pages.items():
        for language, size in MATRIX:
            found = _audit(page, _with_language(url, language), size)
            if found:
                problems[f"{name} {language} {size['width']}px"] = found

    # Then it finds nothing
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


def test_after_a_failed_submit_the_focus_is_on_what_to_fix_in_the_fields_order(
    local_stack: RunningStack, context: Any
) -> None:
    page = context.new_page()
    # Given the English form, sent with a missing text, a call for witnesses without a reference, and an
    # address outside the organisation
    page.goto(f"{local_stack.url}/proposals/new?lang=en")
    page.get_by_label("Kind of post").select_option("witness_appeal")
    page.get_by_label("Your work email address").fill("someone@gmail.com")
    with page.expect_navigation():
        page.get_by_role("button", name="Send the proposal").click()
    # Then the list of what to fix has the focus, and lists the fields in the page's order
    page.wait_for_function("document.activeElement && document.activeElement.id === 'errors'")
    listed = page.locator("#errors li a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    order = page.locator("form [id]").evaluate_all("nodes => nodes.map(n => '#' + n.id)")
    positions = [order.index(href) for href in listed if href in order]
    assert len(positions) >= 3 and positions == sorted(positions), listed
    # And it is what axe accepts too
    from axe_playwright_python.sync_playwright import Axe

    assert Axe().run(page).response["violations"] == []


def test_the_form_shows_the_post_as_x_will_show_it_while_typing(
    local_stack: RunningStack, context: Any
) -> None:
    page = context.new_page()
    page.goto(f"{local_stack.url}/proposals/new")
    # When a colleague types a text with a long link
    page.get_by_label("Texte de la publication").fill(
        "Nos conseils : https://www.example.org/prevention/cambriolages/2026/vacances"
    )
    # Then the preview shows it as X does: the link without its scheme, cut, and the count counts it 23
    preview = page.locator("#text-preview")
    preview.wait_for()
    assert preview.inner_text() == "Nos conseils : example.org/prevention…"
    assert page.locator("#text-count").inner_text() == "38 / 280"


def test_every_page_of_the_dev_console_passes_axe_and_fits_a_phone(
    local_stack: RunningStack, context: Any
) -> None:
    # Given a stack whose outbox holds a mail with its long signed links
    body = json.dumps(
        {
            "text": "Conseil : verrouillez votre vélo.",
            "kind": "advice",
            "proposer_email": "agent.console@example.org",
        }
    ).encode()
    local_stack.post("/proposals", body)
    page = context.new_page()
    page.set_default_timeout(20_000)
    pages = {
        "index": "/_local/",
        "outbox": "/_local/outbox",
        "outbox for one": "/_local/outbox?to=agent.console%40example.org",
        "inbound": "/_local/inbound",
        "timeline": "/_local/timeline",
    }
    # When axe-core looks at each console page, and at the page a dry run leads to
    problems = {}
    for name, path in pages.items():
        found = _audit(page, f"{local_stack.url}{path}", DESKTOP)
        if found:
            problems[name] = found
    page.set_viewport_size(DESKTOP)
    page.goto(f"{local_stack.url}/_local/outbox")
    assert page.get_by_role("link", name="Confirmer — agent.console@example.org").count() == 1
    with page.expect_navigation():
        page.get_by_role("button", name="Essai à blanc : ce qui partirait").click()
    page.get_by_role("heading", name="Essai à blanc de la publication du matin").wait_for()
    from axe_playwright_python.sync_playwright import Axe

    dry_run = Axe().run(page).response["violations"]
    if dry_run:
        problems["dry run"] = [violation["id"] for violation in dry_run]

    # Then it finds nothing, and no page scrolls sideways at 320 px
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)
