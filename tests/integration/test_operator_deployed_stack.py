"""The operator's verbs against a deployed stack, found by its name alone (`--stack`): its outputs and
parameters from CloudFormation, its functions' environment from Lambda, its runs invoked as Lambda
functions. moto plays the account: the stack is created through moto's CloudFormation with the
functions, parameter, alarm, outputs and parameters the verbs look up (names checked against
template.yaml in tests/infrastructure). moto cannot run a Lambda function without Docker, so its
`lambda_simple` backend answers an invocation with the report queued for it: the one the real publish
use case gives on the same table, run here."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import boto3
import pytest
import requests
import yaml
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from postdesk_tools.cli import main
from postdesk_tools.local_stack.template_resources import LocalNames, create_resources, load_template
from tests.integration.conftest import APPROVERS, BASE_URL, REGION, SENDER, Stack
from tests.integration.review_steps import DIRECTOR, pending_proposal, press, review_link

STACK_NAME = "postdesk-production"
FUNCTIONS_ENVIRONMENT = {
    "TABLE_NAME": "postdesk-prod-table",
    "MEDIA_BUCKET": "postdesk-prod-media",
    "SIGNING_KEYS_SECRET": "postdesk-prod-signing-keys",
    "SENDER_ADDRESS": SENDER,
    "PUBLIC_BASE_URL": BASE_URL,
    "APPROVERS": ",".join(APPROVERS),
    "ALLOWED_PROPOSER_DOMAINS": "example.org",
    "TIME_ZONE": "Europe/Paris",
    "CHANNEL": "x",
    "X_CREDENTIALS_SECRET": "",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "Postdesk",
    "POWERTOOLS_SERVICE_NAME": "postdesk",
}


def _function(description: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Description": description,
            "Runtime": "python3.12",
            "Handler": "index.handler",
            "Role": {"Fn::GetAtt": ["FunctionRole", "Arn"]},
            "Code": {"ZipFile": "def handler(event, context):\n    return {}\n"},
            "Environment": {
                "Variables": {
                    **FUNCTIONS_ENVIRONMENT,
                    "APPROVERS_PARAMETER": {"Ref": "ApproversParameter"},
                }
            },
        },
    }


STACK_TEMPLATE = {
    "Parameters": {
        "PublishSchedule": {"Type": "String"},
        "DigestSchedule": {"Type": "String"},
        "TimeZone": {"Type": "String"},
    },
    "Resources": {
        "FunctionRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            },
        },
        "ApproversParameter": {
            "Type": "AWS::SSM::Parameter",
            # CloudFormation names it (the template gives no name); moto needs one given.
            "Properties": {
                "Name": "CFN-ApproversParameter-Q2w3E4",
                "Type": "String",
                "Value": ",".join(APPROVERS),
            },
        },
        "ApiFunction": _function("postdesk web pages and JSON API"),
        "PublishFunction": _function("postdesk morning run"),
        "DigestFunction": _function("postdesk morning digest"),
    },
    "Outputs": {
        "ApiUrl": {"Value": "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"},
        "TableName": {"Value": FUNCTIONS_ENVIRONMENT["TABLE_NAME"]},
    },
}


@pytest.fixture(name="deployed")
def deployed_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """A stack deployed in moto's account, and an operator's shell that holds none of its environment."""
    for name in [*FUNCTIONS_ENVIRONMENT, "APPROVERS_PARAMETER", "AWS_ENDPOINT_URL", "AWS_PROFILE"]:
        if not name.startswith("POWERTOOLS_"):  # the functions run in this process too: they keep theirs
            monkeypatch.delenv(name, raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        **{name: value for name, value in FUNCTIONS_ENVIRONMENT.items() if name.startswith("POWERTOOLS_")},
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws(config={"lambda": {"use_docker": False}}):
        create_resources(
            load_template(),
            LocalNames(
                table_name=FUNCTIONS_ENVIRONMENT["TABLE_NAME"],
                media_bucket=FUNCTIONS_ENVIRONMENT["MEDIA_BUCKET"],
                signing_keys_secret=FUNCTIONS_ENVIRONMENT["SIGNING_KEYS_SECRET"],
            ),
            dynamodb=boto3.client("dynamodb"),
            s3=boto3.client("s3"),
            secretsmanager=boto3.client("secretsmanager"),
        )
        boto3.client("ses").verify_email_identity(EmailAddress=SENDER)
        boto3.client("cloudformation").create_stack(
            StackName=STACK_NAME,
            TemplateBody=yaml.safe_dump(STACK_TEMPLATE),
            Parameters=[
                {"ParameterKey": "PublishSchedule", "ParameterValue": "cron(0 9 ? * MON-FRI *)"},
                {"ParameterKey": "DigestSchedule", "ParameterValue": "cron(30 8 ? * MON-FRI *)"},
                {"ParameterKey": "TimeZone", "ParameterValue": "Europe/Paris"},
            ],
            Capabilities=["CAPABILITY_IAM"],
        )
        yield Stack()
    from postdesk.handlers.wiring import reset_services

    reset_services()
    parameters.clear_caches()


def postdesk(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    printed = capsys.readouterr()
    return code, printed.out, printed.err


def test_the_operator_finds_a_deployed_stack_by_its_name_alone(
    deployed: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    # When the operator asks for the status of the stack by its name
    code, printed, _ = postdesk(capsys, "status", "--stack", STACK_NAME, "--json")

    # Then what they read is the stack's: its table, approvers, time zone and schedules
    report = json.loads(printed)
    assert code == 0
    assert report["stack"] == f"the stack {STACK_NAME} in {REGION}"
    assert report["proposals"]["total"] == 0
    assert report["approvers"] == APPROVERS
    runs = report["next_runs"]
    assert runs["morning run"]["expression"] == "cron(0 9 ? * MON-FRI *)"
    first = datetime.fromisoformat(runs["morning run"]["next"][0])
    assert (first.hour, first.minute) == (9, 0) and first.isoweekday() <= 5

    # And what needs a person: a stack with no X credentials publishes nothing
    assert [entry["what"] for entry in report["needs_a_person"]] == ["no X credentials"]


def test_an_alarm_of_the_stack_in_alarm_needs_a_person(
    deployed: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an alarm of the stack, named by CloudFormation after the stack, gone off
    cloudwatch = boto3.client("cloudwatch")
    name = f"{STACK_NAME}-PublishFunctionErrorsAlarm-1A2B3C4D5E6F"
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="1 error in the morning run")

    # When the operator asks for the status
    code, printed, _ = postdesk(capsys, "status", "--stack", STACK_NAME)

    assert code == 0
    assert "Needs a person" in printed
    # Then the alarm is among what needs a person, with its reason
    assert name in printed and "1 error in the morning run" in printed


def test_a_stack_that_does_not_exist_is_named_in_the_answer(
    deployed: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, printed, problem = postdesk(capsys, "status", "--stack", "postdesk-staging")

    assert code == 1 and printed == ""
    assert f"there is no stack postdesk-staging in {REGION}" in problem


def test_the_operator_reads_the_proposals_of_the_deployed_stack(
    deployed: Stack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a proposal made and approved through the stack's API (its functions' environment, here)
    from postdesk.handlers.wiring import get_services, reset_services

    with monkeypatch.context() as functions:
        for name, value in FUNCTIONS_ENVIRONMENT.items():
            functions.setenv(name, value)
        reset_services()
        get_services().clock = lambda: deployed.now
        proposal_id = pending_proposal(deployed, text="Un texte déployé.")
        press(deployed, review_link(deployed, DIRECTOR, "Approuver"))
        reset_services()

    # When the operator lists and shows it, naming the stack only
    code, listed, _ = postdesk(capsys, "list", "--stack", STACK_NAME, "--state", "APPROVED")
    shown = json.loads(postdesk(capsys, "show", proposal_id, "--stack", STACK_NAME, "--json")[1])

    # Then they read the stack's table
    assert code == 0 and proposal_id in listed and "Un texte déployé." in listed
    assert shown["status"] == "APPROVED" and [v["approver"] for v in shown["votes"]] == [DIRECTOR]


def test_the_operator_changes_the_approvers_of_the_deployed_stack(
    deployed: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    today = date.today().isoformat()
    code, _, _ = postdesk(
        capsys,
        "approvers",
        "--stack",
        STACK_NAME,
        "stand-in",
        "deputy2@example.org",
        "relief@example.org",
        "--from",
        today,
        "--until",
        today,
    )

    assert code == 0
    ssm = boto3.client("ssm")
    (name,) = [p["Name"] for p in ssm.describe_parameters()["Parameters"]]
    stored = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    assert stored["approvers"] == APPROVERS
    assert stored["stand_ins"] == [
        {"approver": "deputy2@example.org", "stand_in": "relief@example.org", "from": today, "until": today}
    ]


def _queue_function_answer(answer: dict[str, Any]) -> None:
    """What the next invocation answers (moto's lambda_simple backend)."""
    requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/lambda-simple/response",
        json={"results": [json.dumps(answer)], "region": REGION},
        timeout=5,
    )


def test_a_dry_run_on_the_deployed_stack_invokes_its_publish_function(
    deployed: Stack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the report the publish function gives for an approved post
    from postdesk.handlers.wiring import get_services, reset_services
    from postdesk.use_cases.morning_run import morning_run

    with monkeypatch.context() as functions:
        for name, value in FUNCTIONS_ENVIRONMENT.items():
            functions.setenv(name, value)
        reset_services()
        get_services().clock = lambda: deployed.now
        proposal_id = pending_proposal(deployed, text="Publié par la fonction.")
        press(deployed, review_link(deployed, DIRECTOR, "Approuver"))
        answer = morning_run(get_services(), dry_run=True).as_dict()
        reset_services()
    _queue_function_answer(answer)

    # When the operator asks for a dry run
    code, printed, _ = postdesk(capsys, "publish", "--dry-run", "--stack", STACK_NAME)

    # Then they read what the function answered
    assert code == 0
    assert "Would publish, in this order (1):" in printed and proposal_id in printed
    assert "Dry run: nothing was changed." in printed
