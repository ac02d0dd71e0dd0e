"""The mails of the morning run: the publication notice, the expiry notice, and the alerts that ask a
person to decide (each approver with their own signed links: it was published, publish it again,
abandon it)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from postdesk import outgoing_mail
from postdesk.domain.states import Status
from postdesk.web.i18n import pick_language, strings

if TYPE_CHECKING:
    from postdesk.domain.proposal import Proposal
    from postdesk.mail import Mail
    from postdesk.services import Services

MARK_PUBLISHED = "mark_published"
PUBLISH_AGAIN = "publish_again"
ABANDON = "abandon"
RESOLUTION_ACTIONS = (MARK_PUBLISHED, PUBLISH_AGAIN, ABANDON)


def published(services: Services, proposal: Proposal, url: str) -> list[Mail]:
    return outgoing_mail.to_everyone(
        services, proposal, "mail_published_subject", "mail_published_body", url=url
    )


def expired(services: Services, proposal: Proposal) -> list[Mail]:
    return outgoing_mail.to_everyone(services, proposal, "mail_expired_subject", "mail_expired_body")


def abandoned(services: Services, proposal: Proposal, who: str) -> list[Mail]:
    return outgoing_mail.to_everyone(
        services, proposal, "mail_abandoned_subject", "mail_abandoned_body", who=who
    )


def needs_a_decision(services: Services, proposal: Proposal, reason: str) -> list[Mail]:
    """To each approver, with their own links: for NEEDS_RECONCILE all three, for FAILED publish it
    again or abandon it."""
    language = pick_language(None)
    t = strings(language)
    reconcile = proposal.status is Status.NEEDS_RECONCILE
    actions = RESOLUTION_ACTIONS if reconcile else (PUBLISH_AGAIN, ABANDON)
    subject_key, body_key = (
        ("mail_reconcile_subject", "mail_reconcile_body")
        if reconcile
        else ("mail_failed_subject", "mail_failed_body")
    )
    expires = services.clock() + timedelta(days=services.settings.review_link_days)
    return [
        outgoing_mail.compose(
            services,
            to=approver,
            subject=t[subject_key].format(excerpt=outgoing_mail.excerpt(proposal.text)),
            paragraphs=[t[body_key].format(reason=reason)],
            language=language,
            proposal=proposal,
            actions=outgoing_mail.action_links(
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
        outgoing_mail.compose(
            services,
            to=approver,
            subject=t["mail_alert_subject"],
            paragraphs=[t[body_key].format(reason=reason)],
            language=language,
        )
        for approver in services.settings.approvers
    ]
