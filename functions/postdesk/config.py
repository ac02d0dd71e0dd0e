"""Settings, parsed once from the environment into a typed model; logic never reads os.environ.

Every name here is set by template.yaml for the deployed stack and by the local stack for `make run`.
The approvers alone may change without a deploy: see `Settings.approvers`."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from postdesk.domain.addresses import canonical_address
from postdesk.domain.flood_limits import FloodLimits, PerHourAndDay
from postdesk.domain.kinds import DEFAULT_QUORUM, Kind
from postdesk.domain.schedule import BadSchedule, Schedule
from postdesk.errors import ConfigurationError

_CHANNELS = ("x", "local", "none")
PUBLIC_BASE_URL_CACHE_SECONDS = 3600  # the API's URL changes only with a new stack
# How long a function keeps the approvers parameter before reading it again: a change made with
# `postdesk approvers` reaches every function within this.
APPROVERS_CACHE_SECONDS = 60


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]


@dataclass
class Settings:
    """A plain dataclass checked in __post_init__: pydantic would cost every cold start ~15 ms to build
    the model, for a dozen strings read once."""

    table_name: str
    media_bucket: str
    signing_keys_secret: str
    sender_address: str
    # The links' base URL as configured (a custom domain, the local gateway); empty: read from the SSM
    # parameter named below, which the deployed stack writes with its API's URL (see public_base_url).
    configured_public_base_url: str
    approver_list: list[str] = field(default_factory=list)  # APPROVERS: the list the stack was deployed with
    approvers_parameter: str = ""  # APPROVERS_PARAMETER: the SSM parameter that overrides it at run time
    allowed_proposer_domains: list[str] = field(default_factory=list)
    allowed_proposer_addresses: list[str] = field(default_factory=list)
    quorum: dict[Kind, int] = field(default_factory=lambda: dict(DEFAULT_QUORUM))
    judicial_risk_quorum: int = 2
    time_zone: str = "Europe/Paris"
    confirmation_hours: int = 72
    review_link_days: int = 14
    max_request_bytes: int = 6 * 1024 * 1024
    channel: Literal["x", "local", "none"] = "x"
    x_credentials_secret: str = ""
    publish_cap: int = 3
    publish_spacing_seconds: int = 180
    local_timeline_path: str = ""
    # Proposals by email: the address colleagues write to, and where SES keeps each raw message.
    submission_address: str = ""
    inbound_mail_prefix: str = "inbound-mail/"
    publish_function_name: str = ""  # set for the API function: urgent posts invoke it at once
    # The schedules, as EventBridge Scheduler runs them in `time_zone`: mails and pages name the run that
    # will publish a post.
    publish_schedule: str = "cron(0 8 * * ? *)"
    digest_schedule: str = "cron(30 7 * * ? *)"
    public_base_url_parameter: str = ""
    # The SES configuration set every mail is sent with: its bounces and complaints reach the operator.
    mail_configuration_set: str = ""
    # How long a proposal and its personal data are kept after it ends, and the audit log (days).
    proposal_retention_days: int = 365
    audit_retention_days: int = 3653
    # Who the mails come from, in people's words ("Commissariat de Lyon"): the sender's display name,
    # the mails' heading and footer.
    organisation_name: str = ""
    # "review": approvers get one mail per proposal version to decide, the digest and what asks them to
    # act; "all": every decision and publication too.
    approver_notifications: Literal["review", "all"] = "review"
    # On a quiet day, a short digest says so (a quiet day told apart from a broken digest).
    digest_on_quiet_days: bool = True
    # Where alerts go: the operator, who can fix what stops publishing (not the approvers).
    alert_address: str = ""
    # The X account's name (without @): "it was published" accepts only a post of this account.
    x_account: str = ""
    # How many proposals, and confirmation mails, the public form and mail-in may cause (0: off).
    flood_limits: FloodLimits = field(default_factory=FloodLimits)

    def __post_init__(self) -> None:
        self.configured_public_base_url = self.configured_public_base_url.rstrip("/")
        self.approver_list = [canonical_address(address) for address in self.approver_list]
        self.allowed_proposer_addresses = [canonical_address(a) for a in self.allowed_proposer_addresses]
        self.allowed_proposer_domains = [
            domain.lower().lstrip("@") for domain in self.allowed_proposer_domains
        ]
        try:
            Schedule.parse(self.publish_schedule, self.time_zone)
            Schedule.parse(self.digest_schedule, self.time_zone)
        except BadSchedule as error:
            raise ValueError(f"PUBLISH_SCHEDULE / DIGEST_SCHEDULE: {error}") from None
        if self.approver_notifications not in ("review", "all"):
            raise ValueError(
                f"APPROVER_NOTIFICATIONS must be review or all, not {self.approver_notifications!r}"
            )
        if self.channel not in _CHANNELS:
            raise ValueError(f"CHANNEL must be one of {', '.join(_CHANNELS)}, not {self.channel!r}")
        if self.approver_list:
            self.check_quorum_reachable(self.approver_list)

    @property
    def approvers(self) -> list[str]:
        """The approvers in effect today. With APPROVERS_PARAMETER set, read from that SSM parameter
        (written by `postdesk approvers`, cached APPROVERS_CACHE_SECONDS by Powertools), so that a
        change, or a stand-in for an approver away, needs no deploy; else the deployed APPROVERS."""
        if not self.approvers_parameter:
            return self.approver_list
        from aws_lambda_powertools.utilities import parameters  # only what reads approvers pays for it

        try:
            value = parameters.get_parameter(self.approvers_parameter, max_age=APPROVERS_CACHE_SECONDS)
        except parameters.exceptions.GetParameterError as error:
            raise ConfigurationError(
                f"the approvers parameter {self.approvers_parameter} cannot be read"
            ) from error
        try:
            roster = ApproverRoster.from_parameter(str(value))
            in_effect = roster.in_effect(datetime.now(ZoneInfo(self.time_zone)).date())
            self.check_quorum_reachable(in_effect)
        except ValueError as error:
            raise ConfigurationError(
                f"the approvers parameter {self.approvers_parameter} is wrong: {error}"
            ) from error
        return in_effect

    def check_quorum_reachable(self, approvers: list[str]) -> None:
        # Nobody approves their own proposal, so an approver's own proposal has one voter less.
        needed = max([*self.quorum.values(), self.judicial_risk_quorum])
        if len(approvers) - 1 < needed:
            raise ValueError(
                f"{len(approvers)} approvers cannot reach a quorum of {needed} on a proposal made by "
                "one of them: add approvers or lower the quorum"
            )

    @property
    def morning_runs(self) -> Schedule:
        return Schedule.parse(self.publish_schedule, self.time_zone)

    @property
    def public_base_url(self) -> str:
        """Read on first use, not at cold start: only what builds a link pays the SSM call, and
        Powertools' cache keeps it for the life of the process."""
        if self.configured_public_base_url:
            return self.configured_public_base_url
        if not self.public_base_url_parameter:
            raise ConfigurationError(
                "postdesk is misconfigured: PUBLIC_BASE_URL or PUBLIC_BASE_URL_PARAMETER is needed"
            )
        from aws_lambda_powertools.utilities import parameters

        try:
            value = parameters.get_parameter(
                self.public_base_url_parameter, max_age=PUBLIC_BASE_URL_CACHE_SECONDS
            )
        except parameters.exceptions.GetParameterError as error:
            raise ConfigurationError(
                f"postdesk is misconfigured: the SSM parameter {self.public_base_url_parameter} "
                f"(PUBLIC_BASE_URL_PARAMETER) cannot be read: {error}"
            ) from error
        return str(value).rstrip("/")

    def quorum_for(self, kind: Kind, judicial_risk: bool) -> int:
        base = self.quorum.get(kind, 1)
        return max(base, self.judicial_risk_quorum) if judicial_risk else base


