"""moto's DynamoDB keeps DynamoDB's promises once postdesk's layer is installed (tests/integration/conftest.py
installs it, as the local stack's moto server does): a failed transaction undoes only its own writes, no
read sees half a transaction, and the moto internals the layer relies on are the ones it was written for."""

from __future__ import annotations

import ast
import hashlib
import inspect
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from postdesk_tools.local_stack import moto_dynamodb

REGION = "eu-west-1"
TABLE = "layer-test"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName=TABLE,
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def _key(pk: str, sk: str = "ITEM") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _run_together(*jobs: Any) -> None:
    """Start every job at the same moment on a thread of its own, and wait for all of them."""
    barrier = threading.Barrier(len(jobs))
    failures: list[BaseException] = []

    def run(job: Any) -> None:
        barrier.wait()
        try:
            job()
        except BaseException as error:  # a failed assertion in a thread must fail the test
            failures.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def test_a_failed_transaction_keeps_the_writes_other_requests_made_meanwhile(dynamodb: Any) -> None:
    # Given a table with history (moto 5.2.5 copies it whole before each transaction)
    for number in range(1500):
        dynamodb.put_item(TableName=TABLE, Item={**_key(f"old-{number}"), "text": {"S": "x" * 200}})
    dynamodb.put_item(TableName=TABLE, Item={**_key("claimed"), "status": {"S": "PUBLISHING"}})

    def writer() -> None:
        for number in range(150):
            dynamodb.put_item(TableName=TABLE, Item={**_key(f"new-{number}"), "n": {"N": str(number)}})

    def losing_claims() -> None:
        for _ in range(40):
            with pytest.raises(ClientError) as refused:
                dynamodb.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                "TableName": TABLE,
                                "Key": _key("claimed"),
                                "UpdateExpression": "SET #s = :publishing",
                                "ConditionExpression": "#s = :approved",
                                "ExpressionAttributeNames": {"#s": "status"},
                                "ExpressionAttributeValues": {
                                    ":publishing": {"S": "PUBLISHING"},
                                    ":approved": {"S": "APPROVED"},
                                },
                            }
                        }
                    ]
                )
            assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"

    # When writes and claims that lose their race happen at the same time
    _run_together(writer, losing_claims)

    # Then every write that was answered is still there
    stored = {
        item["pk"]["S"]
        for page in dynamodb.get_paginator("scan").paginate(TableName=TABLE, ProjectionExpression="pk")
        for item in page["Items"]
    }
    assert {f"new-{number}" for number in range(150)} <= stored
    assert len(stored) == 1500 + 1 + 150


def test_a_cancelled_transaction_leaves_every_item_as_it_was(dynamodb: Any) -> None:
    # Given an item to update, one to delete, and a condition that will fail
    dynamodb.put_item(TableName=TABLE, Item={**_key("updated"), "votes": {"N": "1"}, "tags": {"SS": ["a"]}})
    dynamodb.put_item(TableName=TABLE, Item={**_key("deleted"), "text": {"S": "kept"}})
    dynamodb.put_item(TableName=TABLE, Item={**_key("guard"), "status": {"S": "REJECTED"}})

    # When one transaction puts, updates and deletes, then fails its last condition
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {**_key("created"), "text": {"S": "new"}}}},
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": _key("updated"),
                        "UpdateExpression": "SET votes = votes + :one ADD tags :b",
                        "ExpressionAttributeValues": {":one": {"N": "1"}, ":b": {"SS": ["b"]}},
                    }
                },
                {"Delete": {"TableName": TABLE, "Key": _key("deleted")}},
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": _key("guard"),
                        "ConditionExpression": "#s = :pending",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {":pending": {"S": "PENDING"}},
                    }
                },
            ]
        )

    # Then DynamoDB's answer names the failed part, and nothing of the transaction remains
    reasons = [reason["Code"] for reason in refused.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "None", "ConditionalCheckFailed"]
    assert "Item" not in dynamodb.get_item(TableName=TABLE, Key=_key("created"))
    updated = dynamodb.get_item(TableName=TABLE, Key=_key("updated"))["Item"]
    assert updated["votes"] == {"N": "1"} and updated["tags"] == {"SS": ["a"]}
    assert dynamodb.get_item(TableName=TABLE, Key=_key("deleted"))["Item"]["text"] == {"S": "kept"}


def test_a_transaction_that_succeeds_applies_every_part(dynamodb: Any) -> None:
    dynamodb.put_item(TableName=TABLE, Item={**_key("p1"), "status": {"S": "APPROVED"}})

    dynamodb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": _key("p1"),
                    "UpdateExpression": "SET #s = :publishing",
                    "ConditionExpression": "#s = :approved",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {
                        ":publishing": {"S": "PUBLISHING"},
                        ":approved": {"S": "APPROVED"},
                    },
                }
            },
            {"Put": {"TableName": TABLE, "Item": {**_key("p1", "AUDIT#1"), "action": {"S": "claimed"}}}},
        ]
    )

    assert dynamodb.get_item(TableName=TABLE, Key=_key("p1"))["Item"]["status"] == {"S": "PUBLISHING"}
    assert dynamodb.get_item(TableName=TABLE, Key=_key("p1", "AUDIT#1"))["Item"]["action"] == {"S": "claimed"}


