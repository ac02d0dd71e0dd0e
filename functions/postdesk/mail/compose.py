"""Every mail postdesk sends, with its signed links: built here, owed and delivered through the outbox.

Who gets what: the proposer is told of every step of their proposal, with a link to follow it; an
approver gets one mail per version to decide, the morning digest, and what asks them to act (a post to
settle); other approvers' decisions and the publications show on the desk and in the digest, not as
more mail, unless ApproverNotifications=all. Subjects say what the mail is about: the kind, the first
words of the text, [URGENT] for an urgent call for witnesses."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from postdesk.domain.addresses import canonical_address
from postdesk.domain.kinds import LABELS
from postdesk.domain.links import (
    ABANDON,
    ALL_PROPOSALS,
    APPROVE,
    CONFIRM,
    DESK,
    FOLLOW,
    PUBLISH_AGAIN,
    REVIEW_ACTIONS,
    SETTLING_ACTIONS,
    WITHDRAW,
    LinkClaims,
    new_link_id,
    sign,
)
from postdesk.domain.mail import Mail
from postdesk.domain.review_rules import OPEN_FOR_WITHDRAWAL, authors
from postdesk.domain.states import Status
from postdesk.templates import render
from postdesk.wording import (
    ALERTS,
    DIGEST,
    SETTLE_REASONS,
    approvals_count,
    pick_language,
    short_date,
    strings,
    when,
)

if TYPE_CHECKING:
    from postdesk.domain.agenda import Agenda, Held
    from postdesk.domain.proposal import Proposal
    from postdesk.services import Services

FOLLOW_LINK_DAYS = 90  # the proposer's follow-up link: the life of a proposal, and a little after
DESK_LINK_HOURS = 24  # the approvers' desk only shows; a forwarded one must not last


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


def review_expiry(services: Services, proposal: Proposal) -> datetime:
    expiry = services.clock() + timedelta(days=services.settings.review_link_days)
    return min(expiry, proposal.expires_at) if proposal.expires_at else expiry


def follow_action(services: Services, proposal: Proposal) -> tuple[str, str]:
    """The proposer's "Follow my proposal" link: shows, never acts."""
    url = link(
        services,
        actor=proposal.proposer_email,
        proposal=proposal,
        action=FOLLOW,
        expires=services.clock() + timedelta(days=FOLLOW_LINK_DAYS),
        language=proposal.language,
    )
    return (strings(proposal.language)["follow_link"], url)


def desk_action(services: Services, approver: str, language: str) -> tuple[str, str]:
    """An approver's link to the desk, for one day: it only shows; each row's actions are links of their
    own, signed when the desk is drawn."""
    url = link(
        services,
        actor=approver,
        proposal=None,
        action=DESK,
        expires=services.clock() + timedelta(hours=DESK_LINK_HOURS),
        language=language,
    )
    return (strings(language)["desk_link"], url)


def subject(key: str, proposal: Proposal, language: str) -> str:
    t = strings(language)
    prefix = t["urgent_prefix"] if proposal.urgent else ""
    return prefix + t[key].format(kind=LABELS[language][proposal.kind], excerpt=excerpt(proposal.text, 50))


def organisation(services: Services) -> str:
    return services.settings.organisation_name or "postdesk"


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
    t = strings(language)
    context: dict[str, Any] = {
        "paragraphs": paragraphs,
        "proposal": proposal,
        "actions": actions or [],
        "footer": footer,
        "organisation": organisation(services),
        "why": t["mail_footer"].format(organisation=organisation(services)),
    }
    zone = services.settings.time_zone
    return Mail(
        to=(to,),
        subject=subject,
        text=render("mail.txt", language=language, time_zone=zone, **context),
        html=render("mail.html", language=language, time_zone=zone, **context),
        proposal_id=proposal.id if proposal else "",
    )


def confirmation(services: Services, proposal: Proposal) -> Mail:
    language = proposal.language
    t = strings(language)
    confirm = link(
        services,
        actor=proposal.proposer_email,
        proposal=proposal,
        action=CONFIRM,
        expires=proposal.confirm_by,
        language=language,
    )
    date = when(proposal.confirm_by, language, services.settings.time_zone)
    return compose(
        services,
        to=proposal.proposer_email,
        subject=subject("mail_confirm_subject", proposal, language),
        paragraphs=[t["mail_confirm_body"]],
        language=language,
        proposal=proposal,
        actions=[(t["confirm_button"], confirm)],
        footer=t["mail_confirm_expiry"].format(date=date),
    )