@dataclass(frozen=True)
class StandIn:
    """`stand_in` takes `approver`'s place from `start` to `end`, both days included (in TIME_ZONE)."""

    approver: str
    stand_in: str
    start: date
    end: date


@dataclass(frozen=True)
class ApproverRoster:
    """The approvers parameter's value: a comma-separated list (as the stack first writes it), or JSON
    `{"approvers": [...], "stand_ins": [{"approver", "stand_in", "from", "until"}]}`."""

    approvers: tuple[str, ...]
    stand_ins: tuple[StandIn, ...] = ()

    @classmethod
    def from_parameter(cls, value: str) -> ApproverRoster:
        if not value.strip().startswith("{"):
            return cls(tuple(canonical_address(a) for a in _split(value)))
        try:
            document: dict[str, Any] = json.loads(value)
            stand_ins = [
                StandIn(
                    canonical_address(str(entry["approver"])),
                    canonical_address(str(entry["stand_in"])),
                    date.fromisoformat(str(entry["from"])),
                    date.fromisoformat(str(entry["until"])),
                )
                for entry in document.get("stand_ins") or []
            ]
            roster = cls(tuple(canonical_address(str(a)) for a in document["approvers"]), tuple(stand_ins))
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(
                f"not a list of approvers and stand-ins ({type(error).__name__}: {error})"
            ) from None
        roster.check()
        return roster

    def check(self) -> None:
        if len(set(self.approvers)) != len(self.approvers):
            raise ValueError("an approver is named twice")
        for entry in self.stand_ins:
            if entry.approver not in self.approvers:
                raise ValueError(f"{entry.approver} has a stand-in but is not an approver")
            if entry.stand_in in self.approvers:
                raise ValueError(f"{entry.stand_in} is already an approver and cannot stand in")
            if entry.end < entry.start:
                raise ValueError(f"the stand-in for {entry.approver} ends before it starts")
            for other in self.stand_ins:
                overlap = other.start <= entry.end and entry.start <= other.end
                if other is not entry and other.approver == entry.approver and overlap:
                    raise ValueError(f"{entry.approver} has two stand-ins on the same days")

    def in_effect(self, day: date) -> list[str]:
        """Each approver, or on the days of their absence their stand-in, in the list's order."""
        present = []
        for approver in self.approvers:
            away = [s for s in self.stand_ins if s.approver == approver and s.start <= day <= s.end]
            present.append(away[0].stand_in if away else approver)
        return present

    def to_parameter(self) -> str:
        return json.dumps(
            {
                "approvers": list(self.approvers),
                "stand_ins": [
                    {
                        "approver": s.approver,
                        "stand_in": s.stand_in,
                        "from": str(s.start),
                        "until": str(s.end),
                    }
                    for s in self.stand_ins
                ],
            }
        )


