"""The morning run: publish what is approved and due, oldest approval first, at most the cap, spaced out;
and nothing at all when nothing is due, which is a normal day.

Never twice. Each post is claimed by a conditional write (APPROVED -> PUBLISHING, with the run's id and
the time of the claim) before it is posted, and recorded right after; a run that loses the claim to
another leaves the post alone. A claim is a lease: one older than any run can live (Lambda's longest
timeout) belongs to a run that died between posting and recording, and the next run settles it by
reading the account's own posts since the claim, never by posting again. Whatever goes wrong leaves a
state and a reason: the run stops on X's rate limit or a credentials refusal and leaves the rest
approved; it tries a few times when X is down; a duplicate refusal, or not knowing, asks a person."""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from postdesk.channels import (
    ChannelDisabled,
    ChannelError,
    CredentialsMissing,
    CredentialsRefused,
    DuplicateContent,
    ImageToPost,
    Posted,
    RateLimited,
    Refused,
    Unavailable,
    Unreachable,
    open_channel,
)
from postdesk.domain import counting
from postdesk.domain.proposal import AuditEntry, Proposal
from postdesk.domain.states import Status
from postdesk.errors import Conflict
from postdesk.mail import compose, outbox
from postdesk.observability import logger, metrics
from postdesk.store.proposals import claimed_by, due_again, published_at

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from postdesk.channels import Channel
    from postdesk.services import Services

# Lambda's longest timeout, and a margin: a claim older than this belongs to a run that is dead.
CLAIM_LEASE = timedelta(seconds=900 + 60)
# No post is claimed without this much time left for it (X's timeouts are 5 s + 20 s per attempt).
POST_BUDGET_MS = 120_000
ATTEMPT_BUDGET_MS = 30_000
RETRY_DELAYS_SECONDS = (2.0, 8.0)  # three attempts in all when X is down or silent
CLOCK_SKEW = timedelta(minutes=2)  # read the account's posts from a little before the claim
ACTOR = "postdesk"


def new_run_id(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:12]}"


def no_deadline(seconds: int = 900) -> Callable[[], int]:
    """The remaining time of a run outside Lambda (the command line), as Lambda counts it."""
    deadline = time.monotonic() + seconds

    def remaining_ms() -> int:
        return max(0, int((deadline - time.monotonic()) * 1000))

    return remaining_ms


@dataclass
class RunReport:
    run_id: str
    dry_run: bool = False
    skipped: bool = False  # a repeated delivery of the same scheduled run
    published: list[dict[str, str]] = field(default_factory=list)
    would_publish: list[dict[str, str]] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    needs_reconcile: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    stopped: str = ""  # why the run stopped before the end of its list

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Stop(Exception):
    """Nothing more can go out in this run (rate limit, credentials, X down, time)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Settled(Exception):
    """This post's fate is decided (failed, or handed to a person): go on with the next."""


def _expired(proposal: Proposal, now: datetime) -> bool:
    return proposal.expires_at is not None and proposal.expires_at <= now


def _oldest_approval_first(proposals: Sequence[Proposal]) -> list[Proposal]:
    return sorted(proposals, key=lambda p: (p.approved_at or p.created_at, p.id))


def _summary(proposal: Proposal) -> dict[str, str]:
    approved = proposal.approved_at.isoformat() if proposal.approved_at else ""
    return {"id": proposal.id, "text": proposal.text, "approved_at": approved, "kind": proposal.kind.value}


def morning_run(
    services: Services,
    *,
    run_id: str | None = None,
    run_key: str | None = None,
    dry_run: bool = False,
    remaining_ms: Callable[[], int] | None = None,
) -> RunReport:
    """One morning run. `run_key` (the scheduled time) makes a repeated delivery do nothing;
    `dry_run` says what would go out and changes nothing."""
    started = time.monotonic()
    run = _Run(services, run_id or new_run_id("run"), remaining_ms or no_deadline())
    report = run.report
    store = services.store
    settings = services.settings
    if dry_run:
        now = services.clock()
        due = store.due(now)
        ready = _oldest_approval_first([p for p in due if not _expired(p, now)])
        report.dry_run = True
        report.would_publish = [_summary(p) for p in ready[: settings.publish_cap]]
        report.deferred = [p.id for p in ready[settings.publish_cap :]]
        report.expired = [p.id for p in due if _expired(p, now)]
        return report
    if run_key is not None and not store.claim_run("publish", run_key, services.clock()):
        logger.info("this scheduled run already happened", extra={"run_key": run_key})
        report.skipped = True
        return report
    outbox.deliver_owed(services)
    now = services.clock()
    due = store.due(now)
    # Claims a dead run left, and claims a run left because X could not be reached to tell whether they
    # went out: the account is read for them before anything is posted.
    stale = store.claims(now - CLAIM_LEASE)
    ready = []
    for proposal in due:
        if _expired(proposal, now):
            run.expire(proposal)
        else:
            ready.append(proposal)
    if ready or stale:
        run.publish_all(_oldest_approval_first(ready), stale)
        run.tell_approvers()
    else:
        logger.info("nothing is due: a normal day", extra={"run_id": run.run_id})
    run.count(started)
    return report