def to_proposer(
    services: Services,
    proposal: Proposal,
    subject_key: str,
    paragraphs: list[str],
    *,
    extra: list[tuple[str, str]] | None = None,
) -> Mail:
    """A step of the proposal, told to its proposer: with the link to withdraw it while that is still
    possible, and the link to follow it."""
    t = strings(proposal.language)
    actions = list(extra or [])
    if proposal.status in OPEN_FOR_WITHDRAWAL:
        withdraw = link(
            services,
            actor=proposal.proposer_email,
            proposal=proposal,
            action=WITHDRAW,
            expires=review_expiry(services, proposal),
            language=proposal.language,
        )
        actions.append((t["withdraw_button"], withdraw))
    actions.append(follow_action(services, proposal))
    return compose(
        services,
        to=proposal.proposer_email,
        subject=subject(subject_key, proposal, proposal.language),
        paragraphs=paragraphs,
        language=proposal.language,
        proposal=proposal,
        actions=actions,
    )


def review_requests(services: Services, proposal: Proposal) -> list[Mail]:
    """One mail per approver for the current version, each with its own signed links and the desk."""
    language = pick_language(None)
    t = strings(language)
    expires = review_expiry(services, proposal)
    wrote = authors(proposal)
    mails = []
    for approver in services.settings.approvers:
        allowed = [a for a in REVIEW_ACTIONS if not (a == APPROVE and canonical_address(approver) in wrote)]
        actions = action_links(
            services, actor=approver, proposal=proposal, actions=allowed, expires=expires, language=language
        )
        actions.append(desk_action(services, approver, language))
        paragraphs = [t["mail_review_body"]]
        if proposal.version > 1:
            paragraphs.append(t["mail_review_version"].format(version=proposal.version))
        if canonical_address(approver) in wrote:
            paragraphs.append(t["mail_review_own"])
        mails.append(
            compose(
                services,
                to=approver,
                subject=subject("mail_review_subject", proposal, language),
                paragraphs=paragraphs,
                language=language,
                proposal=proposal,
                actions=actions,
            )
        )
    return mails


def tell(
    services: Services, proposal: Proposal, subject_key: str, paragraph_key: str, **values: str
) -> list[Mail]:
    """A step of the proposal: to its proposer, in their language; to the approvers too only when they
    asked for every decision (ApproverNotifications=all), else it shows on their desk and digest."""
    mails = []
    language = proposal.language
    t = strings(language)
    mails.append(
        to_proposer(
            services,
            proposal,
            subject_key,
            [t[paragraph_key].format(**{k: t.get(v, v) for k, v in values.items()})],
        )
    )
    if services.settings.approver_notifications == "all":
        approvers_language = pick_language(None)
        words = strings(approvers_language)
        for approver in services.settings.approvers:
            if canonical_address(approver) == canonical_address(proposal.proposer_email):
                continue
            mails.append(
                compose(
                    services,
                    to=approver,
                    subject=subject(subject_key, proposal, approvers_language),
                    paragraphs=[
                        words[paragraph_key].format(**{k: words.get(v, v) for k, v in values.items()})
                    ],
                    language=approvers_language,
                    proposal=proposal,
                    actions=[desk_action(services, approver, approvers_language)],
                )
            )
    return mails


def published(services: Services, proposal: Proposal, url: str) -> list[Mail]:
    """The proposer's notice, with the post as a link and the time; the approvers see publications in
    their next digest (or in one summary per run, with ApproverNotifications=all)."""
    language = proposal.language
    t = strings(language)
    at = when(proposal.published_at or services.clock(), language, services.settings.time_zone)
    return [
        to_proposer(
            services,
            proposal,
            "mail_published_subject",
            [t["mail_published_body"].format(when=at)],
            extra=[(t["see_on_x"], url)],
        )
    ]


def run_summary(services: Services, published: list[Proposal]) -> list[Mail]:
    """With ApproverNotifications=all: one mail per run to each approver, listing what went out."""
    if services.settings.approver_notifications != "all" or not published:
        return []
    language = pick_language(None)
    t = strings(language)
    zone = services.settings.time_zone
    lines = [
        f"{excerpt(p.text, 60)} — {when(p.published_at or services.clock(), language, zone)}"
        for p in published
    ]
    return [
        compose(
            services,
            to=approver,
            subject=t["mail_run_summary_subject"].format(count=len(published)),
            paragraphs=[t["mail_run_summary_body"], *lines],
            language=language,
            actions=[(excerpt(p.text, 40), p.post_url or "") for p in published if p.post_url],
        )
        for approver in services.settings.approvers
    ]


def expired(services: Services, proposal: Proposal) -> list[Mail]:
    return tell(services, proposal, "mail_expired_subject", "mail_expired_body")


def abandoned(services: Services, proposal: Proposal, who: str) -> list[Mail]:
    return tell(services, proposal, "mail_abandoned_subject", "mail_abandoned_body", who=who)


def settling_choices(proposal: Proposal) -> tuple[str, ...]:
    """What may settle a post: for NEEDS_RECONCILE it was published, publish it again, abandon it; for
    FAILED publish it again or abandon it; never publish again what X refused as a duplicate."""
    if proposal.status is Status.NEEDS_RECONCILE:
        choices: tuple[str, ...] = SETTLING_ACTIONS
    elif proposal.status is Status.FAILED:
        choices = (PUBLISH_AGAIN, ABANDON)
    else:
        return ()
    return tuple(
        c for c in choices if not (c == PUBLISH_AGAIN and proposal.reason_code == "duplicate_content")
    )


