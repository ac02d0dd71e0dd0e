"""The page behind each signed link (GET: shows what it would do, changes nothing) and the answer to
its one button (POST: acts, once)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response

from postdesk.domain import counting
from postdesk.domain.addresses import canonical_address
from postdesk.domain.kinds import Kind
from postdesk.domain.links import (
    CONFIRM,
    EDIT,
    FOLLOW,
    MARK_PUBLISHED,
    REJECT,
    REQUEST_CHANGES,
    REVIEW_ACTIONS,
    SENT,
    SETTLING_ACTIONS,
    LinkClaims,
    OpenedLink,
)
from postdesk.domain.review_rules import SelfApproval
from postdesk.domain.states import Status, is_abandoned
from postdesk.errors import Conflict, InvalidProposal, StaleVersion
from postdesk.mail import compose
from postdesk.templates import kind_choices, render
from postdesk.use_cases import desk, following, links, proposing
from postdesk.use_cases.audit_log import audit_csv, audit_row
from postdesk.use_cases.emailed_proposals import is_emailed
from postdesk.web.emailed_confirmation import EmailedConfirmation
from postdesk.web.pages import PAGE_HEADERS, LinkPage, field_errors, html, message_page, say
from postdesk.wording import approvals_count, error_text, journal_action, next_text, state_name, strings, when

if TYPE_CHECKING:
    from postdesk.domain.agenda import NextStep
    from postdesk.domain.proposal import Proposal
    from postdesk.services import Services

# What each action's page asks for: the textarea it shows, if any.
_FIELDS = {
    REJECT: ("reason", "reason"),
    REQUEST_CHANGES: ("comment", "comment"),
    EDIT: ("text", "new_text"),
    MARK_PUBLISHED: ("url", "post_url"),
}


class LinkPages:
    def __init__(self, services: Services, token: str, language: str) -> None:
        self.services = services
        self.token = token
        self.language = language
        self.t = strings(language)
        self.page = LinkPage(services, token, language)
        self.action_url = self.page.action_url
        self.switch_url = self.page.switch_url
        self.static_url = self.page.static_url

    # -- GET -----------------------------------------------------------------------------------------
    def show(self, opened: OpenedLink) -> Response[str]:
        action = opened.claims.action
        if action in (FOLLOW, SENT):
            return self.follow_page(opened, sent=action == SENT)
        if action == CONFIRM:
            if opened.proposal.status is not Status.AWAITING_CONFIRMATION:
                return self._message(
                    self.t["confirmed_title"], [self.t["already_confirmed"]], opened.proposal
                )
            if is_emailed(opened.proposal):  # asks for what the mail could not say
                return EmailedConfirmation(self.page).show(opened)
            return self._form(opened, "confirm")
        try:
            links.check(self.services, opened)
        except SelfApproval as error:
            return self._message(
                self.t["self_approval_title"], [say(error, self.language)], opened.proposal, 403
            )
        except StaleVersion as error:
            return self._message(
                self.t["version_stale_title"], [say(error, self.language)], opened.proposal, 409
            )
        return self._form(opened, action)

    def follow_page(self, opened: OpenedLink, *, sent: bool) -> Response[str]:
        """The proposer's page: where the proposal stands, what happens next and when, its history, and
        what they may do. After the form (`sent`), it says to confirm, and only until they have."""
        links.check(self.services, opened)
        proposal, t = opened.proposal, self.t
        settings = self.services.settings
        if sent and proposal.status is not Status.AWAITING_CONFIRMATION:
            return self._message(t["follow_title"], [t["sent_confirmed"]], None)
        view = following.follow(self.services, proposal)
        next_sentence = self._next_sentence(proposal, view.next)
        history = [
            {
                "at": entry.at,
                "when": when(entry.at, self.language, settings.time_zone),
                "what": journal_action(entry.action, self.language),
                "who": "" if entry.actor in ("postdesk", "ses") else entry.actor,
                "detail": entry.detail if entry.action in ("rejected", "changes requested") else "",
            }
            for entry in view.history
        ]
        body = render(
            "follow.html",
            language=self.language,
            time_zone=settings.time_zone,
            title=t["submitted_title"] if sent else t["follow_title"],
            paragraphs=[t["submitted_body"].format(email=proposal.proposer_email)] if sent else [],
            state=state_name(
                proposal.status.value,
                self.language,
                abandoned=is_abandoned(proposal.status, proposal.status_reason),
            ),
            next="" if sent else next_sentence,
            actions=[] if sent else [(t[f"{action}_button"], url) for action, url in view.actions],
            proposal=proposal,
            images=[{"url": self.services.media.url(i.key), "alt": i.alt} for i in proposal.images],
            history=[] if sent else history,
            another=f"{self.page.base}/proposals/new" + ("?lang=en" if self.language == "en" else ""),
            switch_url=self.switch_url,
        )
        return html(body)

    def _form(
        self, opened: OpenedLink, action: str, errors: dict[str, str] | None = None, typed: str | None = None
    ) -> Response[str]:
        proposal = opened.proposal
        t = self.t
        if f"{action}_title" not in t:  # a validly signed link whose action is unknown, or retired
            return self._message(
                t["link_error_title"], [error_text("unknown_action", {}, self.language)], None, 400
            )
        intro = t.get(f"{action}_intro", "").format(
            version=proposal.version,
            approvals=approvals_count(len(proposal.approvals), proposal.quorum, self.language),
        )
        if action in SETTLING_ACTIONS:  # why a person is asked, before what this choice does
            intro = f"{compose.settle_reason(proposal, self.language)} {intro}"
        # An approver's page offers their other choices beside this one, each its own link.
        others: list[tuple[str, str, str]] = []
        if action in REVIEW_ACTIONS and canonical_address(opened.claims.actor) != canonical_address(
            proposal.proposer_email
        ):
            choices = [a for a in desk.allowed_actions(opened.claims.actor, proposal) if a != action]
            signed = compose.action_links(
                self.services,
                actor=opened.claims.actor,
                proposal=proposal,
                actions=choices,
                expires=compose.review_expiry(self.services, proposal),
                language=self.language,
            )
            others = [(choice, label, url) for choice, (label, url) in zip(choices, signed, strict=True)]
        fields: list[dict[str, Any]] = []
        if action in _FIELDS:
            name, label = _FIELDS[action]
            value = typed if typed is not None else (proposal.text if action == EDIT else "")
            fields.append({"name": name, "label": t[label], "value": value, "counter": action == EDIT})
        body = render(
            "action.html",
            language=self.language,
            time_zone=self.services.settings.time_zone,
            title=t[f"{action}_title"],
            intro=intro,
            proposal=proposal,
            images=[{"url": self.services.media.url(i.key), "alt": i.alt} for i in proposal.images],
            action=self.action_url,
            button=t[f"{action}_button"],
            button_class="danger" if action == REJECT else "",
            others=others,
            fields=fields,
            errors=errors or {},
            static_url=self.static_url,
            switch_url=self.switch_url,
        )
        return html(body, 422 if errors else 200)

    def _message(
        self, title: str, paragraphs: list[str], proposal: Proposal | None, status: int = 200
    ) -> Response[str]:
        return message_page(
            title,
            paragraphs,
            language=self.language,
            status=status,
            switch_url=self.switch_url,
            proposal=proposal,
        )

    # -- POST ----------------------------------------------------------------------------------------
    def act(self, opened: OpenedLink, form: dict[str, str]) -> Response[str]:
        action = opened.claims.action
        services = self.services
        if action == CONFIRM:
            if is_emailed(opened.proposal):
                return EmailedConfirmation(self.page).act(opened, form)
            proposal = proposing.confirm_proposal(services, opened)
            return self._message(
                self.t["confirmed_title"],
                [self.t["confirmed_body_urgent" if proposal.urgent else "confirmed_body"]],
                proposal,
            )
        try:
            outcome = links.perform(services, opened, form)
        except InvalidProposal as error:
            name = _FIELDS.get(action, ("text", ""))[0]
            return self._form(opened, action, field_errors(error, self.language), form.get(name, ""))
        except SelfApproval as error:
            return self._message(
                self.t["self_approval_title"], [say(error, self.language)], opened.proposal, 403
            )
        except StaleVersion as error:
            return self._message(
                self.t["version_stale_title"], [say(error, self.language)], opened.proposal, 409
            )
        return self._message(self.t["done_title"], [self.t[outcome.message_key]], outcome.proposal)

    # -- the JSON API beside the pages --------------------------------------------------------------
    def describe(self, opened: OpenedLink) -> dict[str, Any]:
        """What a GET with `Accept: application/json` answers: the link's action and its proposal, after
        the same checks as the page (an error answers as JSON, with its status)."""
        links.check(self.services, opened)
        return {"action": opened.claims.action, "proposal": proposal_document(opened.proposal)}

    def perform_json(self, opened: OpenedLink, form: dict[str, str]) -> dict[str, Any]:
        if opened.claims.action == CONFIRM:
            if is_emailed(opened.proposal):
                raise Conflict(
                    "a proposal sent by email is confirmed from its page, which asks what the mail left out"
                )
            proposal = proposing.confirm_proposal(self.services, opened)
            return {
                "message": strings("en")["confirmed_body_urgent" if proposal.urgent else "confirmed_body"],
                "proposal": proposal_document(proposal),
            }
        outcome = links.perform(self.services, opened, form)
        return {
            "message": strings("en")[outcome.message_key],
            "proposal": proposal_document(outcome.proposal),
        }

    # -- the approvers' desk and the audit log ------------------------------------------------------
    def desk_page(
        self, claims: LinkClaims, *, proposal_id: str = "", state: str = "", kind: str = ""
    ) -> Response[str]:
        """The approver's desk (also what an older list link opens): GET only, it changes nothing."""
        approver = desk.check_desk_link(self.services, claims)
        settings = self.services.settings
        state = state if state in Status.__members__ else ""
        kind = kind if kind in {k.value for k in Kind} else ""
        base = f"{settings.public_base_url}/l/{self.token}"
        suffix = "&lang=en" if self.language == "en" else ""
        context: dict[str, Any] = {
            "approver": approver,
            "valid_until": when(claims.expires, self.language, settings.time_zone),
            "desk_url": f"{base}" + ("?lang=en" if self.language == "en" else ""),
            "form_action": base,
            "export_csv": f"{base}/audit.csv",
            "export_json": f"{base}/audit.json",
            "states": [(s.value, state_name(s.value, self.language)) for s in Status],
            "kinds": kind_choices(self.language),
            "row_url": lambda row: f"{base}?p={row.proposal.id}{suffix}",
            "next_of": lambda row: self._next_sentence(row.proposal, row.next),
            "approvals_of": lambda p: approvals_count(len(p.approvals), p.quorum, self.language),
            "button": lambda action: self.t[f"{action}_button"],
            "journal_what": lambda action: journal_action(action, self.language),
            "vote_words": {
                "approve": "approved",
                "reject": "rejected",
                "request_changes": "changes requested",
            },
            "state": state,
            "kind": kind,
            "lang_field": self.language == "en",
            "switch_url": f"{settings.public_base_url}/l/{self.token}"
            + ("" if self.language == "en" else "?lang=en"),
        }
        if proposal_id:
            opened = desk.desk_proposal(self.services, approver, proposal_id, self.language)
            proposal = opened.row.proposal
            body = render(
                "desk_proposal.html",
                language=self.language,
                time_zone=settings.time_zone,
                title=self.t["desk_link"],
                row=opened.row,
                proposal=proposal,
                images=[{"url": self.services.media.url(i.key), "alt": i.alt} for i in proposal.images],
                votes=[v for v in opened.votes if v.version == proposal.version],
                earlier_votes=[v for v in opened.votes if v.version != proposal.version],
                journal=list(reversed(opened.journal)),
                **context,
            )
            return html(body)
        view = desk.desk(self.services, approver, self.language, state=state, kind=kind)
        body = render(
            "desk.html",
            language=self.language,
            time_zone=settings.time_zone,
            title=self.t["desk_link"],
            desk=view,
            **context,
        )
        return html(body)

    def _next_sentence(self, proposal: Proposal, step: NextStep) -> str:
        settings = self.services.settings
        return next_text(
            step.code,
            self.language,
            settings.time_zone,
            run_at=step.run_at,
            approvals=step.approvals,
            quorum=step.quorum,
            email=proposal.proposer_email,
            cap=settings.publish_cap,
            expiry=proposal.expires_at,
        )

    def export(self, claims: LinkClaims, kind: str) -> Response[str]:
        desk.check_desk_link(self.services, claims)
        entries = self.services.store.whole_audit_log()
        headers = {**PAGE_HEADERS, "Content-Disposition": f'attachment; filename="postdesk-audit.{kind}"'}
        if kind == "json":
            document = [audit_row(entry) for entry in entries]
            return Response(200, "application/json", json.dumps(document, ensure_ascii=False), headers)
        return Response(200, "text/csv; charset=utf-8", audit_csv(entries), headers)


def proposal_document(proposal: Proposal) -> dict[str, Any]:
    return {
        "id": proposal.id,
        "status": proposal.status.value,
        "version": proposal.version,
        "kind": proposal.kind.value,
        "text": proposal.text,
        "weighted_length": counting.weighted_length(proposal.text),
        "judicial_risk": proposal.judicial_risk,
        "urgent": proposal.urgent,
        "not_before": proposal.not_before.isoformat() if proposal.not_before else None,
        "expires_at": proposal.expires_at.isoformat() if proposal.expires_at else None,
        "prosecutor_reference": proposal.prosecutor_reference,
        "images": [{"alt": image.alt, "content_type": image.content_type} for image in proposal.images],
        "proposer_email": proposal.proposer_email,
        "approvals": sorted(proposal.approvals),
        "quorum": proposal.quorum,
        "status_reason": proposal.status_reason,
    }
