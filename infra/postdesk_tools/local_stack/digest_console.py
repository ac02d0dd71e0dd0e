"""`POST /_local/digest`: send the approvers' morning digest now, through the digest function, in its own
execution environments (as the schedule would, but each call is a run of its own, so it can be tried
again)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from postdesk_tools.local_stack.console import PREFIX, Console, ConsoleRequest, ConsoleResponse
from postdesk_tools.local_stack.console_pages import OUTBOX
from postdesk_tools.local_stack.lambda_function import InvocationError

if TYPE_CHECKING:
    from postdesk_tools.local_stack.lambda_function import Function

DIGEST_FUNCTION = "DigestFunction"
DIGEST = f"{PREFIX}digest"


def add_digest_console(console: Console, *, function: Function) -> None:
    def digest(request: ConsoleRequest) -> ConsoleResponse:
        try:
            report = function.invoke({"run_key": f"by-hand-{datetime.now(UTC).isoformat()}"})
        except InvocationError as error:
            return ConsoleResponse.json({"message": f"the digest failed: {error}"}, status=502)
        if "text/html" in request.headers.get("accept", ""):
            return ConsoleResponse(303, "text/plain; charset=utf-8", b"", {"Location": OUTBOX})
        return ConsoleResponse.json(report)

    console.add("POST", DIGEST, digest, "Send the approvers' morning digest now (then see the outbox)")
