"""Every AWS call the integration tests make, attributed to the Lambda function that made it, so that a
test can compare them with each function's policy in template.yaml (tests/least_privilege).

The hook is botocore's `BaseClient._make_api_call`, where every client passes: boto3's, the one
pynamodb builds per thread from its own botocore session, and those Powertools builds. A call belongs
to the function whose `lambda_handler` (postdesk.handlers.<name>) is on the calling thread's stack, the
innermost one; the API's in-process urgent publish (handlers.wiring, where no function is named) stands
for the publish function, which Lambda would run. Calls made by the tests themselves, outside any
handler (setting up, reading back), belong to no function and are not recorded.

Each xdist worker appends what it saw to a file of the run's folder (`.aws-calls/`, `make test` clears
it), read by tests/least_privilege after the integration tests."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parameters.base import BaseProvider
from botocore.client import BaseClient

from postdesk_tools.local_stack.template_resources import load_template

ROOT = Path(__file__).resolve().parents[2]
CALLS_DIR = Path(os.environ.get("POSTDESK_AWS_CALLS_DIR", ROOT / ".aws-calls"))
URGENT_IN_PROCESS = ("postdesk.handlers.wiring", "in_this_process")
# Request fields that name what a call acts on (the rest, item contents above all, is not kept).
KEPT_FIELDS = (
    "TableName",
    "IndexName",
    "Bucket",
    "Key",
    "Prefix",
    "Tagging",
    "SecretId",
    "Name",
    "FunctionName",
    "InvocationType",
    "Source",
    "ConfigurationSetName",
)


@dataclass(frozen=True)
class AwsCall:
    function: str  # the template's logical id
    service: str  # botocore's service name: dynamodb, s3, ses, ...
    operation: str  # the API operation: GetItem, TransactWriteItems, HeadObject, ...
    request: dict[str, Any]  # the fields that name what it acts on; a transaction's items in `items`


def handler_functions() -> dict[str, str]:
    """{handler module: function logical id}, from template.yaml."""
    resources = load_template()["Resources"]
    return {
        resource["Properties"]["Handler"].rpartition(".")[0]: logical_id
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


_FUNCTIONS = handler_functions()
_PUBLISH = _FUNCTIONS["postdesk.handlers.publish"]


def calling_function(frame: FrameType | None) -> str | None:
    """The function whose handler is innermost on this stack, or None outside any handler."""
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        name = frame.f_code.co_name
        if name == "lambda_handler" and module in _FUNCTIONS:
            return _FUNCTIONS[module]
        if (module, name) == URGENT_IN_PROCESS:
            return _PUBLISH
        frame = frame.f_back
    return None


def _request(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    kept = {name: params[name] for name in KEPT_FIELDS if name in params}
    if operation in ("TransactWriteItems", "TransactGetItems"):
        kept["items"] = [
            {kind: {"TableName": body.get("TableName")} for kind, body in item.items()}
            for item in params.get("TransactItems", [])
        ]
    if operation in ("BatchWriteItem", "BatchGetItem"):
        kept["items"] = [
            {
                "TableName": table,
                "kinds": sorted({next(iter(r)) for r in requests} if isinstance(requests, list) else {"Get"}),
            }
            for table, requests in params.get("RequestItems", {}).items()
        ]
    return kept


class Recorder:
    def __init__(self) -> None:
        self.calls: list[AwsCall] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        original = BaseClient._make_api_call
        recorder = self

        def recording(client: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
            function = calling_function(sys._getframe(1))
            if function is not None:
                service = client.meta.service_model.service_name
                recorder.calls.append(
                    AwsCall(function, service, operation_name, _request(operation_name, api_params))
                )
            return original(client, operation_name, api_params)

        monkeypatch.setattr(BaseClient, "_make_api_call", recording)

        # Each Lambda function is a process of its own, with its own Powertools cache: a secret or a
        # parameter one handler fetched must not spare another handler, in this one process, its call.
        original_get = BaseProvider.get

        def get_in_own_cache(provider: BaseProvider, *args: Any, **kwargs: Any) -> Any:
            function = calling_function(sys._getframe(1))
            if function is not None and getattr(provider, "_postdesk_cache_owner", None) != function:
                provider.clear_cache()
                provider._postdesk_cache_owner = function  # type: ignore[attr-defined]
            return original_get(provider, *args, **kwargs)

        monkeypatch.setattr(BaseProvider, "get", get_in_own_cache)


@pytest.fixture(scope="session")
def _session_recorder() -> Iterator[Recorder]:
    recorder = Recorder()
    patch = pytest.MonkeyPatch()
    recorder.install(patch)
    yield recorder
    patch.undo()
    if recorder.calls:
        CALLS_DIR.mkdir(exist_ok=True)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        target = CALLS_DIR / f"calls-{worker}-{os.getpid()}.jsonl"
        with target.open("a", encoding="utf-8") as file:
            for call in recorder.calls:
                file.write(json.dumps(asdict(call)) + "\n")


@pytest.fixture(autouse=True)
def aws_calls(_session_recorder: Recorder) -> Iterator[list[AwsCall]]:
    """The calls the handlers make during this test (every test's calls are also kept for the run)."""
    start = len(_session_recorder.calls)
    view: list[AwsCall] = []
    yield view
    view.extend(_session_recorder.calls[start:])


def read_recorded_calls(folder: Path = CALLS_DIR) -> list[AwsCall]:
    calls: list[AwsCall] = []
    for path in sorted(folder.glob("calls-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                calls.append(AwsCall(**json.loads(line)))
    return calls