def _parse_quorum(raw: str) -> dict[Kind, int]:
    """QUORUM is JSON ({"solved_case": 2}) or `kind=n` pairs; kinds not named keep their default."""
    quorum = dict(DEFAULT_QUORUM)
    if not raw.strip():
        return quorum
    pairs: Mapping[str, object]
    if raw.strip().startswith("{"):
        pairs = json.loads(raw)
    else:
        pairs = dict(part.split("=", 1) for part in _split(raw))
    for name, count in pairs.items():
        quorum[Kind(name.strip())] = int(str(count))
    return quorum


def _per_hour_and_day(env: dict[str, str], name: str, default: PerHourAndDay) -> PerHourAndDay:
    try:
        return PerHourAndDay(
            int(env.get(f"{name}_PER_HOUR") or default.hour), int(env.get(f"{name}_PER_DAY") or default.day)
        )
    except ValueError as error:
        raise ValueError(f"{name}_PER_HOUR / {name}_PER_DAY: {error}") from None


def flood_limits_from_environment(env: dict[str, str]) -> FloodLimits:
    """PROPOSALS_PER_PROPOSER_PER_HOUR and _PER_DAY, the same for CONFIRMATIONS_PER_RECIPIENT and
    PROPOSALS_PER_SOURCE_IP (0: off; unset or empty: the default), and LIMIT_EXEMPT_NETWORKS (CIDRs,
    comma-separated: exempt from the per-source limit)."""
    defaults = FloodLimits()
    return FloodLimits(
        per_proposer=_per_hour_and_day(env, "PROPOSALS_PER_PROPOSER", defaults.per_proposer),
        per_recipient=_per_hour_and_day(env, "CONFIRMATIONS_PER_RECIPIENT", defaults.per_recipient),
        per_source=_per_hour_and_day(env, "PROPOSALS_PER_SOURCE_IP", defaults.per_source),
        exempt_networks=FloodLimits.networks(_split(env.get("LIMIT_EXEMPT_NETWORKS", ""))),
    )


