"""`POST /_local/digest`: send the approvers' morning digest now, through the digest function's handler
(as the schedule would, but each call is a run of its own, so it can be tried again)."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from typing import Any

from postdesk_tools.local_stack.console import PREFIX, Console, ConsoleRequest, ConsoleResponse
from postdesk_tools.local_stack.console_pages import OUTBOX
from postdesk_tools.local_stack.lambda_function import FunctionSettings, LambdaContext

DIGEST_FUNCTION = "DigestFunction"
DIGEST = f"{PREFIX}digest"


def add_digest_console(console: Console, *, template: dict[str, Any]) -> None:
    settings = FunctionSettings.from_template(template, DIGEST_FUNCTION)

    def digest(request: ConsoleRequest) -> ConsoleResponse:
        module_name, _, attribute = settings.handler.rpartition(".")
        handler = getattr(importlib.import_module(module_name), attribute)
        report = handler({"run_key": f"by-hand-{datetime.now(UTC).isoformat()}"}, LambdaContext(settings))
        if "text/html" in request.headers.get("accept", ""):
            return ConsoleResponse(303, "text/plain; charset=utf-8", b"", {"Location": OUTBOX})
        return ConsoleResponse.json(report)

    console.add("POST", DIGEST, digest, "Send the approvers' morning digest now (then see the outbox)")