def test_two_claims_at_once_on_the_same_post_one_wins(dynamodb: Any) -> None:
    # Given an approved post and many runs claiming it at the same moment
    dynamodb.put_item(TableName=TABLE, Item={**_key("post"), "status": {"S": "APPROVED"}})
    won: list[str] = []

    def claim(run: str) -> None:
        try:
            dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": TABLE,
                            "Key": _key("post"),
                            "UpdateExpression": "SET #s = :publishing, run_id = :run",
                            "ConditionExpression": "#s = :approved",
                            "ExpressionAttributeNames": {"#s": "status"},
                            "ExpressionAttributeValues": {
                                ":publishing": {"S": "PUBLISHING"},
                                ":approved": {"S": "APPROVED"},
                                ":run": {"S": run},
                            },
                        }
                    },
                    {"Put": {"TableName": TABLE, "Item": {**_key("post", f"CLAIM#{run}")}}},
                ]
            )
            won.append(run)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "TransactionCanceledException"

    # When they all try
    _run_together(*[lambda run=f"run-{n}": claim(run) for n in range(8)])

    # Then exactly one claimed it, and only its own record of the claim is stored
    assert len(won) == 1
    post = dynamodb.get_item(TableName=TABLE, Key=_key("post"))["Item"]
    assert post["run_id"] == {"S": won[0]}
    claims = dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :claim)",
        ExpressionAttributeValues={":pk": {"S": "post"}, ":claim": {"S": "CLAIM#"}},
    )["Items"]
    assert [item["sk"]["S"] for item in claims] == [f"CLAIM#{won[0]}"]


def test_no_read_sees_half_a_transaction(dynamodb: Any) -> None:
    # Given two counters that every transaction moves together
    for name in ("left", "right"):
        dynamodb.put_item(TableName=TABLE, Item={**_key(name), "n": {"N": "0"}})
    seen: list[tuple[int, int]] = []

    def move_both() -> None:
        for _ in range(150):
            dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": TABLE,
                            "Key": _key(name),
                            "UpdateExpression": "SET n = n + :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}},
                        }
                    }
                    for name in ("left", "right")
                ]
            )

    def read_both() -> None:
        for _ in range(150):
            items = {item["pk"]["S"]: int(item["n"]["N"]) for item in dynamodb.scan(TableName=TABLE)["Items"]}
            seen.append((items["left"], items["right"]))

    # When one client reads both while another moves them
    _run_together(move_both, read_both)

    # Then every read saw both counters equal
    assert [pair for pair in seen if pair[0] != pair[1]] == []


def test_updates_leave_no_copy_of_the_item_behind(dynamodb: Any) -> None:
    # Given an item, and what moto holds on to
    from moto.dynamodb.models.dynamo_type import Item

    dynamodb.put_item(TableName=TABLE, Item={**_key("counter"), "n": {"N": "0"}})
    held = len(Item.instances_tracked)

    # When it is updated many times (moto copies the item on each update)
    for _ in range(50):
        dynamodb.update_item(
            TableName=TABLE,
            Key=_key("counter"),
            UpdateExpression="SET n = n + :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )

    # Then no copy is kept once the update is done
    assert len(Item.instances_tracked) == held
    assert dynamodb.get_item(TableName=TABLE, Key=_key("counter"))["Item"]["n"] == {"N": "50"}


def test_a_snapshot_brings_items_back_as_moto_keeps_them(dynamodb: Any, tmp_path: Path) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    from postdesk_tools.local_stack.moto_snapshot import pickle_state, restore_snapshot, write_snapshot

    # Given an item, in a snapshot
    item = {**_key("kept"), "text": {"S": "é" * 300}, "tags": {"SS": ["a", "b"]}, "n": {"N": "3"}}
    dynamodb.put_item(TableName=TABLE, Item=item)
    write_snapshot(tmp_path / "snapshot", pickle_state(covers=0))

    # When the snapshot is restored (counting moto's per-key size check, which sums the whole item each
    # time: an item of n attributes restored key by key costs n², seconds for 10,000 proposals)
    dynamodb.delete_item(TableName=TABLE, Key=_key("kept"))
    checks = 0
    checked = LimitedSizeDict.__setitem__

    def counted(self: Any, key: str, value: Any) -> None:
        nonlocal checks
        checks += 1
        checked(self, key, value)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(LimitedSizeDict, "__setitem__", counted)
        assert restore_snapshot(tmp_path / "snapshot", recording_size=0) == 0
    assert checks == 0  # the attributes were filled as a whole, as they passed the check when written

    # Then the item is back, its attributes in moto's size-checked dict
    assert dynamodb.get_item(TableName=TABLE, Key=_key("kept"))["Item"] == item
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables[TABLE]
    (restored,) = [i for p in table.items.values() for i in p.values() if i.attrs["pk"].value == "kept"]
    assert type(restored.attrs) is LimitedSizeDict


def test_the_layer_refuses_a_moto_it_was_not_written_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto_dynamodb, "installed_moto_version", lambda: "5.2.6")

    with pytest.raises(moto_dynamodb.UnsupportedMotoVersionError, match=r"5\.2\.5, not 5\.2\.6"):
        moto_dynamodb.install()


