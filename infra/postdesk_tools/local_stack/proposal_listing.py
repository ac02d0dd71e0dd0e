"""Every proposal of the local table, as stored, for /_local/proposals.json.

A development aid only: it scans the table, which the product itself never does. Votes are listed
whether the store keeps them on the proposal item (a `votes` list or map) or as items of their own in
the proposal's partition (sort key `VOTE#...`)."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from boto3.dynamodb.types import Binary, TypeDeserializer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

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


def list_proposals(dynamodb: DynamoDBClient, table_name: str) -> list[dict[str, Any]]:
    """Every proposal item, newest first when they carry `created_at`, with its votes."""
    deserializer = TypeDeserializer()
    proposals: list[dict[str, Any]] = []
    vote_items: dict[str, list[dict[str, Any]]] = {}
    for page in dynamodb.get_paginator("scan").paginate(TableName=table_name):
        for raw in page.get("Items", []):
            item = {name: json_safe(deserializer.deserialize(value)) for name, value in raw.items()}
            sort_key = str(item.get("sk", ""))
            if sort_key == PROPOSAL_SK:
                proposals.append(item)
            elif sort_key.startswith(VOTE_SK_PREFIX):
                vote_items.setdefault(str(item.get("pk", "")), []).append(item)
    answer = []
    for item in proposals:
        votes = [*_votes_attribute(item.get("votes")), *vote_items.get(str(item.get("pk", "")), [])]
        described = {name: item.get(name) for name in DESCRIBED_FIRST} | {"votes": votes}
        answer.append(described | {name: value for name, value in item.items() if name not in described})
    answer.sort(key=lambda proposal: str(proposal.get("created_at") or ""), reverse=True)
    return answer
