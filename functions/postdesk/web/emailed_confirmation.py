"""The confirmation page of a proposal made by email: the proposal as read from the mail, and a form
for what a mail can't carry or left out, which its Confirm button checks and saves with the
confirmation. Proposals from the web form or the API keep the plain confirmation page."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response

from postdesk.errors import InvalidProposal
from postdesk.inbound_mail.subject_tags import bare_subject
from postdesk.templates import kind_choices, render
from postdesk.use_cases import emailed_proposals
from postdesk.use_cases.emailed_proposals import ASKED
from postdesk.web.pages import field_errors, html, message_page

if TYPE_CHECKING:
    from postdesk.domain.links import OpenedLink
    from postdesk.domain.proposal import Proposal
    from postdesk.store.inbound_records import EmailOrigin
    from postdesk.web.pages import LinkPage

WORDING: dict[str, dict[str, str]] = {
    "fr": {
        "intro": "Voici la proposition telle que nous l'avons lue dans votre message « {subject} ». "
        "Un message ne peut pas tout dire : complétez ce qui suit, puis confirmez.",
        "intro_no_subject": "Voici la proposition telle que nous l'avons lue dans votre message. "
        "Un message ne peut pas tout dire : complétez ce qui suit, puis confirmez.",
        "text_fixed": "Pour changer le texte ou les images, ne confirmez pas : envoyez un nouveau message.",
        "choose_kind": "— Choisissez le type —",
        "kind_from_subject": "Lu dans l'objet du message ; vous pouvez le changer.",
        "kind_missing": "Aucune étiquette de type dans l'objet (par exemple [prévention]) : choisissez-le.",
        "ignored": "Pièces jointes non retenues (seules les images le sont) : {names}",
        "alt_help": "Décrivez l'image pour les personnes qui ne la voient pas.",
    },
    "en": {
        "intro": "Here is the proposal as we read it from your message “{subject}”. A message "
        "can't say everything: complete what follows, then confirm.",
        "intro_no_subject": "Here is the proposal as we read it from your message. A message can't "
        "say everything: complete what follows, then confirm.",
        "text_fixed": "To change the text or the images, do not confirm: send a new message.",
        "choose_kind": "— Choose the kind —",
        "kind_from_subject": "Read from the subject of the message; you may change it.",
        "kind_missing": "No kind tag in the subject (e.g. [prevention]): choose it.",
        "ignored": "Attachments not used (only images are): {names}",
        "alt_help": "Describe the image for people who cannot see it.",
    },
}


def _local_input(moment: datetime | None, time_zone: str) -> str:
    """A moment as a datetime-local input shows it, in the organisation's time zone."""
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%dT%H:%M") if moment else ""


def _initial_values(proposal: Proposal, origin: EmailOrigin | None, time_zone: str) -> dict[str, str]:
    kind_known = origin is None or origin.kind_from_subject
    values = {
        "kind": proposal.kind.value if kind_known else "",
        "judicial_risk": "true" if proposal.judicial_risk else "",
        "urgent": "true" if proposal.urgent else "",
        "prosecutor_agreement": "",
        "prosecutor_reference": proposal.prosecutor_reference or "",
        "not_before": _local_input(proposal.not_before, time_zone),
        "expires_at": _local_input(proposal.expires_at, time_zone),
    }
    values |= {f"alt_{number}": image.alt for number, image in enumerate(proposal.images, start=1)}
    return values


class EmailedConfirmation:
    def __init__(self, page: LinkPage) -> None:
        self.pages = page
        self.services = page.services
        self.language = page.language

    def show(self, opened: OpenedLink) -> Response[str]:
        proposal = opened.proposal
        origin = emailed_proposals.email_origin(self.services, proposal)
        values = _initial_values(proposal, origin, self.services.settings.time_zone)
        return self._page(opened, origin, values, {})

    def act(self, opened: OpenedLink, form: Mapping[str, str]) -> Response[str]:
        proposal = opened.proposal
        try:
            confirmed = emailed_proposals.confirm(self.services, opened, form)
        except InvalidProposal as error:
            typed = {name: form.get(name, "") for name in ASKED}
            typed |= {
                f"alt_{number}": form.get(f"alt_{number}", image.alt)
                for number, image in enumerate(proposal.images, start=1)
            }
            origin = emailed_proposals.email_origin(self.services, proposal)
            return self._page(opened, origin, typed, field_errors(error, self.language))
        return self._confirmed(confirmed)

    def _confirmed(self, proposal: Proposal) -> Response[str]:
        t = self.pages.t
        return message_page(
            t["confirmed_title"],
            [t["confirmed_body_urgent" if proposal.urgent else "confirmed_body"]],
            language=self.language,
            status=200,
            switch_url=self.pages.switch_url,
            proposal=proposal,
        )

    def _page(
        self,
        opened: OpenedLink,
        origin: EmailOrigin | None,
        values: dict[str, str],
        errors: dict[str, str],
    ) -> Response[str]:
        proposal = opened.proposal
        w = WORDING[self.language]
        subject = bare_subject(origin.subject) if origin else ""
        kind_known = origin is None or origin.kind_from_subject
        body = render(
            "confirm_email.html",
            language=self.language,
            time_zone=self.services.settings.time_zone,
            title=self.pages.t["confirm_title"],
            intro=w["intro"].format(subject=subject) if subject else w["intro_no_subject"],
            wording=w,
            kind_note=w["kind_from_subject"] if kind_known else w["kind_missing"],
            ignored=w["ignored"].format(names=", ".join(origin.ignored_attachments))
            if origin and origin.ignored_attachments
            else "",
            proposal=proposal,
            images=[
                {"url": self.services.media.url(image.key), "alt": image.alt, "number": number}
                for number, image in enumerate(proposal.images, start=1)
            ],
            kinds=kind_choices(self.language),
            values=values,
            errors=errors,
            action=self.pages.action_url,
            static_url=self.pages.static_url,
            switch_url=self.pages.switch_url,
        )
        return html(body, 422 if errors else 200)