def settle_reason(proposal: Proposal, language: str) -> str:
    """Why a person must settle this post, in words."""
    return SETTLE_REASONS[pick_language(language)].get(
        proposal.reason_code or "", proposal.status_reason or ""
    )


def needs_a_decision(services: Services, proposal: Proposal, reason: str) -> list[Mail]:
    """To each approver, with their own links: for NEEDS_RECONCILE all three, for FAILED publish it
    again or abandon it."""
    language = pick_language(None)
    t = strings(language)
    reconcile = proposal.status is Status.NEEDS_RECONCILE
    actions = settling_choices(proposal)
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
            subject=subject(subject_key, proposal, language),
            paragraphs=[
                t[body_key].format(reason=settle_reason(proposal, language)),
                f"{SETTLE_REASONS[language]['detail']}{t['colon']}{reason}",
            ],
            language=language,
            proposal=proposal,
            actions=[
                *action_links(
                    services,
                    actor=approver,
                    proposal=proposal,
                    actions=actions,
                    expires=expires,
                    language=language,
                ),
                desk_action(services, approver, language),
            ],
        )
        for approver in services.settings.approvers
    ]


def digest(services: Services, agenda: Agenda) -> Mail:
    """One approver's morning digest: the agenda, every sentence from its facts."""
    settings = services.settings
    language = pick_language(None)
    t = strings(language)
    words = DIGEST[language]
    zone = settings.time_zone
    now = services.clock()
    date = short_date(now, language, zone)
    next_run = when(agenda.next_run, language, zone) if agenda.next_run else "?"
    blocked_lines = [
        words["blocked"].format(
            what=words[code].format(until=when(until, language, zone) if until else ""),
            since=when(since, language, zone),
        )
        for code, since, until in agenda.blocked
    ]

    def held_line(held: Held) -> str:
        proposal = held.proposal
        return words[f"held_{held.code}"].format(
            when=when(held.run_at, language, zone) if held.run_at else "",
            cap=settings.publish_cap,
            embargo=when(proposal.not_before, language, zone) if proposal.not_before else "",
            expiry=when(proposal.expires_at, language, zone) if proposal.expires_at else "",
            approvals=approvals_count(len(proposal.approvals), proposal.quorum, language),
            since=when(proposal.created_at, language, zone),
        )

    def settle_line(proposal: Proposal) -> str:
        reconcile = proposal.status is Status.NEEDS_RECONCILE
        return words["attention_reconcile" if reconcile else "attention_failed"]

    going = len(agenda.going_out)
    d = {
        "title": words["title"].format(date=date),
        "blocked_lines": blocked_lines,
        "quiet": words["quiet"] if agenda.quiet else "",
        "to_decide_title": words["to_decide"].format(count=len(agenda.to_decide)),
        "to_decide_none": words["to_decide_none"],
        "going_out_title": words["going_out"].format(when=next_run, count=going),
        "going_out_none": words["going_out_none"].format(when=next_run),
        "going_out_blocked": words["going_out_blocked"] if agenda.blocked else "",
        "held_title": words["held"].format(count=len(agenda.held)),
        "to_settle_title": words["attention"].format(count=len(agenda.to_settle)),
        "published_title": words["published"].format(count=len(agenda.published)),
    }
    subject = (
        words["subject_quiet"].format(date=date)
        if agenda.quiet
        else words["subject"].format(date=date, decide=len(agenda.to_decide), going=going)
    )
    context: dict[str, Any] = {
        "d": d,
        "agenda": agenda,
        "organisation": organisation(services),
        "why": t["mail_footer"].format(organisation=organisation(services)),
        "desk_url": desk_action(services, agenda.approver, language)[1],
        "held_line": held_line,
        "settle_line": settle_line,
        "button": lambda action: t[f"{action}_button"],
        "short": lambda proposal: excerpt(proposal.text, 40),
        "approvals_of": lambda proposal: approvals_count(len(proposal.approvals), proposal.quorum, language),
    }
    return Mail(
        to=(agenda.approver,),
        subject=subject,
        text=render("digest.txt", language=language, time_zone=zone, **context),
        html=render("digest.html", language=language, time_zone=zone, **context),
    )


def operator_alert(services: Services, code: str, reason: str, waiting: int, until: datetime | None) -> Mail:
    """What stops publishing, told once to the operator, who can fix it: what, why, and what waits."""
    language = pick_language(None)
    words = ALERTS[language]
    zone = services.settings.time_zone
    values = {"reason": reason, "waiting": waiting, "until": when(until, language, zone) if until else ""}
    return compose(
        services,
        to=services.settings.alert_address,
        subject=words[f"{code}_subject"].format(**values),
        paragraphs=[
            words[f"{code}_body"].format(**values),
            words["waiting_line"].format(count=waiting),
            words["cleared_hint"],
        ],
        language=language,
    )
