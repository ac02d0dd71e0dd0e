"""The environment the handlers read, set by the local stack as template.yaml sets it for Lambda.

Every name may be overridden by a variable of the same name already set when the stack starts (that is
how a person tries other approvers or another sender), except the AWS credentials: the endpoint is the
local moto, whose recording keeps request headers on disk, so real credentials (a session token above
all) must never reach it."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, MutableMapping
    from pathlib import Path

log = logging.getLogger("local_stack.environment")

REGION = "eu-west-1"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
REAL_CREDENTIAL_NAMES = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE")

DEFAULT_TABLE_NAME = "postdesk"
DEFAULT_MEDIA_BUCKET = "postdesk-media"
DEFAULT_SIGNING_KEYS_SECRET = "postdesk/signing-keys"  # noqa: S105 - a secret's name
DEFAULT_SENDER_ADDRESS = "postdesk@example.org"
DEFAULT_APPROVERS = "director@example.org,deputy1@example.org,deputy2@example.org"
# As in a deployed stack without a custom domain, the handlers read the links' base URL from SSM (the
# local moto's), which the local stack writes with its gateway's address at each start.
PUBLIC_BASE_URL_PARAMETER = "/postdesk-local/public-base-url"
DEFAULT_APPROVERS_PARAMETER = "postdesk-approvers"
LOCAL_TIMELINE_FILE = "timeline.jsonl"
FLOOD_LIMITS = ("PROPOSALS_PER_PROPOSER", "CONFIRMATIONS_PER_RECIPIENT", "PROPOSALS_PER_SOURCE_IP")


def handler_environment(*, aws_endpoint: str, state_dir: Path) -> dict[str, str]:
    """The local stack's defaults for every variable the handlers and boto3 read; they are its own, never
    the template's parameter defaults (a deployed stack has none for people and domains)."""
    return {
        "AWS_ENDPOINT_URL": aws_endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "TABLE_NAME": DEFAULT_TABLE_NAME,
        "MEDIA_BUCKET": DEFAULT_MEDIA_BUCKET,
        "SIGNING_KEYS_SECRET": DEFAULT_SIGNING_KEYS_SECRET,
        "SENDER_ADDRESS": DEFAULT_SENDER_ADDRESS,
        "PUBLIC_BASE_URL": "",
        "PUBLIC_BASE_URL_PARAMETER": PUBLIC_BASE_URL_PARAMETER,
        "APPROVERS": DEFAULT_APPROVERS,
        "APPROVERS_PARAMETER": DEFAULT_APPROVERS_PARAMETER,
        "ALLOWED_PROPOSER_DOMAINS": "example.org",
        "SUBMISSION_ADDRESS": "propositions@example.org",
        "TIME_ZONE": "Europe/Paris",
        "CHANNEL": "local",
        "LOCAL_TIMELINE_PATH": str((state_dir / LOCAL_TIMELINE_FILE).resolve()),
        "PUBLISH_SPACING_SECONDS": "0",
        "ALERT_ADDRESS": "operator@example.org",
        "ORGANISATION_NAME": "Commissariat de démonstration",
        "POWERTOOLS_SERVICE_NAME": "postdesk",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Postdesk",
        # The flood limits: the product's defaults, unless set when the stack starts (a soak sets its own).
        **dict.fromkeys(
            [f"{n}_PER_{w}" for n in FLOOD_LIMITS for w in ("HOUR", "DAY")] + ["LIMIT_EXEMPT_NETWORKS"], ""
        ),
    }


def apply_environment(
    defaults: Mapping[str, str], environ: MutableMapping[str, str] | None = None
) -> dict[str, str]:
    """Set each default that is not already set, force dummy credentials, and answer what is in effect."""
    target = os.environ if environ is None else environ
    for name, value in defaults.items():
        current = target.setdefault(name, value)
        if current != value and name == "AWS_ENDPOINT_URL":
            log.warning("AWS_ENDPOINT_URL is set to %s: the handlers will use it, not %s", current, value)
    for name in REAL_CREDENTIAL_NAMES:
        if target.pop(name, None) is not None:
            log.warning("%s is ignored by the local stack, which only talks to its own moto", name)
    target.update(DUMMY_CREDENTIALS)
    return {name: target[name] for name in [*defaults, *DUMMY_CREDENTIALS]}
