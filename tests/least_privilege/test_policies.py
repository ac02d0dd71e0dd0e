"""Least privilege, proven: every AWS call each function made in the integration tests is granted by
that function's policy in template.yaml, and every grant was used by some call (or is listed below with
its reason). Actions and resources both.

It reads what tests/integration recorded (tests/integration/aws_calls.py), so it runs after them:
`make test` runs it as a second step. Alone: `pytest tests/integration && pytest -m least_privilege`."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

import pytest

from postdesk_tools.local_stack.template_resources import load_template
from tests.integration.aws_calls import CALLS_DIR, AwsCall, read_recorded_calls
from tests.template_values import PSEUDO, Deployment

pytestmark = pytest.mark.least_privilege

TEMPLATE = load_template()
REGION, ACCOUNT = PSEUDO["AWS::Region"], PSEUDO["AWS::AccountId"]
# The deployment the integration tests stand for: default parameters, X credentials named (the
# publishing tests set them), proposals by email enabled (the inbound tests run that function).
DEPLOYMENT = Deployment(
    TEMPLATE,
    {
        "XCredentialsSecretName": "postdesk-test/x-credentials",
        "EmailReceiving": "Enabled",
        "SubmissionAddress": "propositions@example.org",
    },
)
# The tests' and the local stack's physical names -> what the template's resources resolve to.
PHYSICAL_NAMES = {
    "postdesk-test": "ProposalsTable",
    "postdesk": "ProposalsTable",
    "postdesk-prod-table": "ProposalsTable",  # the operator's tests, against a "deployed" stack
    "postdesk-approvers": "ApproversParameter",  # the local stack's
    "postdesk-test-media": "MediaBucket",
    "postdesk-media": "MediaBucket",
    "postdesk-test-signing-keys": "SigningKeysSecret",
    "postdesk-test-approvers": "ApproversParameter",
    "postdesk/signing-keys": "SigningKeysSecret",
    "postdesk-prod-signing-keys": "SigningKeysSecret",
    "postdesk-test-mail": "MailConfigurationSet",
    "/postdesk-test/public-base-url": f"/{PSEUDO['AWS::StackName']}/public-base-url",
    "/postdesk-local/public-base-url": f"/{PSEUDO['AWS::StackName']}/public-base-url",
    "postdesk-test/x-credentials": "postdesk-test/x-credentials",
    "postdesk-PublishFunction-abc": "PublishFunction",  # <stack>-<logical id>-<suffix>, as CloudFormation names it
}
# Granted though no call names it, each for a reason: (function or "*", action, resource pattern).
UNCALLED_GRANTS = {
    ("InboundMailFunction", "s3:ListBucket", "MediaBucket.Arn"): (
        "S3 consults it to answer GetObject on a missing raw mail: NoSuchKey with it, AccessDenied without"
    ),
    ("PublishFunction", "ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/ApproversParameter"): (
        "the run reads the approvers to alert them (X refusing the credentials, posts to settle) and, with "
        "ApproverNotifications=all, to tell them of publications; the tests that drive those paths set "
        "APPROVERS, not the parameter that only a deployed or local stack has"
    ),
    ("*", "ses:SendRawEmail", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/example.org"): (
        "SES authorises a send against the sender domain's identity when the address itself is not a "
        "verified identity (SenderDomainIdentity, the recommended set-up); the tests verify the address"
    ),
}


def _listed(function: str, grant: Grant) -> bool:
    return any((key, grant.action, grant.resource) in UNCALLED_GRANTS for key in (function, "*"))


TRANSACTION_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}
S3_ACTIONS = {"HeadObject": "s3:GetObject", "ListObjectsV2": "s3:ListBucket", "ListObjects": "s3:ListBucket"}
SERVICE_PREFIX = {"lambda": "lambda", "secretsmanager": "secretsmanager"}


@dataclass(frozen=True)
class Need:
    action: str
    resource: str


def _named(name: str) -> str:
    return PHYSICAL_NAMES.get(name, name)


def needs(call: AwsCall) -> list[Need]:
    """The IAM actions and resources one call is authorised against."""
    request = call.request
    if call.service == "dynamodb":
        table = f"{_named(request.get('TableName', ''))}.Arn"
        if call.operation in ("TransactWriteItems", "TransactGetItems"):
            return [
                Need(TRANSACTION_ACTIONS[kind], f"{_named(body['TableName'])}.Arn")
                for item in request["items"]
                for kind, body in item.items()
            ]
        if "IndexName" in request:
            return [Need(f"dynamodb:{call.operation}", f"{table}/index/{request['IndexName']}")]
        return [Need(f"dynamodb:{call.operation}", table)]
    if call.service == "s3":
        bucket = f"{_named(request['Bucket'])}.Arn"
        action = S3_ACTIONS.get(call.operation, f"s3:{call.operation}")
        if action == "s3:ListBucket":
            return [Need(action, bucket)]
        found = [Need(action, f"{bucket}/{request['Key']}")]
        if call.operation == "PutObject" and "Tagging" in request:
            found.append(Need("s3:PutObjectTagging", f"{bucket}/{request['Key']}"))
        return found
    if call.service == "ses":
        source = str(request.get("Source", ""))
        found = [
            Need(f"ses:{call.operation}", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{source}"),
        ]
        if "ConfigurationSetName" in request:
            name = _named(request["ConfigurationSetName"])
            found.append(
                Need(f"ses:{call.operation}", f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/{name}")
            )
        return found
    if call.service == "secretsmanager":
        return [Need(f"secretsmanager:{call.operation}", _named(request["SecretId"]))]
    if call.service == "ssm":
        return [
            Need(
                f"ssm:{call.operation}",
                # A name without a leading slash has one added in its ARN (parameter/<name>).
                f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{_named(request['Name']).lstrip('/')}",
            )
        ]
    if call.service == "lambda":
        return [Need("lambda:InvokeFunction", _named(request["FunctionName"]))]
    raise AssertionError(f"no IAM mapping for {call.service}:{call.operation}")


@dataclass(frozen=True)
class Grant:
    action: str
    resource: str  # a pattern: * and ? as IAM reads them
    sid: str

    def allows(self, need: Need) -> bool:
        return self.action == need.action and fnmatch.fnmatchcase(need.resource, self.resource)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def grants(function: str) -> list[Grant]:
    """The function's policy as one deployment resolves it, SAM's policy templates expanded."""
    policies = DEPLOYMENT.resolve(TEMPLATE["Resources"][function]["Properties"].get("Policies", []))
    found: list[Grant] = []
    for policy in policies:
        if "AWSSecretsManagerGetSecretValuePolicy" in policy:
            secret = policy["AWSSecretsManagerGetSecretValuePolicy"]["SecretArn"]
            found.append(
                Grant("secretsmanager:GetSecretValue", secret, "AWSSecretsManagerGetSecretValuePolicy")
            )
            continue
        if "LambdaInvokePolicy" in policy:
            name = policy["LambdaInvokePolicy"]["FunctionName"]
            found.append(Grant("lambda:InvokeFunction", f"{name}*", "LambdaInvokePolicy"))
            continue
        for statement in policy["Statement"]:
            assert statement["Effect"] == "Allow"
            for action in _as_list(statement["Action"]):
                for resource in _as_list(statement["Resource"]):
                    # A secret's ARN as IAM sees it ends in the suffix Secrets Manager adds.
                    pattern = resource
                    if resource.startswith("arn:aws:secretsmanager:"):
                        pattern = resource.rsplit(":secret:", 1)[1].removesuffix("-??????")
                    found.append(Grant(action, pattern, statement.get("Sid", "")))
    return found


FUNCTIONS = sorted(
    name
    for name, resource in TEMPLATE["Resources"].items()
    if resource["Type"] == "AWS::Serverless::Function"
)


@pytest.fixture(scope="module")
def recorded() -> list[AwsCall]:
    calls = read_recorded_calls()
    if not calls:
        pytest.fail(f"no recorded AWS calls in {CALLS_DIR}: run the integration tests first (make test does)")
    return calls


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_call_a_function_makes_is_granted_by_its_own_policy(
    function: str, recorded: list[AwsCall]
) -> None:
    # Given what the function asked of AWS in the integration tests, and its policy
    policy = grants(function)
    calls = [call for call in recorded if call.function == function]
    assert calls, f"no test drove {function}"

    # Then each call is allowed, action and resource
    refused = sorted(
        {
            f"{need.action} on {need.resource} ({call.operation})"
            for call in calls
            for need in needs(call)
            if not any(grant.allows(need) for grant in policy)
        }
    )
    assert refused == []


@pytest.mark.parametrize("function", FUNCTIONS)
def test_nothing_is_granted_that_no_call_of_the_function_uses(function: str, recorded: list[AwsCall]) -> None:
    # Given every grant of the function's policy, and what its calls needed
    used = {need for call in recorded if call.function == function for need in needs(call)}

    # Then each grant (action on resource) allowed at least one of them, or is a listed exception
    unused = sorted(
        f"{grant.sid}: {grant.action} on {grant.resource}"
        for grant in grants(function)
        if not any(grant.allows(need) for need in used) and not _listed(function, grant)
    )
    assert unused == []
