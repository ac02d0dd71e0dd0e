"""The link-signing keys, read from Secrets Manager through Powertools' parameters (cached a few
minutes, so a rotation reaches every function without a deploy)."""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING

import boto3
from aws_lambda_powertools.utilities import parameters

from postdesk.aws import AWS_TIMEOUTS
from postdesk.domain.links import SigningKeys
from postdesk.errors import ConfigurationError

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

CACHE_SECONDS = 300


def load_signing_keys(secret_name: str) -> SigningKeys:
    value = parameters.get_secret(secret_name, transform="json", max_age=CACHE_SECONDS)
    if not isinstance(value, dict) or not value:
        raise ConfigurationError("the signing-keys secret must be a JSON object of key id -> key")
    return SigningKeys({str(kid): str(key) for kid, key in value.items()})


def rotate(secret_name: str, client: SecretsManagerClient | None = None) -> str:
    """Add a new signing key, which signs from now on; older keys still verify links in flight.

    Returns the new key id. Functions pick the new key up within CACHE_SECONDS."""
    secrets_client = client or boto3.client("secretsmanager", config=AWS_TIMEOUTS)
    keys = json.loads(secrets_client.get_secret_value(SecretId=secret_name)["SecretString"])
    newest = max(keys) if keys else "k0000"
    number = int(newest.lstrip("k") or 0) + 1 if newest.lstrip("k").isdigit() else len(keys) + 1
    kid = f"k{number:04d}"
    keys[kid] = secrets.token_urlsafe(48)
    secrets_client.put_secret_value(SecretId=secret_name, SecretString=json.dumps(keys))
    return kid


def retire(secret_name: str, keep: int = 1, client: SecretsManagerClient | None = None) -> list[str]:
    """Remove all but the `keep` newest keys: links signed with the removed ones stop working."""
    secrets_client = client or boto3.client("secretsmanager", config=AWS_TIMEOUTS)
    keys = json.loads(secrets_client.get_secret_value(SecretId=secret_name)["SecretString"])
    kept = sorted(keys)[-max(keep, 1) :]
    removed = [kid for kid in keys if kid not in kept]
    secrets_client.put_secret_value(SecretId=secret_name, SecretString=json.dumps({k: keys[k] for k in kept}))
    return removed
