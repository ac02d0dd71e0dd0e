"""The link-signing keys, read from Secrets Manager through Powertools' parameters (cached a few
minutes, so a rotation reaches every function without a deploy)."""

from __future__ import annotations

from aws_lambda_powertools.utilities import parameters

from postdesk.domain.links import SigningKeys
from postdesk.errors import ConfigurationError

CACHE_SECONDS = 300


def load_signing_keys(secret_name: str) -> SigningKeys:
    value = parameters.get_secret(secret_name, transform="json", max_age=CACHE_SECONDS)
    if not isinstance(value, dict) or not value:
        raise ConfigurationError("the signing-keys secret must be a JSON object of key id -> key")
    return SigningKeys({str(kid): str(key) for kid, key in value.items()})
