"""The publish function, as the API function reaches it: an urgent call for witnesses does not wait for
the morning run; once its quorum is reached, the publish function is asked to publish it now.

An asynchronous invocation (InvocationType=Event): the approver's request does not wait for X. The
claim protects the post: a morning run at the same moment publishes it once."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from postdesk.aws import AWS_TIMEOUTS


@lru_cache(maxsize=1)
def _lambda_client() -> Any:  # the Lambda stubs are not among the project's boto3-stubs
    import boto3

    return boto3.client("lambda", config=AWS_TIMEOUTS)


def invoke_publish_function(function_name: str, proposal_id: str) -> None:
    """Queue a publish of this one proposal (Lambda answers at once)."""
    _lambda_client().invoke(
        FunctionName=function_name,
        InvocationType="Event",
        Payload=json.dumps({"proposal_id": proposal_id}).encode(),
    )