def settings_from_environment(environ: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if environ is None else environ)
    try:
        return Settings(
            table_name=env.get("TABLE_NAME", ""),
            media_bucket=env.get("MEDIA_BUCKET", ""),
            signing_keys_secret=env.get("SIGNING_KEYS_SECRET", ""),
            sender_address=env.get("SENDER_ADDRESS", ""),
            configured_public_base_url=env.get("PUBLIC_BASE_URL", ""),
            public_base_url_parameter=env.get("PUBLIC_BASE_URL_PARAMETER", ""),
            mail_configuration_set=env.get("MAIL_CONFIGURATION_SET", ""),
            proposal_retention_days=int(env.get("PROPOSAL_RETENTION_DAYS", "365")),
            organisation_name=env.get("ORGANISATION_NAME", ""),
            digest_on_quiet_days=env.get("DIGEST_ON_QUIET_DAYS", "true").strip().lower()
            not in ("false", "0", "no", "off"),
            alert_address=env.get("ALERT_ADDRESS", ""),
            x_account=env.get("X_ACCOUNT", "").strip().lstrip("@"),
            approver_notifications=cast(
                "Literal['review', 'all']", env.get("APPROVER_NOTIFICATIONS") or "review"
            ),
            audit_retention_days=int(env.get("AUDIT_RETENTION_DAYS", "3653")),
            approver_list=_split(env.get("APPROVERS", "")),
            approvers_parameter=env.get("APPROVERS_PARAMETER", ""),
            allowed_proposer_domains=_split(env.get("ALLOWED_PROPOSER_DOMAINS", "")),
            allowed_proposer_addresses=_split(env.get("ALLOWED_PROPOSER_ADDRESSES", "")),
            quorum=_parse_quorum(env.get("QUORUM", "")),
            judicial_risk_quorum=int(env.get("JUDICIAL_RISK_QUORUM", "2")),
            time_zone=env.get("TIME_ZONE", "Europe/Paris"),
            confirmation_hours=int(env.get("CONFIRMATION_HOURS", "72")),
            review_link_days=int(env.get("REVIEW_LINK_DAYS", "14")),
            channel=cast("Literal['x', 'local', 'none']", env.get("CHANNEL", "x")),
            x_credentials_secret=env.get("X_CREDENTIALS_SECRET", ""),
            publish_cap=int(env.get("PUBLISH_CAP", "3")),
            publish_spacing_seconds=int(env.get("PUBLISH_SPACING_SECONDS", "180")),
            local_timeline_path=env.get("LOCAL_TIMELINE_PATH", ""),
            submission_address=env.get("SUBMISSION_ADDRESS", ""),
            inbound_mail_prefix=env.get("INBOUND_MAIL_PREFIX", "inbound-mail/"),
            publish_function_name=env.get("PUBLISH_FUNCTION_NAME", ""),
            publish_schedule=env.get("PUBLISH_SCHEDULE") or "cron(0 8 * * ? *)",
            digest_schedule=env.get("DIGEST_SCHEDULE") or "cron(30 7 * * ? *)",
            flood_limits=flood_limits_from_environment(env),
        )
    except (ValueError, KeyError) as error:
        raise ConfigurationError(f"postdesk is misconfigured: {error}") from error


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, parsed on first use (tests call get_settings.cache_clear())."""
    return settings_from_environment()
