"""An urgent call for witnesses does not wait for the morning run: once its quorum is reached, the API
function asks the publish function to publish it now.

In AWS that is an asynchronous invocation of the publish function (the approver's request does not
wait for X); where no function is named (the local stack, the tests), the same use case runs in this
process. Either way the claim protects the post: a morning run at the same moment publishes it once."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from postdesk.mail import AWS_TIMEOUTS

if TYPE_CHECKING:
    from collections.abc import Callable

    from postdesk.config import Settings


@lru_cache(maxsize=1)
def _lambda_client() -> Any:  # the Lambda stubs are not among the project's boto3-stubs
    import boto3

    return boto3.client("lambda", config=AWS_TIMEOUTS)


def invoke_publish_function(function_name: str, proposal_id: str) -> None:
    """Queue a publish of this one proposal (InvocationType=Event: Lambda answers at once)."""
    _lambda_client().invoke(
        FunctionName=function_name,
        InvocationType="Event",
        Payload=json.dumps({"proposal_id": proposal_id}).encode(),
    )


def publish_now_hook(settings: Settings) -> Callable[[str], None]:
    function_name = settings.publish_function_name
    if function_name:
        return lambda proposal_id: invoke_publish_function(function_name, proposal_id)

    def in_this_process(proposal_id: str) -> None:
        from postdesk.publishing import publish_urgent
        from postdesk.services import get_services

        publish_urgent(get_services(), proposal_id)

    return in_this_process
