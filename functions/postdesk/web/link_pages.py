"""The page behind each signed link (GET: shows what it would do, changes nothing) and the answer to
its one button (POST: acts, once)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response

from postdesk import outgoing_mail, resolution, review, submission
from postdesk.domain import counting
from postdesk.domain.links import LinkClaims
from postdesk.domain.proposal import AuditEntry, Proposal
from postdesk.domain.review_rules import SelfApproval, check_approver
from postdesk.domain.states import Status
from postdesk.errors import Conflict, InvalidLink, InvalidProposal, StaleVersion
from postdesk.services import Services
from postdesk.submission import OpenedLink
from postdesk.web.emailed_confirmation import EmailedConfirmation, is_emailed
from postdesk.web.i18n import strings
from postdesk.web.pages import PAGE_HEADERS, field_errors, html, message_page
from postdesk.web.render import render

# What each action's page asks for: the textarea it shows, if any.
_FIELDS = {
    outgoing_mail.REJECT: ("reason", "reason"),
    outgoing_mail.REQUEST_CHANGES: ("comment", "comment"),
    outgoing_mail.EDIT: ("text", "new_text"),
    resolution.MARK_PUBLISHED: ("url", "post_url"),
}


class LinkPages:
    def __init__(self, services: Services, token: str, language: str) -> None:
        self.services = services
        self.token = token
        self.language = language
        self.t = strings(language)
        base = services.settings.public_base_url
        suffix = "?lang=en" if language == "en" else ""
        self.action_url = f"{base}/l/{token}{suffix}"
        self.switch_url = f"{base}/l/{token}" + ("" if language == "en" else "?lang=en")
        self.static_url = f"{base}/static"

    # -- GET -----------------------------------------------------------------------------------------
    def show(self, opened: OpenedLink) -> Response[str]:
        action = opened.claims.action
        if action == outgoing_mail.CONFIRM:
            if opened.proposal.status is not Status.AWAITING_CONFIRMATION:
                return self._message(
                    self.t["confirmed_title"], [self.t["already_confirmed"]], opened.proposal
                )
            if is_emailed(opened.proposal):  # asks for what the mail could not say
                return EmailedConfirmation(self).show(opened)
            return self._form(opened, "confirm")
        if action in resolution.RESOLUTION_ACTIONS:  # settling a post the morning run could not
            try:
                resolution.check_link(self.services, opened, acting=False)
            except StaleVersion as error:
                return self._message(self.t["version_stale_title"], [error.message], opened.proposal, 409)
            return self._form(opened, action)
        try:
            review.check_link(self.services, opened, acting=False)
        except SelfApproval as error:
            return self._message(self.t["self_approval_title"], [error.message], opened.proposal, 403)
        except StaleVersion as error:
            return self._message(self.t["version_stale_title"], [error.message], opened.proposal, 409)
        return self._form(opened, action)

    def _form(
        self, opened: OpenedLink, action: str, errors: dict[str, str] | None = None, typed: str | None = None
    ) -> Response[str]:
        proposal = opened.proposal
        t = self.t
        intro = t.get(f"{action}_intro", "").format(
            version=proposal.version, quorum=proposal.quorum, count=len(proposal.approvals)
        )
        fields: list[dict[str, Any]] = []
        if action in _FIELDS:
            name, label = _FIELDS[action]
            value = typed if typed is not None else (proposal.text if action == outgoing_mail.EDIT else "")
            fields.append(
                {"name": name, "label": t[label], "value": value, "counter": action == outgoing_mail.EDIT}
            )
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
        if action == outgoing_mail.CONFIRM:
            if is_emailed(opened.proposal):
                return EmailedConfirmation(self).act(opened, form)
            proposal = submission.confirm_proposal(services, opened)
            return self._message(self.t["confirmed_title"], [self.t["confirmed_body"]], proposal)
        try:
            outcome = perform(services, opened, form)
        except InvalidProposal as error:
            name = _FIELDS.get(action, ("text", ""))[0]
            return self._form(opened, action, field_errors(error, self.language), form.get(name, ""))
        except SelfApproval as error:
            return self._message(self.t["self_approval_title"], [error.message], opened.proposal, 403)
        except StaleVersion as error:
            return self._message(self.t["version_stale_title"], [error.message], opened.proposal, 409)
        return self._message(self.t["done_title"], [self.t[outcome.message_key]], outcome.proposal)

    # -- the JSON API beside the pages --------------------------------------------------------------
    def describe(self, opened: OpenedLink) -> dict[str, Any]:
        """What a GET with `Accept: application/json` answers: the link's action and its proposal, after
        the same checks as the page (an error answers as JSON, with its status)."""
        if opened.claims.action not in (outgoing_mail.CONFIRM, *resolution.RESOLUTION_ACTIONS):
            review.check_link(self.services, opened, acting=False)
        return {"action": opened.claims.action, "proposal": proposal_document(opened.proposal)}

    def perform_json(self, opened: OpenedLink, form: dict[str, str]) -> dict[str, Any]:
        if opened.claims.action == outgoing_mail.CONFIRM:
            if is_emailed(opened.proposal):
                raise Conflict(
                    "a proposal sent by email is confirmed from its page, which asks what the mail left out"
                )
            proposal = submission.confirm_proposal(self.services, opened)
            return {"message": strings("en")["confirmed_body"], "proposal": proposal_document(proposal)}
        outcome = perform(self.services, opened, form)
        return {
            "message": strings("en")[outcome.message_key],
            "proposal": proposal_document(outcome.proposal),
        }

    # -- the approvers' list and audit log ----------------------------------------------------------
    def _check_list(self, claims: LinkClaims) -> None:
        if claims.action != outgoing_mail.LIST:
            raise InvalidLink("this link does not open the list of proposals")
        check_approver(claims.actor, self.services.settings.approvers)

    def list_page(self, claims: LinkClaims) -> Response[str]:
        self._check_list(claims)
        store = self.services.store
        rows = sorted(store.all(), key=lambda p: p.created_at, reverse=True)
        base = f"{self.services.settings.public_base_url}/l/{self.token}"
        body = render(
            "list.html",
            language=self.language,
            time_zone=self.services.settings.time_zone,
            title=self.t["list_title"],
            rows=rows,
            audit=list(reversed(store.whole_audit_log())),
            export_csv=f"{base}/audit.csv",
            export_json=f"{base}/audit.json",
            generated=self.services.clock()
            .astimezone(ZoneInfo(self.services.settings.time_zone))
            .strftime("%d/%m/%Y %H:%M"),
            switch_url=self.switch_url,
        )
        return html(body)

    def export(self, claims: LinkClaims, kind: str) -> Response[str]:
        self._check_list(claims)
        entries = self.services.store.whole_audit_log()
        headers = {**PAGE_HEADERS, "Content-Disposition": f'attachment; filename="postdesk-audit.{kind}"'}
        if kind == "json":
            document = [audit_row(entry) for entry in entries]
            return Response(200, "application/json", json.dumps(document, ensure_ascii=False), headers)
        return Response(200, "text/csv; charset=utf-8", audit_csv(entries), headers)


def perform(services: Services, opened: OpenedLink, form: dict[str, str]) -> review.Outcome:
    """Do what the link is for, once: the one use case behind both the page's button and the JSON API."""
    action = opened.claims.action
    if action == outgoing_mail.APPROVE:
        return review.approve(services, opened)
    if action == outgoing_mail.REJECT:
        return review.reject(services, opened, form.get("reason"))
    if action == outgoing_mail.REQUEST_CHANGES:
        return review.request_changes(services, opened, form.get("comment"))
    if action == outgoing_mail.EDIT:
        return review.edit(services, opened, form.get("text"))
    if action == outgoing_mail.WITHDRAW:
        return review.withdraw(services, opened)
    if action in resolution.RESOLUTION_ACTIONS:
        return resolution.resolve(services, opened, form)
    raise InvalidLink("this link does not perform an action")


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


AUDIT_COLUMNS = ("at", "proposal_id", "version", "actor", "action", "via", "detail")


def audit_row(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "proposal_id": entry.proposal_id,
        "version": entry.version,
        "actor": entry.actor,
        "action": entry.action,
        "via": entry.via,
        "detail": entry.detail,
    }


def spreadsheet_safe(value: object) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def audit_csv(entries: list[AuditEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_COLUMNS)
    for entry in entries:
        row = audit_row(entry)
        writer.writerow([spreadsheet_safe(row[column]) for column in AUDIT_COLUMNS])
    return out.getvalue()
