"""`postdesk secrets set-x-credentials`: the X account's keys into the stack's secret.

The four values are read from a prompt that does not echo them, or from a file (JSON, or `name=value`
lines), never from the command line, where shells and process lists keep them. Before storing them,
they are tried on X (`GET /2/users/me`, signed with them): that gives the account's `user_id`, which
the morning run needs to read the account's own recent posts, and X's `x-access-level` header says
whether the access token may post, which it may not when the token was generated before the app was
given read and write permissions."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from postdesk_tools.verbs import product
from postdesk_tools.verbs.targets import OperatorError

if TYPE_CHECKING:
    import argparse

    from postdesk_tools.verbs.output import Output
    from postdesk_tools.verbs.targets import Target

USERS_ME_URL = "https://api.x.com/2/users/me"
TIMEOUT = (5.0, 20.0)
# The X developer portal's names for the same four values.
ALIASES = {
    "api_key": "consumer_key",
    "api_key_secret": "consumer_secret",
    "api_secret": "consumer_secret",
    "api_secret_key": "consumer_secret",
    "access_token_key": "access_token",
}
PROMPTS = {
    "consumer_key": "API Key (consumer key)",
    "consumer_secret": "API Key Secret (consumer secret)",
    "access_token": "Access Token",
    "access_token_secret": "Access Token Secret",
}


def _normalise(name: str) -> str:
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    return ALIASES.get(key, key)


def read_file(path: Path) -> dict[str, str]:
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as error:
        raise OperatorError(f"{path} cannot be read: {error}", exit_code=2) from None
    values: dict[str, Any]
    if raw.lstrip().startswith("{"):
        try:
            values = json.loads(raw)
        except ValueError as error:
            raise OperatorError(f"{path} is not JSON: {error}", exit_code=2) from None
    else:
        values = {}
        for number, line in enumerate(raw.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            name, sep, value = line.partition("=")
            if not sep:
                raise OperatorError(f"{path} line {number} is not name=value", exit_code=2)
            values[name] = value.strip().strip('"').strip("'")
    return {_normalise(name): str(value).strip() for name, value in values.items()}


def read_prompt() -> dict[str, str]:
    return {name: getpass.getpass(f"{label}: ").strip() for name, label in PROMPTS.items()}


def check_on_x(values: dict[str, str]) -> dict[str, str]:
    """The account these keys act for, or the reason X gives to refuse them."""
    import requests
    import tweepy

    auth = tweepy.OAuth1UserHandler(
        values["consumer_key"],
        values["consumer_secret"],
        values["access_token"],
        values["access_token_secret"],
    ).apply_auth()
    try:
        answer = requests.get(USERS_ME_URL, auth=auth, timeout=TIMEOUT)
    except requests.RequestException as error:
        raise OperatorError(
            f"X could not be reached to check the keys ({type(error).__name__}); "
            "--no-check stores them unchecked"
        ) from None
    if answer.status_code == 401:
        raise OperatorError(
            "X refused these keys (401): copy them again from the developer portal; nothing was stored"
        )
    if answer.status_code == 429:
        raise OperatorError("X's rate limit for users/me is reached: try later, or --no-check with --user-id")
    if answer.status_code != 200:
        raise OperatorError(
            f"X answered {answer.status_code} to users/me: {answer.text[:300]}; nothing was stored"
        )
    level = answer.headers.get("x-access-level", "")
    if level and "write" not in level:
        raise OperatorError(
            f"this access token may only {level}: in the developer portal, set the app's permissions to "
            "'Read and write', then regenerate the Access Token and Secret, and run this again; nothing was "
            "stored"
        )
    account = answer.json().get("data") or {}
    return {"user_id": str(account.get("id", "")), "username": str(account.get("username", ""))}


def store(target: Target, name: str, values: dict[str, str]) -> str:
    """Create the secret, or put a new version of it; answers which."""
    client = target.client("secretsmanager")
    document = json.dumps(values)
    try:
        try:
            client.put_secret_value(SecretId=name, SecretString=document)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            client.create_secret(
                Name=name, SecretString=document, Description="postdesk: the X account's OAuth 1.0a keys"
            )
            return "created"
    except (BotoCoreError, ClientError) as error:
        raise OperatorError(f"the secret {name} cannot be written: {error}") from None
    return "updated"


def run_set_x_credentials(target: Target, out: Output, args: argparse.Namespace) -> int:
    name = args.secret_name or target.variable("X_CREDENTIALS_SECRET")
    if not name:
        raise OperatorError(
            f"{target.label} names no X credentials secret: deploy it with XCredentialsSecretName set (e.g. "
            "postdesk/x), or give --secret-name, then run this again",
            exit_code=2,
        )
    values = read_file(args.from_file) if args.from_file else read_prompt()
    missing = [key for key in product.X_CREDENTIAL_NAMES if not values.get(key)]
    if missing:
        raise OperatorError(f"missing: {', '.join(missing)}; nothing was stored", exit_code=2)
    secret = {key: values[key] for key in product.X_CREDENTIAL_NAMES}
    if args.no_check:
        if not (args.user_id or values.get("user_id")):
            raise OperatorError(
                "--no-check needs the account's --user-id (the morning run reads its posts)", exit_code=2
            )
        secret.update(user_id=args.user_id or values["user_id"], username=values.get("username", ""))
    else:
        with out.progress("Trying the keys on X (users/me)"):
            secret.update(check_on_x(secret))
    with out.progress(f"Writing the secret {name}"), product.acting_on(target.environment):
        what = store(target, name, secret)
    account = f"@{secret['username']}" if secret.get("username") else f"user id {secret['user_id']}"
    if out.as_json:
        out.document(
            {
                "secret": name,
                "stored": what,
                "user_id": secret["user_id"],
                "username": secret.get("username", ""),
            }
        )
    else:
        out.line(f"X credentials for {account} {what} in the secret {name}.")
        out.line("The morning run reads them within 5 minutes; `postdesk smoke` checks the stack end to end.")
        if args.secret_name and args.secret_name != target.variable("X_CREDENTIALS_SECRET"):
            reads = target.variable("X_CREDENTIALS_SECRET") or "no secret"
            out.line(f"The stack reads {reads}: deploy with XCredentialsSecretName={name}.")
    return 0
