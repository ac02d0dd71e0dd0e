"""The morning run in template.yaml: its schedule keeps the organisation's hour, nothing retries it blindly,
it reads only the due index, and X's library is loaded only by what posts."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from postdesk_tools.local_stack.template_resources import load_template

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
PUBLISH = RESOURCES["PublishFunction"]["Properties"]


def _statements(properties: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for policy in properties["Policies"]:
        if isinstance(policy, dict) and "Statement" in policy:
            found += policy["Statement"]
    return found


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def test_the_morning_run_is_scheduled_in_the_organisations_time_zone_with_its_scheduled_time() -> None:
    schedule = PUBLISH["Events"]["Morning"]
    assert schedule["Type"] == "ScheduleV2"  # SAM makes the AWS::Scheduler::Schedule and its role
    properties = schedule["Properties"]
    assert properties["ScheduleExpression"] == {"Ref": "PublishSchedule"}
    assert properties["ScheduleExpressionTimezone"] == {"Ref": "TimeZone"}
    assert properties["Input"] == '{"scheduled_time": "<aws.scheduler.scheduled-time>"}'


def test_neither_the_scheduler_nor_lambda_retries_the_run() -> None:
    assert PUBLISH["Events"]["Morning"]["Properties"]["RetryPolicy"]["MaximumRetryAttempts"] == 0
    assert PUBLISH["EventInvokeConfig"]["MaximumRetryAttempts"] == 0


def test_the_run_has_time_for_the_cap_and_its_spacing() -> None:
    spacing = TEMPLATE["Parameters"]["PublishSpacingSeconds"]
    cap = int(TEMPLATE["Parameters"]["PublishCap"]["Default"])
    assert PUBLISH["Timeout"] == 900
    assert (cap - 1) * spacing["MaxValue"] + cap * 120 <= PUBLISH["Timeout"]
    assert PUBLISH["Environment"]["Variables"]["PUBLISH_SPACING_SECONDS"] == {"Ref": "PublishSpacingSeconds"}


def test_the_run_queries_the_due_index_and_never_scans() -> None:
    statements = _statements(PUBLISH)
    actions = {action for statement in statements for action in _actions(statement)}
    assert "dynamodb:Scan" not in actions
    assert not any(action.endswith("*") for action in actions)
    query = next(s for s in statements if "dynamodb:Query" in _actions(s))
    index_resources = [r for r in query["Resource"] if isinstance(r, dict) and "Fn::Sub" in r]
    assert index_resources == [{"Fn::Sub": "${ProposalsTable.Arn}/index/due"}]


def test_the_x_credentials_are_readable_only_when_a_secret_is_named() -> None:
    conditional = [
        p
        for p in PUBLISH["Policies"]
        if isinstance(p, dict) and p.get("Fn::If", [""])[0] == "HasXCredentials"
    ]
    assert len(conditional) == 1
    condition, policy, otherwise = conditional[0]["Fn::If"]
    assert condition == "HasXCredentials"
    assert otherwise == {"Ref": "AWS::NoValue"}
    assert policy["Statement"][0]["Action"] == "secretsmanager:GetSecretValue"
    assert TEMPLATE["Conditions"]["HasXCredentials"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "XCredentialsSecretName"}, ""]}]
    }


def test_the_api_may_start_an_urgent_publish_and_nothing_else_of_lambda() -> None:
    api = RESOURCES["ApiFunction"]["Properties"]
    assert api["Environment"]["Variables"]["PUBLISH_FUNCTION_NAME"] == {"Ref": "PublishFunction"}
    assert {"LambdaInvokePolicy": {"FunctionName": {"Ref": "PublishFunction"}}} in api["Policies"]


def test_only_what_posts_imports_tweepy() -> None:
    # Given fresh interpreters, as Lambda's cold start
    program = (
        "import sys, importlib; importlib.import_module(sys.argv[1]); "
        "print('tweepy' in sys.modules, 'requests_oauthlib' in sys.modules)"
    )
    for handler in ("postdesk.handlers.api", "postdesk.handlers.publish"):
        # When the handler's module is imported
        answer = subprocess.run(
            [sys.executable, "-c", program, handler], capture_output=True, text=True, check=True, timeout=60
        )
        # Then X's library is not loaded (the publish function loads it when a run opens the channel)
        assert answer.stdout.split() == ["False", "False"], handler
