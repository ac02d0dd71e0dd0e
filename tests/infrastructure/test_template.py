"""template.yaml: it deploys, its handlers exist, and its promises (no scan, no token in traces, no secret
in the template) hold in what it declares."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.api import lint_file
from moto import mock_aws

from postdesk.config import settings_from_environment
from postdesk_tools.local_stack.template_resources import (
    LocalNames,
    binary_media_types,
    create_resources,
    load_template,
    table_create_kwargs,
)
from tests.template_values import STACK_NAME, Deployment

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"
REGION = "eu-west-1"
TEMPLATE = load_template()
FUNCTIONS = {
    logical_id: resource["Properties"]
    for logical_id, resource in TEMPLATE["Resources"].items()
    if resource["Type"] == "AWS::Serverless::Function"
}
GLOBAL_FUNCTION = TEMPLATE["Globals"]["Function"]
GLOBAL_VARIABLES: dict[str, Any] = GLOBAL_FUNCTION["Environment"]["Variables"]


def _function_setting(properties: dict[str, Any], name: str) -> Any:
    return properties.get(name, GLOBAL_FUNCTION.get(name))


def _variables(properties: dict[str, Any]) -> dict[str, Any]:
    own = properties.get("Environment", {}).get("Variables", {})
    return {**GLOBAL_VARIABLES, **own}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def _create_local_resources() -> tuple[Any, Any, LocalNames]:
    names = LocalNames(table_name="proposals", media_bucket="media", signing_keys_secret="signing-keys")
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    s3 = boto3.client("s3", region_name=REGION)
    secretsmanager = boto3.client("secretsmanager", region_name=REGION)
    create_resources(TEMPLATE, names, dynamodb=dynamodb, s3=s3, secretsmanager=secretsmanager)
    return dynamodb, s3, names


def _sam_executable() -> str | None:
    in_repo = REPO_ROOT / ".venv-sam" / "bin" / "sam"
    if in_repo.exists():
        return str(in_repo)
    return shutil.which("sam")


def test_the_template_passes_cfn_lint() -> None:
    # Given the template as committed
    # When cfn-lint reads it with its default rules (the ones `cfn-lint template.yaml` runs)
    matches = lint_file(TEMPLATE_PATH)

    # Then it has nothing to say
    assert [str(match) for match in matches] == []


def test_the_template_passes_sam_validate_with_lint() -> None:
    # Given SAM CLI, which CI must have
    sam = _sam_executable()
    if sam is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("aws-sam-cli is missing in CI: make .venv-sam")
        pytest.skip("install aws-sam-cli in .venv-sam: make .venv-sam")

    # When it validates the template, transform and lint included
    environment = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    result = subprocess.run(
        [sam, "validate", "--lint", "--region", REGION, "--template-file", str(TEMPLATE_PATH)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO_ROOT,
        env=environment,
        check=False,
    )

    # Then it is valid
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_every_function_handler_can_be_imported(logical_id: str) -> None:
    # Given the Lambda environment's plain settings (region, Powertools) for this function, in a fresh
    # interpreter that finds the package where Lambda finds it: the CodeUri's folder
    environment = {**os.environ, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}
    environment |= {
        name: value for name, value in _variables(FUNCTIONS[logical_id]).items() if isinstance(value, str)
    }
    environment["PYTHONPATH"] = str(REPO_ROOT / "functions")
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    module_name, _, attribute = FUNCTIONS[logical_id]["Handler"].rpartition(".")
    program = (
        "import sys, importlib; module = importlib.import_module(sys.argv[1]); "
        "print(callable(getattr(module, sys.argv[2], None)), "
        "sorted({name.split('.')[0] for name in sys.modules} & {'postdesk_tools', 'moto', 'yaml', 'pytest'}))"
    )

    # When Lambda's cold start imports the handler's module
    answer = subprocess.run(
        [sys.executable, "-c", program, module_name, attribute],
        env=environment,
        cwd=REPO_ROOT / "functions",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    # Then the handler is there and callable, and nothing of the tools or tests came with it
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.strip().split(maxsplit=1) == ["True", "[]"], f"{module_name}: {answer.stdout}"


def test_every_function_shares_the_one_code_uri_and_a_handler_in_the_package() -> None:
    for logical_id, properties in FUNCTIONS.items():
        assert _function_setting(properties, "CodeUri") == "functions/", logical_id
        assert re.fullmatch(r"postdesk\.handlers\.\w+\.lambda_handler", properties["Handler"]), logical_id


def test_the_morning_run_can_query_due_proposals_on_the_table_built_from_the_template(aws: Any) -> None:
    # Given the table built on moto from the template's own properties
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(**table_create_kwargs(TEMPLATE, "ProposalsTable", "proposals"))
    declared = TEMPLATE["Resources"]["ProposalsTable"]["Properties"]["GlobalSecondaryIndexes"]
    declared_due = next(index for index in declared if index["IndexName"] == "due")

    # And one approved, due proposal beside one still pending (without the due keys)
    dynamodb.put_item(
        TableName="proposals",
        Item={
            "pk": {"S": "PROPOSAL#1"},
            "sk": {"S": "PROPOSAL"},
            "due_pk": {"S": "DUE"},
            "due_sk": {"S": "2025-01-01T08:00:00Z#1"},
        },
    )
    dynamodb.put_item(TableName="proposals", Item={"pk": {"S": "PROPOSAL#2"}, "sk": {"S": "PROPOSAL"}})

    # When the table is described and the `due` index queried
    table = dynamodb.describe_table(TableName="proposals")["Table"]
    due = dynamodb.query(
        TableName="proposals",
        IndexName="due",
        KeyConditionExpression="due_pk = :due",
        ExpressionAttributeValues={":due": {"S": "DUE"}},
    )

    # Then the index has the template's key schema, and holds the due proposal only
    built_due = next(index for index in table["GlobalSecondaryIndexes"] if index["IndexName"] == "due")
    assert built_due["KeySchema"] == declared_due["KeySchema"]
    assert built_due["Projection"]["ProjectionType"] == "ALL"
    assert [item["pk"]["S"] for item in due["Items"]] == ["PROPOSAL#1"]


def test_the_table_is_kept_safe_and_expires_items_by_ttl(aws: Any) -> None:
    properties = TEMPLATE["Resources"]["ProposalsTable"]
    assert properties["DeletionPolicy"] == properties["UpdateReplacePolicy"] == "Retain"
    assert properties["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True

    dynamodb, _, names = _create_local_resources()
    ttl = dynamodb.describe_time_to_live(TableName=names.table_name)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}


def test_the_table_has_no_stream_since_nothing_reads_one(aws: Any) -> None:
    # Given what the template declares: nothing consumes a DynamoDB stream
    consumers = [
        logical_id
        for logical_id, resource in TEMPLATE["Resources"].items()
        if resource["Type"] == "AWS::Lambda::EventSourceMapping"
        or any(
            event.get("Type") == "DynamoDB"
            for event in resource.get("Properties", {}).get("Events", {}).values()
        )
    ]
    assert consumers == []

    # Then the table has none, in the template or as the local stack builds it
    assert "StreamSpecification" not in TEMPLATE["Resources"]["ProposalsTable"]["Properties"]
    dynamodb, _, names = _create_local_resources()
    assert "StreamSpecification" not in dynamodb.describe_table(TableName=names.table_name)["Table"]


def test_the_bucket_expires_images_of_proposals_never_confirmed(aws: Any) -> None:
    # Given the bucket built on moto from the template's own properties
    _, s3, names = _create_local_resources()

    # When its lifecycle is read back through the S3 API
    rules = s3.get_bucket_lifecycle_configuration(Bucket=names.media_bucket)["Rules"]

    # Then images still tagged unconfirmed expire after 7 days, and broken uploads are cleaned up
    unconfirmed_tag = {"Key": "postdesk-confirmed", "Value": "false"}
    unconfirmed = [rule for rule in rules if rule["Filter"].get("Tag") == unconfirmed_tag]
    assert len(unconfirmed) == 1
    assert unconfirmed[0]["Status"] == "Enabled"
    assert unconfirmed[0]["Expiration"] == {"Days": 7}
    assert any("AbortIncompleteMultipartUpload" in rule for rule in rules)


def test_the_local_resources_can_be_created_twice_and_keep_the_signing_key(aws: Any) -> None:
    # Given the local resources, created once
    _, _, names = _create_local_resources()
    secretsmanager = boto3.client("secretsmanager", region_name=REGION)
    first = secretsmanager.get_secret_value(SecretId=names.signing_keys_secret)["SecretString"]

    # When they are created again, as on the next `make run`
    _create_local_resources()

    # Then nothing fails and links signed before the restart still verify
    assert secretsmanager.get_secret_value(SecretId=names.signing_keys_secret)["SecretString"] == first
    assert list(json.loads(first)) == ["k0001"]


def test_the_media_bucket_is_private_and_tls_only() -> None:
    properties = TEMPLATE["Resources"]["MediaBucket"]["Properties"]
    assert all(properties["PublicAccessBlockConfiguration"].values())
    statements = TEMPLATE["Resources"]["MediaBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for statement in statements
    )


def test_the_api_accepts_form_uploads_and_images_as_binary() -> None:
    assert set(binary_media_types(TEMPLATE)) >= {"multipart/form-data", "image/*"}


def test_traces_never_capture_responses_or_errors_which_carry_link_tokens() -> None:
    for logical_id, properties in FUNCTIONS.items():
        variables = _variables(properties)
        assert variables["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false", logical_id
        assert variables["POWERTOOLS_TRACER_CAPTURE_ERROR"] == "false", logical_id


def test_every_function_runs_python_3_12_on_arm64_with_tracing() -> None:
    assert FUNCTIONS
    for logical_id, properties in FUNCTIONS.items():
        assert _function_setting(properties, "Runtime") == "python3.12", logical_id
        assert _function_setting(properties, "Architectures") == ["arm64"], logical_id
        assert _function_setting(properties, "Tracing") == "Active", logical_id


def test_the_default_parameters_give_settings_the_code_accepts() -> None:
    # Given the environment a deployment gives every function, with the answers a guided deploy asks
    # for (people and addresses have no default) and the default of every other parameter
    deployment = Deployment(TEMPLATE)

    for logical_id, properties in FUNCTIONS.items():
        environment = {name: str(value) for name, value in deployment.resolve(_variables(properties)).items()}

        # When the code parses its settings from it
        settings = settings_from_environment(environment)

        # Then every setting is there, and the default quorum is reachable by the approvers
        assert settings.table_name == "ProposalsTable", logical_id
        assert settings.signing_keys_secret == "SigningKeysSecret", logical_id
        assert settings.media_bucket == "MediaBucket", logical_id
        assert settings.channel == "x", logical_id
        assert len(settings.approver_list) == 3, logical_id
        # And without a custom domain, links are built from the URL the stack writes to SSM
        assert settings.configured_public_base_url == "", logical_id
        assert settings.public_base_url_parameter == f"/{STACK_NAME}/public-base-url", logical_id
        assert settings.mail_configuration_set == "MailConfigurationSet", logical_id
        assert settings.proposal_retention_days == 365, logical_id
        assert settings.audit_retention_days == 3653, logical_id


def test_with_a_custom_domain_links_use_it_and_nothing_reads_ssm() -> None:
    # Given a deployment behind a custom domain with a base path
    deployment = Deployment(
        TEMPLATE,
        {
            "CustomDomainName": "postdesk.police.example",
            "CustomDomainCertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
            "CustomDomainBasePath": "desk",
        },
    )
    environment = deployment.resolve(GLOBAL_VARIABLES)

    # Then the functions are given the URL, the stack writes no base-URL parameter and grants no read of one
    assert environment["PUBLIC_BASE_URL"] == "https://postdesk.police.example/desk"
    assert environment["PUBLIC_BASE_URL_PARAMETER"] == ""
    assert not deployment.exists("PublicBaseUrlParameter")
    assert deployment.exists("ApiCustomDomain") and deployment.exists("ApiCustomDomainMapping")
    for logical_id, properties in FUNCTIONS.items():
        policies = json.dumps(deployment.resolve(properties.get("Policies", [])))
        assert "public-base-url" not in policies, logical_id


def test_a_deployed_stack_has_no_example_people_or_domains_by_default() -> None:
    # A guided deploy must ask for them; the local stack keeps its own defaults (environment.py).
    for name in ("Approvers", "AllowedProposerDomains", "SenderAddress", "AlertEmail"):
        assert "Default" not in TEMPLATE["Parameters"][name], name
    assert "example.org" not in json.dumps(
        {name: declared.get("Default") for name, declared in TEMPLATE["Parameters"].items()}
    )


_KEY_LIKE = re.compile(r"[A-Za-z0-9+/=_-]{24,}")


def test_no_secret_value_appears_in_the_template() -> None:
    # Secrets are generated by Secrets Manager or set by the operator with the CLI, never written here.
    for logical_id, resource in TEMPLATE["Resources"].items():
        if resource["Type"] == "AWS::SecretsManager::Secret":
            assert "SecretString" not in resource["Properties"], logical_id
            assert "GenerateSecretString" in resource["Properties"], logical_id
    assert TEMPLATE["Parameters"]["XCredentialsSecretName"]["Default"] == ""

    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    key_like = [
        token
        for token in _KEY_LIKE.findall(text)
        if re.search(r"\d", token) and re.search(r"[a-z]", token) and re.search(r"[A-Z]", token)
    ]
    assert key_like == []
