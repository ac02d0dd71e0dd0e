"""`POST /_local/digest`: send the approvers' morning digest now, through the digest function, in its own
execution environments (as the schedule would, but each call is a run of its own, so it can be tried
again). A browser's form post is sent on to the outbox, where the digest is; a script gets the report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from postdesk_tools.local_stack.console import Console, ConsoleRequest, ConsoleResponse
from postdesk_tools.local_stack.console_pages import DIGEST, OUTBOX
from postdesk_tools.local_stack.lambda_function import InvocationError

if TYPE_CHECKING:
    from postdesk_tools.local_stack.lambda_function import Function

DIGEST_FUNCTION = "DigestFunction"
__all__ = ["DIGEST", "DIGEST_FUNCTION", "add_digest_console"]


def add_digest_console(console: Console, *, function: Function) -> None:
    def digest(request: ConsoleRequest) -> ConsoleResponse:
        try:
            report = function.invoke({"run_key": f"by-hand-{datetime.now(UTC).isoformat()}"})
        except InvocationError as error:
            return ConsoleResponse.failed_run(request, "Le récapitulatif a échoué", "the digest", error)
        if request.wants_html():
            return ConsoleResponse.redirect(OUTBOX)
        return ConsoleResponse.json(report)

    console.add(
        "POST",
        DIGEST,
        digest,
        "Envoyer maintenant le récapitulatif du matin aux décideurs (puis la boîte d'envoi)",
    )
