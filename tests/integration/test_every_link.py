"""Every link of every mail opens for its reader: a day of the usual flows (proposals in French and in
English, confirmations, approvals, a veto, changes asked and made, a withdrawal, an urgent call for
witnesses, the digest, a morning run, a post X refused), then each link of each mail is opened (GET) as
its reader would, and pressed (POST) when its page has a form. Nothing answers 5xx; every page speaks
the mail's language; a page either holds its one form, only shows, or says clearly, in that language,
why the link can't be used (it was pressed already, the text changed since...)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from urllib.parse import urlencode

import pytest

from tests.integration.conftest import APPROVERS, BASE_URL, Stack
from tests.integration.fake_x import DUPLICATE, Answer, FakeX
from tests.integration.publishing_steps import run_publish, x_fixture  # noqa: F401 - a fixture
from tests.integration.review_steps import (
    DEPUTY1,
    DEPUTY2,
    DIRECTOR,
    last_mail,
    link_in,
    pending_proposal,
    press,
    review_link,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
# What a person types in the page's one field, by the field's name.
TYPED = {
    "reason": "Pas maintenant.",
    "comment": "Précisez l'heure.",
    "text": "Texte revu : fermez à clé.",
    "url": "https://x.com/police_demo/status/1800000000000000009",
}
# What no link of this day may answer: each reader opens their own, genuine, links.
NEVER_SAID = (
    "ne fait plus partie des décideurs",
    "is no longer an approver",
    "n'est pas valide",
    "is not valid",
    "n'est pas celui de l'auteur",
    "not the author's",
)
LANG = re.compile(r'<html lang="(fr|en)">')
H1 = re.compile(r"<h1[^>]*>([^<]+)</h1>")


def _a_day_of_flows(stack: Stack, x: FakeX) -> None:
    # A prevention post approved, a solved case with two approvals, one vetoed, one sent back and edited,
    # one withdrawn, one confirmed in English, an urgent call for witnesses
    approved = pending_proposal(stack, text="Prévention : fermez votre voiture.")
    press(stack, review_link(stack, DIRECTOR, "Approuver"))
    solved = pending_proposal(stack, text="Affaire résolue : trois interpellations.", kind="solved_case")
    for approver in (DIRECTOR, DEPUTY1):
        press(stack, review_link(stack, approver, "Approuver"))
    vetoed = pending_proposal(stack, text="Conseil : méfiez-vous des faux policiers.", kind="advice")
    press(stack, review_link(stack, DEPUTY2, "Rejeter"), {"reason": "Déjà publié la semaine dernière."})
    sent_back = pending_proposal(stack, text="Recrutement : rejoignez-nous.", kind="recruitment")
    press(stack, review_link(stack, DEPUTY1, "Demander des modifications"), {"comment": "Ajoutez le lien."})
    press(
        stack,
        link_in(last_mail(stack, "agent.dupont@example.org", "Modifications demandées"), "Modifier"),
        {"text": "Recrutement : rejoignez-nous sur https://www.example.org/recrutement"},
    )
    withdrawn = pending_proposal(
        stack, text="Service à l'honneur : la brigade fluviale.", kind="service_focus"
    )
    press(stack, link_in(last_mail(stack, "agent.dupont@example.org", "Transmise"), "Retirer"))
    created = stack.post_json(
        "/proposals",
        {"text": "Advice: lock your bike.", "kind": "advice", "proposer_email": "agent.smith@example.org"},
        query={"lang": "en"},
    )
    press(stack, link_in(last_mail(stack, "agent.smith@example.org", "Confirm"), "Confirm"))
    pending_proposal(
        stack,
        proposer_email="agent.leroy@example.org",
        text="Appel à témoins : disparition inquiétante.",
        kind="witness_appeal",
        urgent=True,
        prosecutor_reference="PR-2026-1",
    )
    assert {approved, solved, vetoed, sent_back, withdrawn, created.json()["id"]}
    # The digest, then a morning run where X refuses one post as a duplicate
    from postdesk.handlers.digest import lambda_handler as digest
    from tests.integration.conftest import Context

    stack.now += timedelta(days=1)
    digest({"scheduled_time": stack.now.isoformat().replace("+00:00", "Z")}, Context())
    x.next_posts.append(Answer(403, DUPLICATE))
    run_publish()


def test_every_link_of_every_mail_opens_for_its_reader_in_the_mails_language(stack: Stack, x: FakeX) -> None:
    # Given a day of the usual flows
    _a_day_of_flows(stack, x)
    mails = stack.mails()
    assert len(mails) > 20

    # When each link of each mail is opened, then pressed when its page has a form
    outcomes: Counter[str] = Counter()
    for mail in mails:
        language = LANG.search(mail.html)
        assert language, mail.subject
        for url in mail.links:
            if not url.startswith(BASE_URL):  # a link the proposal's own text holds, not one of ours
                continue
            path, query = stack.path_of(url)
            page = stack.request("GET", path, query=query)
            # Then nothing fails, and the page speaks the mail's language
            assert page.status < 500, (mail.subject, url, page.body)
            assert f'<html lang="{language.group(1)}">' in page.body, (mail.subject, page.status)
            forms = page.body.count('<form method="post"')
            if page.status == 200 and forms == 1:
                field = re.search(r'<textarea id="(\w+)" name="\w+"', page.body)
                fields = {field.group(1): TYPED[field.group(1)]} if field else {}
                pressed = stack.request("POST", path, query=query, body=urlencode(fields), headers=FORM)
                assert pressed.status < 500, (mail.subject, url, pressed.body)
                assert f'<html lang="{language.group(1)}">' in pressed.body
                outcomes[f"pressed {pressed.status}"] += 1
            elif page.status == 200:
                assert forms == 0, (mail.subject, "a page with several forms")
                assert H1.search(page.body), (mail.subject, "a page that shows nothing")
                outcomes["shows"] += 1
            else:
                # A link that can no longer act says why, in words of the mail's language
                heading = H1.search(page.body)
                assert heading, (mail.subject, page.status)
                assert "Error" not in heading.group(1) or language.group(1) == "en"
                # ...and only for what really happened: nobody here was removed from the approvers, no
                # link was altered, and each reader opened their own links
                for wrong in NEVER_SAID:
                    assert wrong not in page.body, (mail.subject, url, page.body)
                outcomes[f"refused {page.status}"] += 1
    assert outcomes["shows"] > 0 and sum(n for k, n in outcomes.items() if k.startswith("pressed")) > 0


def test_a_day_of_ten_proposals_sends_each_approver_one_mail_per_version_and_the_digest(stack: Stack) -> None:
    # Given ten proposals through the usual flow: confirmed, decided (approved, rejected, sent back and
    # edited once), nothing asked of the approvers beyond deciding
    for number in range(10):
        proposer = f"agent.{number}@example.org"  # ten colleagues, each with one proposal
        pending_proposal(
            stack, text=f"Conseil n°{number} : fermez à clé.", kind="advice", proposer_email=proposer
        )
        if number % 3 == 0:
            press(stack, review_link(stack, DIRECTOR, "Rejeter"), {"reason": "Trop proche d'un autre."})
        elif number % 3 == 1:
            press(
                stack, review_link(stack, DEPUTY1, "Demander des modifications"), {"comment": "Plus court."}
            )
            press(
                stack,
                link_in(last_mail(stack, proposer, "Modifications demandées"), "Modifier"),
                {"text": f"Conseil n°{number} : à clé."},
            )
            press(stack, review_link(stack, DEPUTY2, "Approuver"))
        else:
            press(stack, review_link(stack, DEPUTY2, "Approuver"))
    from postdesk.handlers.digest import lambda_handler as digest
    from tests.integration.conftest import Context

    stack.now += timedelta(days=1)
    digest({"scheduled_time": stack.now.isoformat().replace("+00:00", "Z")}, Context())

    # Then each approver got one mail per proposal version to decide (10 proposals, 3 edited: 13), plus
    # the digest, and nothing else
    for approver in APPROVERS:
        subjects = [m.subject for m in stack.mails_to(approver)]
        to_decide = [s for s in subjects if s.startswith("À décider")]
        assert len(to_decide) == 13, subjects
        assert len(subjects) <= 13 + 1, subjects


@pytest.mark.parametrize("setting", ["all"])
def test_approvers_who_ask_for_every_decision_get_them(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    from tests.integration.publishing_steps import use_environment

    monkeypatch.setenv("APPROVER_NOTIFICATIONS", setting)
    use_environment(stack)
    pending_proposal(stack, text="Prévention : fermez à clé.")
    press(stack, review_link(stack, DIRECTOR, "Rejeter"), {"reason": "Non."})
    for approver in (DEPUTY1, DEPUTY2):
        assert last_mail(stack, approver, "Rejetée")