# What the layer relies on in moto. When moto moves, these fail: read the new code, adapt the layer,
# and record the new fingerprints here and the new version in MOTO_VERSION and pyproject.toml.
REPLACED_SOURCE_SHA256 = {
    ("moto/dynamodb/models/__init__.py", "DynamoDBBackend", "transact_write_items"): (
        "c3c395e9340064046eeb7cba599af6787b2adb77aa99bb485045679d7f307a0f"
    ),
    ("moto/dynamodb/responses.py", "DynamoHandler", "call_action"): (
        "26be2ac119a899ffd95f9a18b491873ff1b38373a5ac5113a46a423b2c99e198"
    ),
}


def _method_source(relative: str, class_name: str, method: str) -> str:
    import moto

    path = Path(moto.__file__).parent.parent / relative
    source = path.read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            for child in node.body:
                if isinstance(child, ast.FunctionDef) and child.name == method:
                    return ast.get_source_segment(source, child) or ""
    raise AssertionError(f"moto no longer has {class_name}.{method} in {relative}")


def test_the_moto_pinned_is_the_moto_the_layer_patches() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    local_extra = project["project"]["optional-dependencies"]["local"]

    assert f"moto[server]=={moto_dynamodb.MOTO_VERSION}" in local_extra
    assert moto_dynamodb.installed_moto_version() == moto_dynamodb.MOTO_VERSION


@pytest.mark.parametrize(("relative", "class_name", "method"), sorted(REPLACED_SOURCE_SHA256))
def test_the_moto_code_the_layer_replaces_is_unchanged(relative: str, class_name: str, method: str) -> None:
    source = _method_source(relative, class_name, method)

    fingerprint = hashlib.sha256(source.encode("utf-8")).hexdigest()

    assert fingerprint == REPLACED_SOURCE_SHA256[(relative, class_name, method)]


def test_the_moto_internals_the_layer_calls_are_there() -> None:
    from moto.core.responses import BaseResponse
    from moto.dynamodb import exceptions
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    def parameters(function: Any) -> list[str]:
        return list(inspect.signature(function).parameters)

    # Every DynamoDB request reaches the backend through call_action, looked up on the instance
    assert "self.call_action()" in inspect.getsource(BaseResponse._dispatch)
    # The backend calls the transaction makes, with the keywords it passes
    assert parameters(DynamoDBBackend.get_table) == ["self", "table_name"]
    assert parameters(DynamoDBBackend.get_item)[:3] == ["self", "table_name", "keys"]
    for method, expected in {
        DynamoDBBackend.put_item: ["table_name", "item_attrs"],
        DynamoDBBackend.delete_item: ["table_name", "key"],
        DynamoDBBackend.update_item: ["table_name", "key", "update_expression"],
    }.items():
        names = parameters(method)
        assert names[1 : 1 + len(expected)] == expected
        assert {"condition_expression", "expression_attribute_names", "expression_attribute_values"} <= set(
            names
        )
    assert parameters(get_filter_expression)[:3] == ["expr", "names", "values"]
    # The table's storage the undo list puts items back into
    assert parameters(Table.get_item)[:3] == ["self", "hash_key", "range_key"]
    assert isinstance(inspect.getattr_static(Table, "has_range_key"), property)
    assert "self.items = defaultdict(dict)" in inspect.getsource(Table.__init__)
    assert "self.items[hash_value][range_value] = item" in inspect.getsource(Table.put_item)
    # What items are made of: the dict that checks an item's size on every key set (a restored item
    # is filled without it), and the instance tracking an item is spared
    from moto.core.common_models import BaseModel
    from moto.dynamodb.models.dynamo_type import Item, LimitedSizeDict

    assert issubclass(LimitedSizeDict, dict) and "405000" in inspect.getsource(LimitedSizeDict.__setitem__)
    assert issubclass(Item, BaseModel) and "instances_tracked.append" in inspect.getsource(BaseModel.__new__)
    # What the console reads in moto's process (moto_console): sent mail in order, items as stored
    from moto.ses.models import RawMessage, SESBackend

    assert parameters(RawMessage.__init__) == ["self", "message_id", "source", "destinations", "raw_data"]
    assert "self.sent_messages.append(raw_message)" in inspect.getsource(SESBackend.send_raw_email)
    assert parameters(Item.to_json) == ["self", "root_attr_name"]
    # The exceptions it raises, as moto's handler turns them into DynamoDB's answers
    assert parameters(exceptions.TransactionCanceledException.__init__) == ["self", "errors"]
    assert "item" in parameters(exceptions.ConditionalCheckFailed.__init__)
    for name in (
        "MockValidationException",
        "MultipleTransactionsException",
        "TooManyTransactionsException",
        "TransactWriteSingleOpException",
    ):
        assert issubclass(getattr(exceptions, name), exceptions.MockValidationException)
