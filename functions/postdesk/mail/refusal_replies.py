"""The reply to a mail that could not become a proposal: each problem, what to do, in French and then
in English (the sender's language is not known; the organisation's comes first)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from postdesk.mail.compose import compose, excerpt

if TYPE_CHECKING:
    from collections.abc import Sequence

    from postdesk.domain.mail import Mail
    from postdesk.inbound_mail.problems import MailProblem
    from postdesk.services import Services

_WORDING = {
    "fr": {
        "subject": "Proposition non enregistrée",
        "intro": "Votre message « {subject} » n'est pas devenu une proposition de publication :",
        "intro_no_subject": "Votre message n'est pas devenu une proposition de publication :",
        "retry": "Corrigez-le et renvoyez-le{to}, ou proposez la publication par le formulaire : {form}",
        "outsider": "Si vous êtes un collègue, écrivez depuis votre adresse de travail.",
        "read": "Le texte lu dans votre message :",
    },
    "en": {
        "subject": "Proposal not recorded",
        "intro": "Your message “{subject}” did not become a proposed post:",
        "intro_no_subject": "Your message did not become a proposed post:",
        "retry": "Fix it and send it again{to}, or propose the post with the form: {form}",
        "outsider": "If you are a colleague, write from your work address.",
        "read": "The text read from your message:",
    },
}


def _paragraphs(
    language: str, problems: Sequence[MailProblem], subject: str, text: str, submission: str, form: str
) -> list[str]:
    w = _WORDING[language]
    paragraphs = [w["intro"].format(subject=subject) if subject else w["intro_no_subject"]]
    paragraphs += [f"• {problem.says(language)}" for problem in problems]
    if any(problem.code == "sender_not_allowed" for problem in problems):
        paragraphs.append(w["outsider"])
    else:
        to = (" à " if language == "fr" else " to ") + submission if submission else ""
        paragraphs.append(w["retry"].format(to=to, form=form))
    if text:
        paragraphs += [w["read"], text]
    return paragraphs


def refusal_reply(
    services: Services, *, to: str, subject: str, problems: Sequence[MailProblem], text: str = ""
) -> Mail:
    settings = services.settings
    form = f"{settings.public_base_url}/proposals/new"
    french = _paragraphs("fr", problems, subject, text, settings.submission_address, form)
    english = _paragraphs("en", problems, subject, text, settings.submission_address, form)
    shown = excerpt(subject, 80) if subject else ""
    title = f"{_WORDING['fr']['subject']} / {_WORDING['en']['subject']}"
    return compose(
        services,
        to=to,
        subject=f"{title} : {shown}" if shown else title,
        paragraphs=[*french, "— English —", *english],
        language="fr",
    )
