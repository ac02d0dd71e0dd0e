"""A proposal of the local table as /_local/proposals.json shows it (read in moto's process, see
moto_console), and DynamoDB's values as JSON.

Votes are listed whether the store keeps them on the proposal item (a `votes` list or map) or as items of
their own in the proposal's partition (sort key `VOTE#...`)."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from boto3.dynamodb.types import Binary, TypeDeserializer

if TYPE_CHECKING:
    from collections.abc import Mapping

PROPOSAL_SK = "PROPOSAL"
VOTE_SK_PREFIX = "VOTE#"
DESCRIBED_FIRST = ("id", "status", "version", "kind", "text", "votes")


def json_safe(value: Any) -> Any:
    """DynamoDB's Python values as JSON: numbers as int or float, sets as sorted lists, bytes as base64."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Binary):
        # boto3-stubs types Binary.__bytes__ as returning str; it returns the bytes.
        return base64.b64encode(bytes(cast("Any", value))).decode("ascii")
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, set):
        return sorted((json_safe(item) for item in value), key=str)
    if isinstance(value, list):
        return [json_safe(item) for item in value]
    return value


def _votes_attribute(stored: Any) -> list[Any]:
    if isinstance(stored, list):
        return stored
    if isinstance(stored, dict):
        return [
            {"approver": approver, **vote} if isinstance(vote, dict) else {"approver": approver, "vote": vote}
            for approver, vote in stored.items()
        ]
    return []


def plain_item(raw: Mapping[str, Any]) -> dict[str, Any]:
    """An item in DynamoDB's typed JSON (`{"text": {"S": "..."}}`) as plain JSON values."""
    deserializer = TypeDeserializer()
    return {name: json_safe(deserializer.deserialize(value)) for name, value in raw.items()}


def describe(proposal: dict[str, Any], vote_items: list[dict[str, Any]]) -> dict[str, Any]:
    """A proposal as /_local/proposals.json shows it: id, status, version, kind, text and votes first,
    then every other attribute as stored."""
    votes = [*_votes_attribute(proposal.get("votes")), *vote_items]
    described = {name: proposal.get(name) for name in DESCRIBED_FIRST} | {"votes": votes}
    return described | {name: value for name, value in proposal.items() if name not in described}
