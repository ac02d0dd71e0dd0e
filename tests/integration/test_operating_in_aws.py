"""What only a deployed stack does: SES reports a bounce, the API hands an urgent post to the publish
function through Lambda, the sweep meets an SES that still refuses. Each drives the real handler on
moto, so its AWS calls are recorded for the least-privilege check."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from typing import Any

import boto3
import pytest

from postdesk.handlers.wiring import get_services
from tests.integration.conftest import REGION, SENDER, Context, Stack
from tests.integration.publishing_steps import status_of, use_environment
from tests.integration.review_steps import DEPUTY1, DIRECTOR, PROPOSER, pending_proposal, press, review_link

WITNESS_APPEAL = {
    "text": "Appel à témoins : vol à l'arraché rue des Lilas hier vers 18 h. Contactez le 17.",
    "kind": "witness_appeal",
    "prosecutor_reference": "PR-2026-78",
    "urgent": True,
}


def _ses_event(event_type: str, proposal_id: str, detail: dict[str, Any]) -> dict[str, Any]:
    """An SNS delivery of an SES configuration-set event, as SES publishes it."""
    notification = {
        "eventType": event_type,
        "mail": {
            "messageId": "0102018f-bounce",
            "source": SENDER,
            "destination": [PROPOSER],
            "tags": {"ses:configuration-set": ["postdesk-test-mail"], "proposal": [proposal_id]},
            "commonHeaders": {"subject": "Confirmez votre proposition"},
        },
        event_type.lower(): detail,
    }
    return {
        "Records": [
            {"EventSource": "aws:sns", "Sns": {"MessageId": "m-1", "Message": json.dumps(notification)}}
        ]
    }


def test_a_bounced_mail_lands_on_the_proposal_s_journal(stack: Stack) -> None:
    from postdesk.handlers.mail_events import lambda_handler

    # Given a proposal whose confirmation mail went out tagged with its id
    created = stack.post_json("/proposals", {"text": "Bonjour", "kind": "advice", "proposer_email": PROPOSER})
    proposal_id = created.json()["id"]

    # When SES reports that the proposer's mailbox refused it for good
    bounce = {
        "bounceType": "Permanent",
        "bounceSubType": "NoEmail",
        "bouncedRecipients": [{"emailAddress": PROPOSER}],
    }
    answer = lambda_handler(_ses_event("Bounce", proposal_id, bounce), Context())

    # Then the proposal's journal says which mail bounced, to whom and why
    assert answer == {"recorded": ["mail_bounced"]}
    (entry,) = [e for e in stack.audit(proposal_id) if e.action == "mail_bounced"]
    assert entry.actor == "ses"
    assert PROPOSER in entry.detail and "Permanent/NoEmail" in entry.detail
    assert "Confirmez votre proposition" in entry.detail


def test_a_message_that_is_not_an_ses_event_is_dropped_with_a_log_not_retried(stack: Stack) -> None:
    from postdesk.handlers.mail_events import lambda_handler

    event = {"Records": [{"EventSource": "aws:sns", "Sns": {"MessageId": "m-2", "Message": "not json"}}]}
    assert lambda_handler(event, Context()) == {"recorded": [None]}


def test_in_aws_an_urgent_post_is_handed_to_the_publish_function_through_lambda(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    import moto.core.config

    import postdesk.store.publish_function

    # Given the publish function in Lambda (moto's Lambda that runs no code) and the API told its name
    monkeypatch.setitem(moto.core.config.default_user_config, "lambda", {"use_docker": False})
    role = boto3.client("iam", region_name=REGION).create_role(
        RoleName="publish", AssumeRolePolicyDocument="{}"
    )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as package:
        package.writestr("handler.py", "def lambda_handler(event, context):\n    return {}\n")
    function = boto3.client("lambda", region_name=REGION).create_function(
        FunctionName="postdesk-PublishFunction-abc",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="handler.lambda_handler",
        Code={"ZipFile": archive.getvalue()},
    )
    monkeypatch.setenv("PUBLISH_FUNCTION_NAME", function["FunctionName"])
    postdesk.store.publish_function._lambda_client.cache_clear()
    use_environment(stack)

    # When two approvers approve an urgent call for witnesses
    proposal_id = pending_proposal(stack, **WITNESS_APPEAL)
    press(stack, review_link(stack, DIRECTOR, "Approuver"))
    answer = press(stack, review_link(stack, DEPUTY1, "Approuver"))

    # Then the approver's page answers at once, and the post waits, approved, for the publish function
    assert answer.status == 200
    assert status_of(stack, proposal_id) == "APPROVED"
    postdesk.store.publish_function._lambda_client.cache_clear()


def test_a_mail_the_sweep_still_cannot_send_stays_owed_and_is_journaled(stack: Stack) -> None:
    from postdesk.handlers.mail_sweep import lambda_handler as sweep

    # Given a proposal whose confirmation mail is owed (SES refused the sender: its identity was removed)
    ses = boto3.client("ses", region_name=REGION)
    ses.delete_identity(Identity=SENDER)
    created = stack.post_json("/proposals", {"text": "Bonjour", "kind": "advice", "proposer_email": PROPOSER})
    proposal_id = created.json()["id"]
    assert len(get_services().store.owed_mail()) == 1

    # When the sweep runs while SES still refuses
    stack.now += timedelta(minutes=2)
    assert sweep({}, Context()) == {"sent": 0}

    # Then the mail is still owed, and each failure is on the proposal's journal
    assert len(get_services().store.owed_mail()) == 1
    assert [e.action for e in stack.audit(proposal_id)].count("mail_failed") == 2
