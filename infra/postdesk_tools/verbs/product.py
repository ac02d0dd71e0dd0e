"""Everything the operator's command line takes from the product package, in one place.

The product's modules move as it grows; the verbs import from here only, so that a move is mended in
this one file. Reads run in this process, with the stack's own environment applied for their duration
(`acting_on`), exactly as the functions would read."""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from postdesk.config import (
    APPROVERS_CACHE_SECONDS,
    ApproverRoster,
    Settings,
    StandIn,
    settings_from_environment,
)
from postdesk.domain.addresses import canonical_address
from postdesk.domain.proposal import AuditEntry, Proposal
from postdesk.domain.states import Status, is_abandoned
from postdesk.errors import ConfigurationError, NotFound, PostdeskError
from postdesk.mail.compose import excerpt
from postdesk.mail.outbox import ALERT_AFTER_ATTEMPTS
from postdesk.store.proposals import Vote
from postdesk.store.table import OutboxItem
from postdesk.use_cases.morning_run import CLAIM_LEASE

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from mypy_boto3_secretsmanager import SecretsManagerClient

    from postdesk.services import Services

__all__ = [
    "ALERT_AFTER_ATTEMPTS",
    "APPROVERS_CACHE_SECONDS",
    "CLAIM_LEASE",
    "X_CREDENTIAL_NAMES",
    "ApproverRoster",
    "AuditEntry",
    "ConfigurationError",
    "NotFound",
    "OutboxItem",
    "PostdeskError",
    "Proposal",
    "Settings",
    "StandIn",
    "Status",
    "Vote",
    "acting_on",
    "audit_csv",
    "audit_rows",
    "canonical_address",
    "digest_now",
    "excerpt",
    "is_abandoned",
    "morning_run_now",
    "retire_signing_keys",
    "rotate_signing_key",
    "services",
    "settings_of",
]

X_CREDENTIAL_NAMES = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")


def _forget_cached() -> None:
    from aws_lambda_powertools.utilities import parameters

    from postdesk.handlers.wiring import reset_services

    reset_services()
    parameters.clear_caches()  # type: ignore[no-untyped-call]


@contextlib.contextmanager
def acting_on(environment: Mapping[str, str | None]) -> Iterator[None]:
    """The stack's environment in this process while a verb runs (boto3, pynamodb and the settings all
    read it; None unsets a name), and the process's own back afterwards. An empty one changes nothing:
    the process already holds the functions' environment, and keeps what it built from it."""
    if not environment:
        yield
        return
    saved = {name: os.environ.get(name) for name in environment}
    for name, value in environment.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _forget_cached()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _forget_cached()


def services() -> Services:
    from postdesk.handlers.wiring import get_services

    return get_services()


def settings_of(environment: Mapping[str, str]) -> Settings:
    return settings_from_environment(dict(environment))


def audit_rows(entries: list[AuditEntry]) -> list[dict[str, Any]]:
    from postdesk.use_cases.audit_log import audit_row

    return [audit_row(entry) for entry in entries]


def audit_csv(entries: list[AuditEntry]) -> str:
    from postdesk.use_cases.audit_log import audit_csv as as_csv

    return as_csv(entries)


def morning_run_now(*, dry_run: bool) -> dict[str, Any]:
    """The morning run in this process (a stack known only by its environment), as the publish
    function would run it by hand: a new run id each time."""
    from postdesk.use_cases.morning_run import morning_run, new_run_id

    return morning_run(services(), run_id=new_run_id("manual"), dry_run=dry_run).as_dict()


def digest_now() -> dict[str, Any]:
    from postdesk.use_cases.digest import send_digest

    report = send_digest(services(), run_key=f"by-hand-{datetime.now(UTC).isoformat()}")
    return {"sent_to": report.sent_to, "skipped": report.skipped}


def rotate_signing_key(secret_name: str, client: SecretsManagerClient) -> str:
    from postdesk.store.signing_keys import rotate

    return rotate(secret_name, client)


def retire_signing_keys(secret_name: str, keep: int, client: SecretsManagerClient) -> list[str]:
    from postdesk.store.signing_keys import retire

    return retire(secret_name, keep, client)
