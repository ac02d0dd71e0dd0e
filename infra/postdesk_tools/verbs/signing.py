"""`postdesk rotate-signing-key` and `retire-signing-keys`: the keys that sign the links in mails.

A new key signs from now on while the older ones still verify the links in flight; functions pick it up
within five minutes (their cache of the secret). Retiring removes all but the newest keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from postdesk_tools.verbs import product
from postdesk_tools.verbs.targets import OperatorError

if TYPE_CHECKING:
    import argparse

    from postdesk_tools.verbs.output import Output
    from postdesk_tools.verbs.targets import Target


def _secret(target: Target) -> str:
    name = target.variable("SIGNING_KEYS_SECRET")
    if not name:
        raise OperatorError(f"{target.label} names no signing-keys secret (SIGNING_KEYS_SECRET)")
    return name


def run_rotate(target: Target, out: Output, args: argparse.Namespace) -> int:
    try:
        with product.acting_on(target.environment):
            key_id = product.rotate_signing_key(_secret(target), target.client("secretsmanager"))
    except (BotoCoreError, ClientError) as error:
        raise OperatorError(f"the signing keys cannot be changed: {error}") from None
    if out.as_json:
        out.document({"new_key": key_id})
    else:
        out.line(f"new signing key: {key_id}")
        out.line("It signs new links within 5 minutes; links already sent keep working.")
    return 0


def run_retire(target: Target, out: Output, args: argparse.Namespace) -> int:
    try:
        with product.acting_on(target.environment):
            removed = product.retire_signing_keys(_secret(target), args.keep, target.client("secretsmanager"))
    except (BotoCoreError, ClientError) as error:
        raise OperatorError(f"the signing keys cannot be changed: {error}") from None
    if out.as_json:
        out.document({"retired": removed})
    else:
        out.line(f"retired: {', '.join(removed) or 'nothing'}")
    return 0
