"""Every mail postdesk sends, with its signed links: built here, owed and delivered through the outbox.

The review mails, the decisions told to the proposer and the approvers, the publication and expiry
notices, the alerts, and the mails that ask a person to settle what the morning run could not."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from postdesk.domain.addresses import canonical_address
from postdesk.domain.kinds import LABELS
from postdesk.domain.links import (
    ABANDON,
    ALL_PROPOSALS,
    APPROVE,
    CONFIRM,
    PUBLISH_AGAIN,
    REVIEW_ACTIONS,
    SETTLING_ACTIONS,
    WITHDRAW,
    LinkClaims,
    new_link_id,
    sign,
)
from postdesk.domain.mail import Mail
from postdesk.domain.review_rules import authors
from postdesk.domain.states import Status
from postdesk.templates import render
from postdesk.wording import pick_language, strings

if TYPE_CHECKING:
    from postdesk.domain.proposal import Proposal
    from postdesk.services import Services


def excerpt(text: str, length: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"


def link(
    services: Services,
    *,
    actor: str,
    proposal: Proposal | None,
    action: str,
    expires: datetime,
    language: str,
) -> str:
    claims = LinkClaims(
        actor=actor,
        proposal_id=proposal.id if proposal else ALL_PROPOSALS,
        version=proposal.version if proposal else 0,
        action=action,
        expires_at=int(expires.timestamp()),
        link_id=new_link_id(),
    )
    suffix = "?lang=en" if language == "en" else ""
    return f"{services.settings.public_base_url}/l/{sign(claims, services.signing_keys())}{suffix}"


def action_links(
    services: Services,
    *,
    actor: str,
    proposal: Proposal,
    actions: tuple[str, ...] | list[str],
    expires: datetime,
    language: str,
    label_suffix: str = "",
) -> list[tuple[str, str]]:
    """One signed link per action for `actor`, each named by its button's wording."""
    t = strings(language)
    return [
        (
            f"{t[f'{action}_button']}{label_suffix}",
            link(services, actor=actor, proposal=proposal, action=action, expires=expires, language=language),
        )
        for action in actions
    ]


def _review_expiry(services: Services, proposal: Proposal) -> datetime:
    expiry = services.clock() + timedelta(days=services.settings.review_link_days)
    return min(expiry, proposal.expires_at) if proposal.expires_at else expiry


def compose(
    services: Services,
    *,
    to: str,
    subject: str,
    paragraphs: list[str],
    language: str,
    proposal: Proposal | None = None,
    actions: list[tuple[str, str]] | None = None,
    footer: str = "",
) -> Mail:
    context: dict[str, Any] = {
        "paragraphs": paragraphs,
        "proposal": proposal,
        "actions": actions or [],
        "footer": footer,
    }
    zone = services.settings.time_zone
    return Mail(
        to=(to,),
        subject=subject,
        text=render("mail.txt", language=language, time_zone=zone, **context),
        html=render("mail.html", language=language, time_zone=zone, **context),
    )


def confirmation(services: Services, proposal: Proposal) -> Mail:
    language = proposal.language
    t = strings(language)
    date = proposal.confirm_by.astimezone(ZoneInfo(services.settings.time_zone)).strftime("%d/%m/%Y %H:%M")
    confirm = link(
        services,
        actor=proposal.proposer_email,
        proposal=proposal,
        action=CONFIRM,
        expires=proposal.confirm_by,
        language=language,
    )
    return compose(
        services,
        to=proposal.proposer_email,
        subject=t["mail_confirm_subject"],
        paragraphs=[t["mail_confirm_body"]],
        language=language,
        proposal=proposal,
        actions=[(t["confirm_button"], confirm)],
        footer=t["mail_confirm_expiry"].format(date=date),
    )


def _withdraw_action(services: Services, proposal: Proposal) -> tuple[str, str]:
    t = strings(proposal.language)
    url = link(
        services,
        actor=proposal.proposer_email,
        proposal=proposal,
        action=WITHDRAW,
        expires=_review_expiry(services, proposal),
        language=proposal.language,
    )
    return (t["withdraw_button"], url)