def publish_urgent(
    services: Services, proposal_id: str, *, remaining_ms: Callable[[], int] | None = None
) -> RunReport:
    """Publish one approved urgent post now, as its quorum is reached (the same claim as a morning
    run, so a run at the same moment publishes it once); an embargoed one waits for the morning run."""
    started = time.monotonic()
    run = _Run(services, new_run_id("urgent"), remaining_ms or no_deadline())
    proposal = services.store.get(proposal_id)
    now = services.clock()
    if proposal.status is not Status.APPROVED:
        logger.info("urgent post not approved (any more)", extra={"proposal_id": proposal_id})
    elif _expired(proposal, now):
        run.expire(proposal)
    elif proposal.not_before and proposal.not_before > now:
        logger.info(
            "urgent post under embargo: the morning run publishes it", extra={"proposal_id": proposal_id}
        )
    else:
        run.publish_all([proposal], [])
    run.count(started)
    return run.report


class _Run:
    def __init__(self, services: Services, run_id: str, remaining_ms: Callable[[], int]) -> None:
        self.services = services
        self.store = services.store
        self.run_id = run_id
        self.remaining_ms = remaining_ms
        self.report = RunReport(run_id)
        self._alerted: set[str] = set()
        self._raised: dict[str, tuple[datetime, datetime | None]] = {}  # read when the channel opens

    # -- the run ---------------------------------------------------------------------------------
    def publish_all(self, ready: list[Proposal], stale: list[Proposal]) -> None:
        cap = self.services.settings.publish_cap
        todo, over_cap = ready[:cap], ready[cap:]
        self.report.deferred += [p.id for p in over_cap]
        channel = self._open_channel()
        if channel is None:
            self.report.deferred += [p.id for p in todo]
            return
        self._raised = {code: (since, until) for code, _, since, until in self.store.alerts()}
        self._clear("no_credentials")  # the channel opened: its credentials are there
        paused = self._raised.get("rate_limited", (None, None))[1]  # X's rate limit, as a 429 left it
        if paused is not None and paused > self.services.clock():
            reason = f"X's rate limit lasts until {paused.isoformat()}: nothing is posted before"
            logger.warning("the run waits for X's rate limit", extra={"until": paused.isoformat()})
            self.report.stopped = reason
            self.report.deferred += [p.id for p in todo]
            return
        try:
            for proposal in stale:
                try:
                    self.settle_stale_claim(channel, proposal)
                except _Settled:
                    continue
        except _Stop as stop:
            self.report.stopped = stop.reason
            self.report.deferred += [p.id for p in todo]
            return
        for index, proposal in enumerate(todo):
            try:
                self._make_time(first=index == 0)
                self.publish(channel, proposal)
            except _Stop as stop:
                self.report.stopped = stop.reason
                self.report.deferred += [p.id for p in todo[index:]]
                logger.warning("the run stops", extra={"run_id": self.run_id, "reason": stop.reason})
                return

    def _open_channel(self) -> Channel | None:
        settings = self.services.settings
        try:
            return open_channel(settings, clock=self.services.clock, sleep=self.services.sleep)
        except ChannelDisabled as disabled:
            logger.warning("publishing is off: nothing goes out", extra={"reason": disabled.message})
            self.report.stopped = disabled.message
        except CredentialsMissing as missing:
            logger.error("no X credentials: nothing goes out", extra={"reason": missing.message})
            self.report.stopped = missing.message
            self.alert("no_credentials", missing.message)
        return None

    def _make_time(self, *, first: bool) -> None:
        """Posts are spaced out, within the time this run has left."""
        spacing = 0 if first else self.services.settings.publish_spacing_seconds
        if self.remaining_ms() < spacing * 1000 + POST_BUDGET_MS:
            raise _Stop("no time left in this run for another post")
        if spacing:
            self.services.sleep(spacing)

    # -- one post --------------------------------------------------------------------------------
    def publish(self, channel: Channel, proposal: Proposal) -> None:
        now = self.services.clock()
        try:
            claimed = self.store.transition(
                proposal,
                Status.PUBLISHING,
                self._audit(proposal, "claimed", f"run {self.run_id}"),
                changes=claimed_by(self.run_id, proposal, now),
                now=now,
            )
        except Conflict as conflict:  # another run claimed it first, or a person changed it meanwhile
            logger.info("not claimed", extra={"proposal_id": proposal.id, "reason": conflict.message})
            return
        try:
            tally = counting.count(claimed.text)
            if not tally.valid:
                self.fail(
                    claimed,
                    f"the text is {tally.weighted_length} characters as X counts them; 280 at most",
                    "too_long",
                )
            images = self._images(claimed)
            posted = self._post(channel, claimed, images)
        except _Settled:
            return
        self.record_published(claimed, posted)

    def _images(self, claimed: Proposal) -> list[ImageToPost]:
        try:
            return [
                ImageToPost(self.services.media.read(image.key), image.content_type, image.alt)
                for image in claimed.images
            ]
        except Exception as error:  # S3 failing: the post waits for the next run
            self.release(claimed, f"its images could not be read ({type(error).__name__})")
            raise _Settled from error

    def _post(self, channel: Channel, claimed: Proposal, images: list[ImageToPost]) -> Posted:
        delays = list(RETRY_DELAYS_SECONDS)
        attempt = 0
        while True:
            attempt += 1
            try:
                return channel.post(claimed.text, images)
            except RateLimited as limited:
                logger.warning(
                    "X's rate limit: the run stops",
                    extra={
                        "proposal_id": claimed.id,
                        "reset_at": limited.reset_at.isoformat() if limited.reset_at else None,
                        **limited.headers,
                    },
                )
                reset = f" until {limited.reset_at.isoformat()}" if limited.reset_at else ""
                self._pause(channel, limited)
                self.release(claimed, f"{limited.message}{reset}")
                raise _Stop(limited.message) from limited
            except CredentialsRefused as refused:
                self.release(claimed, refused.message)
                self.alert("credentials_refused", refused.message)
                raise _Stop(refused.message) from refused
            except DuplicateContent as duplicate:
                self.needs_reconcile(claimed, duplicate.message, "duplicate_content")
            except Refused as refused:
                self.fail(claimed, refused.message, "refused")
            except Unavailable as unavailable:
                logger.warning(
                    "X unavailable",
                    extra={
                        "proposal_id": claimed.id,
                        "attempt": attempt,
                        "maybe_posted": unavailable.maybe_posted,
                        "reason": unavailable.message,
                    },
                )
                if unavailable.maybe_posted:  # before posting again, look whether it went out
                    found = self._look_for(channel, claimed, unavailable.message)
                    if found is not None:
                        return found
                if not delays or self.remaining_ms() < delays[0] * 1000 + ATTEMPT_BUDGET_MS:
                    self.release(claimed, unavailable.message)
                    if isinstance(unavailable, Unreachable):  # an outage, not one post's trouble
                        self.alert("unreachable", unavailable.message)
                    raise _Stop(unavailable.message) from unavailable
                self.services.sleep(delays.pop(0))
            except ChannelError as other:
                self.fail(claimed, other.message, "refused")

    def _look_for(self, channel: Channel, claimed: Proposal, why: str) -> Posted | None:
        """Whether a post that may have gone out is on the account. If X can't be reached to tell, the
        post stays claimed (never released to be posted again) and the run stops: the next run reads
        the account for it before posting anything. A person is asked only when X answers and still
        can't tell."""
        since = (claimed.claimed_at or self.services.clock()) - CLOCK_SKEW
        try:
            return channel.find_recent(claimed.text, since)
        except (Unavailable, RateLimited, CredentialsRefused) as error:
            if isinstance(error, RateLimited):
                self._pause(channel, error)
            self.hold_for_check(
                claimed, f"{why}; the account's posts could not be read to tell ({error.message})"
            )
            self.alert("unreachable", error.message)
            raise _Stop(error.message) from error
        except ChannelError as error:
            self.needs_reconcile(
                claimed,
                f"{why}; and the account's posts could not be read to tell ({error.message})",
                "unknown_outcome",
            )
            raise _Settled from error

    def settle_stale_claim(self, channel: Channel, claimed: Proposal) -> None:
        """A claim older than the lease: its run died between claiming and recording. The account's own
        posts since the claim say whether the post went out; it is never posted again from here."""
        since = (claimed.claimed_at or claimed.updated_at) - CLOCK_SKEW
        try:
            found = channel.find_recent(claimed.text, since)
        except (RateLimited, Unavailable) as error:
            logger.warning(
                "a claim waits for the next run: the account's posts could not be read",
                extra={"proposal_id": claimed.id, "reason": error.message},
            )
            if isinstance(error, RateLimited):
                self._pause(channel, error)
            self.alert("unreachable", error.message)
            raise _Stop(error.message) from error
        except CredentialsRefused as refused:
            self.alert("credentials_refused", refused.message)
            raise _Stop(refused.message) from refused
        except ChannelError as error:
            self.needs_reconcile(
                claimed, f"the account's posts could not be read ({error.message})", "unknown_outcome"
            )
            return
        if found is not None:
            self.record_published(claimed, found, found_on_account=True)
        else:
            when = claimed.claimed_at.isoformat() if claimed.claimed_at else "?"
            self.needs_reconcile(
                claimed,
                f"the run that claimed it at {when} stopped before recording what happened, and no post of "
                "this text is on the account since",
                "lost_claim",
            )

    # -- what becomes of a post ------------------------------------------------------------------
    def record_published(self, claimed: Proposal, posted: Posted, *, found_on_account: bool = False) -> None:
        now = self.services.clock()
        after = replace(claimed, status=Status.PUBLISHED, post_id=posted.id, post_url=posted.url)
        detail = f"{posted.url} (run {claimed.run_id}{', found on the account' if found_on_account else ''})"
        try:
            outbox.transition(
                self.services,
                claimed,
                Status.PUBLISHED,
                self._audit(claimed, "published", detail),
                changes={
                    "post_id": posted.id,
                    "post_url": posted.url,
                    "published_at": now,
                    "status_reason": None,
                    **published_at(claimed.id, now),
                },
                mails=compose.published(self.services, after, posted.url),
                now=now,
                held_by=claimed.run_id,
            )
        except Conflict as conflict:
            # The post is out but someone else holds the record now: the next run's check settles it.
            logger.error(
                "posted, but the claim was lost before recording",
                extra={"proposal_id": claimed.id, "post_id": posted.id, "reason": conflict.message},
            )
            return
        self.report.published.append({"id": claimed.id, "post_id": posted.id, "url": posted.url})
        self._log(claimed, "published", post_id=posted.id, post_url=posted.url)
        for code in ("credentials_refused", "unreachable", "rate_limited"):  # X answered: they cleared
            self._clear(code)

    def release(self, claimed: Proposal, reason: str) -> None:
        """Back to APPROVED, due again at its old place in the queue, for the next run."""
        now = self.services.clock()
        try:
            self.store.transition(
                claimed,
                Status.APPROVED,
                self._audit(claimed, "publish deferred", reason),
                changes={**due_again(claimed, now), "status_reason": reason},
                now=now,
                held_by=claimed.run_id,
            )
        except Conflict as conflict:
            logger.error("claim not released", extra={"proposal_id": claimed.id, "reason": conflict.message})
            return
        self._log(claimed, "deferred", reason=reason)

    def hold_for_check(self, claimed: Proposal, reason: str) -> None:
        now = self.services.clock()
        try:
            self.store.hold_claim_for_check(
                claimed, self._audit(claimed, "held for a check", reason), reason, now
            )
        except Conflict as conflict:
            logger.error("claim not held", extra={"proposal_id": claimed.id, "reason": conflict.message})
            return
        self._log(claimed, "held for a check", reason=reason)

    def _pause(self, channel: Channel, limited: RateLimited) -> None:
        """Nothing goes out before X's recorded reset time: the next run reads it first."""
        self.alert("rate_limited", limited.message, until=limited.reset_at, tell=False)

    def fail(self, claimed: Proposal, reason: str, code: str) -> NoReturn:
        self._hand_over(claimed, Status.FAILED, reason, code)
        self.report.failed.append(claimed.id)
        raise _Settled

    def needs_reconcile(self, claimed: Proposal, reason: str, code: str) -> NoReturn:
        self._hand_over(claimed, Status.NEEDS_RECONCILE, reason, code)
        self.report.needs_reconcile.append(claimed.id)
        raise _Settled

    def _hand_over(self, claimed: Proposal, target: Status, reason: str, code: str) -> None:
        """FAILED or NEEDS_RECONCILE, with the reason; each approver gets the links to decide."""
        now = self.services.clock()
        after = replace(claimed, status=target, status_reason=reason, reason_code=code)
        try:
            outbox.transition(
                self.services,
                claimed,
                target,
                self._audit(claimed, target.value.lower().replace("_", " "), reason),
                mails=compose.needs_a_decision(self.services, after, reason),
                changes={"status_reason": reason, "reason_code": code, "due_pk": None, "due_sk": None},
                now=now,
                held_by=claimed.run_id,
            )
        except Conflict as conflict:
            logger.error("claim not settled", extra={"proposal_id": claimed.id, "reason": conflict.message})
            return
        self._log(claimed, target.value.lower(), reason=reason)

    def expire(self, proposal: Proposal) -> None:
        now = self.services.clock()
        reason = "its expiry passed before it was published"
        after = replace(proposal, status=Status.EXPIRED)
        try:
            outbox.transition(
                self.services,
                proposal,
                Status.EXPIRED,
                self._audit(proposal, "expired", reason),
                mails=compose.expired(self.services, after),
                changes={"status_reason": reason},
                now=now,
            )
        except Conflict:
            return
        self.report.expired.append(proposal.id)
        self._log(proposal, "expired", reason=reason)

    def alert(self, code: str, reason: str, *, until: datetime | None = None, tell: bool = True) -> None:
        """What stops every post is raised once, told once to the operator (who can fix it; the
        approvers see it in their digest), and stays raised until it clears."""
        if code in self._alerted:
            return
        self._alerted.add(code)
        now = self.services.clock()
        metrics.add_metric(name="PublishingBlocked", unit="Count", value=1)
        if not self.store.raise_alert(code, reason, now, until) or not tell:
            return
        settings = self.services.settings
        if not settings.alert_address:
            logger.error("publishing blocked, and no ALERT_ADDRESS to tell", extra={"code": code})
            return
        waiting = len(self.store.due(now + timedelta(days=400)))
        outbox.send(self.services, [compose.operator_alert(self.services, code, reason, waiting, until)])

    def _clear(self, code: str) -> None:
        if code in self._raised:
            self.store.clear_alert(code)
            del self._raised[code]
            logger.info("a condition that stopped publishing cleared", extra={"code": code})

    def tell_approvers(self) -> None:
        """With ApproverNotifications=all, one summary of what went out (else the next digest says)."""
        if self.report.published and self.services.settings.approver_notifications == "all":
            published = [self.store.get(entry["id"]) for entry in self.report.published]
            outbox.send(self.services, compose.run_summary(self.services, published))

    # -- records ---------------------------------------------------------------------------------
    def _audit(self, proposal: Proposal, action: str, detail: str) -> AuditEntry:
        return AuditEntry(
            proposal.id, self.services.clock(), ACTOR, action, proposal.version, f"run {self.run_id}", detail
        )

    def _log(self, proposal: Proposal, outcome: str, **detail: str) -> None:
        logger.info(
            "post",
            extra={"proposal_id": proposal.id, "run_id": self.run_id, "outcome": outcome, **detail},
        )

    def count(self, started: float) -> None:
        report = self.report
        metrics.add_metric(name="PostsPublished", unit="Count", value=len(report.published))
        metrics.add_metric(name="PostsFailed", unit="Count", value=len(report.failed))
        metrics.add_metric(name="PostsToReconcile", unit="Count", value=len(report.needs_reconcile))
        metrics.add_metric(name="PostsDeferred", unit="Count", value=len(report.deferred))
        metrics.add_metric(
            name="RunDuration", unit="Milliseconds", value=round((time.monotonic() - started) * 1000)
        )
        logger.info("morning run done", extra={"run": report.as_dict()})