def to_proposer(
    services: Services,
    proposal: Proposal,
    subject_key: str,
    paragraphs: list[str],
    *,
    withdraw: bool = False,
    extra: list[tuple[str, str]] | None = None,
) -> Mail:
    t = strings(proposal.language)
    actions = list(extra or [])
    if withdraw:
        actions.append(_withdraw_action(services, proposal))
    return compose(
        services,
        to=proposal.proposer_email,
        subject=t[subject_key].format(excerpt=excerpt(proposal.text)),
        paragraphs=paragraphs,
        language=proposal.language,
        proposal=proposal,
        actions=actions,
    )


def review_requests(services: Services, proposal: Proposal) -> list[Mail]:
    """One mail per approver for the current version, each with its own signed links."""
    language = pick_language(None)
    t = strings(language)
    expires = _review_expiry(services, proposal)
    wrote = authors(proposal)
    mails = []
    for approver in services.settings.approvers:
        allowed = [a for a in REVIEW_ACTIONS if not (a == APPROVE and canonical_address(approver) in wrote)]
        actions = action_links(
            services, actor=approver, proposal=proposal, actions=allowed, expires=expires, language=language
        )
        paragraphs = [t["mail_review_body"]]
        if proposal.version > 1:
            paragraphs.append(t["mail_review_version"].format(version=proposal.version))
        if canonical_address(approver) in wrote:
            paragraphs.append(t["mail_review_own"])
        mails.append(
            compose(
                services,
                to=approver,
                subject=t["mail_review_subject"].format(
                    kind=LABELS[language][proposal.kind], excerpt=excerpt(proposal.text)
                ),
                paragraphs=paragraphs,
                language=language,
                proposal=proposal,
                actions=actions,
                footer=t["mail_links_footer"],
            )
        )
    return mails


def to_everyone(
    services: Services, proposal: Proposal, subject_key: str, paragraph_key: str, **values: str
) -> list[Mail]:
    """The same news to the proposer and every approver, each in their language."""
    recipients = dict.fromkeys([proposal.proposer_email, *services.settings.approvers])
    mails = []
    for person in recipients:
        language = proposal.language if person == proposal.proposer_email else pick_language(None)
        t = strings(language)
        mails.append(
            compose(
                services,
                to=person,
                subject=t[subject_key].format(excerpt=excerpt(proposal.text)),
                paragraphs=[t[paragraph_key].format(**{k: t.get(v, v) for k, v in values.items()})],
                language=language,
                proposal=proposal,
            )
        )
    return mails


def published(services: Services, proposal: Proposal, url: str) -> list[Mail]:
    return to_everyone(services, proposal, "mail_published_subject", "mail_published_body", url=url)


def expired(services: Services, proposal: Proposal) -> list[Mail]:
    return to_everyone(services, proposal, "mail_expired_subject", "mail_expired_body")


def abandoned(services: Services, proposal: Proposal, who: str) -> list[Mail]:
    return to_everyone(services, proposal, "mail_abandoned_subject", "mail_abandoned_body", who=who)


def needs_a_decision(services: Services, proposal: Proposal, reason: str) -> list[Mail]:
    """To each approver, with their own links: for NEEDS_RECONCILE all three, for FAILED publish it
    again or abandon it."""
    language = pick_language(None)
    t = strings(language)
    reconcile = proposal.status is Status.NEEDS_RECONCILE
    actions = SETTLING_ACTIONS if reconcile else (PUBLISH_AGAIN, ABANDON)
    subject_key, body_key = (
        ("mail_reconcile_subject", "mail_reconcile_body")
        if reconcile
        else ("mail_failed_subject", "mail_failed_body")
    )
    expires = services.clock() + timedelta(days=services.settings.review_link_days)
    return [
        compose(
            services,
            to=approver,
            subject=t[subject_key].format(excerpt=excerpt(proposal.text)),
            paragraphs=[t[body_key].format(reason=reason)],
            language=language,
            proposal=proposal,
            actions=action_links(
                services,
                actor=approver,
                proposal=proposal,
                actions=actions,
                expires=expires,
                language=language,
            ),
            footer=t["mail_links_footer"],
        )
        for approver in services.settings.approvers
    ]


def alert(services: Services, body_key: str, reason: str) -> list[Mail]:
    """Something stops every post, not one: the approvers are told what and why."""
    language = pick_language(None)
    t = strings(language)
    return [
        compose(
            services,
            to=approver,
            subject=t["mail_alert_subject"],
            paragraphs=[t[body_key].format(reason=reason)],
            language=language,
        )
        for approver in services.settings.approvers
    ]
