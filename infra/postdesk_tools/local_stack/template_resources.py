"""The template's stateful resources, created on an AWS endpoint (moto) from template.yaml's own properties.

moto's CloudFormation does not run SAM's transform, so the local stack and the tests read the template
themselves; building from the template's properties is what keeps them from drifting apart. Only the
properties the local stack needs are translated; an intrinsic function where a literal is needed is an
error, not a guess."""

from __future__ import annotations

import copy
import functools
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from botocore.exceptions import ClientError

TEMPLATE_ENV = "POSTDESK_TEMPLATE"


def template_path() -> Path:
    """Where template.yaml is: $POSTDESK_TEMPLATE, else the nearest one from the working directory up
    (the project's checkout, where `make run` runs), else the checkout this package was installed from."""
    named = os.environ.get(TEMPLATE_ENV)
    if named:
        return Path(named)
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / "template.yaml").is_file():
            return folder / "template.yaml"
    return Path(__file__).resolve().parents[3] / "template.yaml"


TABLE_TYPE = "AWS::DynamoDB::Table"
BUCKET_TYPE = "AWS::S3::Bucket"
SECRET_TYPE = "AWS::SecretsManager::Secret"  # noqa: S105 - a resource type, not a secret


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags read as the long form: `!Ref X` -> {"Ref": "X"}."""


def _construct_short_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:  # pragma: no cover - yaml has no other node kinds
        raise yaml.constructor.ConstructorError(None, None, f"unexpected !{tag_suffix}", node.start_mark)
    if tag_suffix in ("Ref", "Condition"):
        return {tag_suffix: value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        return {"Fn::GetAtt": value.split(".", 1)}
    return {f"Fn::{tag_suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _construct_short_tag)


def load_template(path: Path | None = None) -> dict[str, Any]:
    """The template as a dict (template.yaml at the repository root unless told otherwise): a copy of
    the parse of its current text (read once per change of the file)."""
    path = path or template_path()
    return copy.deepcopy(_parsed(path, path.stat().st_mtime_ns))


@functools.lru_cache(maxsize=4)
def _parsed(path: Path, modified: int) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    template = yaml.load(text, Loader=_CloudFormationLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(template, dict):
        raise ValueError(f"{path} is not a CloudFormation template")
    return template


def _properties(template: dict[str, Any], logical_id: str, resource_type: str) -> dict[str, Any]:
    resource = template.get("Resources", {}).get(logical_id)
    if resource is None or resource.get("Type") != resource_type:
        raise KeyError(f"the template has no {resource_type} named {logical_id}")
    properties: dict[str, Any] = _parameter_defaults(resource.get("Properties", {}), template)
    return properties


def _parameter_defaults(value: Any, template: dict[str, Any]) -> Any:
    """`!Ref Parameter` -> the parameter's default, where it has one (such as a retention in days); the
    local stack takes a deployment's default settings."""
    parameters = template.get("Parameters", {})
    if isinstance(value, dict):
        if len(value) == 1 and "Ref" in value and "Default" in parameters.get(value["Ref"], {}):
            return parameters[value["Ref"]]["Default"]
        return {key: _parameter_defaults(item, template) for key, item in value.items()}
    if isinstance(value, list):
        return [_parameter_defaults(item, template) for item in value]
    return value


def _logical_id_of(template: dict[str, Any], resource_type: str) -> str:
    found: list[str] = [
        name
        for name, resource in template.get("Resources", {}).items()
        if resource.get("Type") == resource_type
    ]
    if len(found) != 1:
        raise ValueError(f"expected one {resource_type} in the template, found {found}")
    return found[0]


def _is_intrinsic(value: dict[str, Any]) -> bool:
    if len(value) != 1:
        return False
    (key,) = value
    return key in ("Ref", "Condition") or key.startswith("Fn::")


def _literal(value: Any, where: str) -> Any:
    """The value itself, refusing intrinsic functions that only CloudFormation can resolve."""
    if isinstance(value, dict):
        if _is_intrinsic(value):
            raise ValueError(f"{where} uses {next(iter(value))}, which the local stack cannot resolve")
        return {key: _literal(item, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [_literal(item, f"{where}[{index}]") for index, item in enumerate(value)]
    return value


def _index(index: dict[str, Any]) -> dict[str, Any]:
    kept = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput", "OnDemandThroughput")
    return {key: index[key] for key in kept if key in index}


def table_create_kwargs(template: dict[str, Any], logical_id: str, table_name: str) -> dict[str, Any]:
    """Keyword arguments for `dynamodb.create_table`, translated from the table's CloudFormation shape."""
    properties = _literal(_properties(template, logical_id, TABLE_TYPE), logical_id)
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": properties.get("BillingMode", "PROVISIONED"),
    }
    if "ProvisionedThroughput" in properties:
        kwargs["ProvisionedThroughput"] = properties["ProvisionedThroughput"]
    if "GlobalSecondaryIndexes" in properties:
        kwargs["GlobalSecondaryIndexes"] = [_index(index) for index in properties["GlobalSecondaryIndexes"]]
    if "LocalSecondaryIndexes" in properties:
        kwargs["LocalSecondaryIndexes"] = [_index(index) for index in properties["LocalSecondaryIndexes"]]
    sse = properties.get("SSESpecification")
    if sse is not None:
        kwargs["SSESpecification"] = {"Enabled": bool(sse.get("SSEEnabled", False))}
        if "SSEType" in sse:
            kwargs["SSESpecification"]["SSEType"] = sse["SSEType"]
        if "KMSMasterKeyId" in sse:
            kwargs["SSESpecification"]["KMSMasterKeyId"] = sse["KMSMasterKeyId"]
    return kwargs


def binary_media_types(template: dict[str, Any]) -> list[str]:
    """The API's binary media types as content types (`image~1*` -> `image/*`)."""
    declared = _properties(template, "PostdeskApi", "AWS::Serverless::Api")
    types: list[str] = _literal(declared.get("BinaryMediaTypes", []), "PostdeskApi.BinaryMediaTypes")
    return [media_type.replace("~1", "/").replace("~0", "~") for media_type in types]


def _lifecycle_filter(rule: dict[str, Any]) -> dict[str, Any]:
    tags = [{"Key": tag["Key"], "Value": str(tag["Value"])} for tag in rule.get("TagFilters", [])]
    prefix = rule.get("Prefix")
    if not tags:
        return {"Prefix": prefix or ""}
    if len(tags) == 1 and prefix is None:
        return {"Tag": tags[0]}
    combined: dict[str, Any] = {"Tags": tags}
    if prefix is not None:
        combined["Prefix"] = prefix
    return {"And": combined}


def lifecycle_rules(template: dict[str, Any], logical_id: str) -> list[dict[str, Any]]:
    """The bucket's lifecycle rules in the S3 API's shape (`put_bucket_lifecycle_configuration`)."""
    properties = _literal(_properties(template, logical_id, BUCKET_TYPE), logical_id)
    rules: list[dict[str, Any]] = []
    for declared in properties.get("LifecycleConfiguration", {}).get("Rules", []):
        rule: dict[str, Any] = {"Status": declared["Status"], "Filter": _lifecycle_filter(declared)}
        if "Id" in declared:
            rule["ID"] = declared["Id"]
        expiration: dict[str, Any] = {}
        if "ExpirationInDays" in declared:
            expiration["Days"] = int(declared["ExpirationInDays"])
        if "ExpiredObjectDeleteMarker" in declared:
            expiration["ExpiredObjectDeleteMarker"] = bool(declared["ExpiredObjectDeleteMarker"])
        if expiration:
            rule["Expiration"] = expiration
        if "AbortIncompleteMultipartUpload" in declared:
            days = int(declared["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
            rule["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": days}
        if "NoncurrentVersionExpiration" in declared:
            days = int(declared["NoncurrentVersionExpiration"]["NoncurrentDays"])
            rule["NoncurrentVersionExpiration"] = {"NoncurrentDays": days}
        rules.append(rule)
    return rules


@dataclass(frozen=True)
class LocalNames:
    """The physical names the local stack gives the resources CloudFormation would name."""

    table_name: str
    media_bucket: str
    signing_keys_secret: str


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _create_table(template: dict[str, Any], table_name: str, dynamodb: Any) -> None:
    logical_id = _logical_id_of(template, TABLE_TYPE)
    try:
        dynamodb.create_table(**table_create_kwargs(template, logical_id, table_name))
    except ClientError as error:
        if _error_code(error) != "ResourceInUseException":
            raise
    properties = _properties(template, logical_id, TABLE_TYPE)
    ttl = _literal(properties.get("TimeToLiveSpecification", {}), f"{logical_id}.TimeToLiveSpecification")
    if ttl.get("Enabled"):
        current = dynamodb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
        if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            dynamodb.update_time_to_live(
                TableName=table_name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )


def _create_bucket(template: dict[str, Any], bucket: str, s3: Any) -> None:
    logical_id = _logical_id_of(template, BUCKET_TYPE)
    properties = _literal(_properties(template, logical_id, BUCKET_TYPE), logical_id)
    region = s3.meta.region_name
    create: dict[str, Any] = {"Bucket": bucket}
    if region and region != "us-east-1":
        create["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**create)
    except ClientError as error:
        if _error_code(error) != "BucketAlreadyOwnedByYou":
            raise
    # Applying the configuration again is harmless and keeps an existing local bucket in step.
    if "BucketEncryption" in properties:
        encryption = [
            {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
            | ({"BucketKeyEnabled": bool(rule["BucketKeyEnabled"])} if "BucketKeyEnabled" in rule else {})
            for rule in properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        ]
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": encryption})
    if "PublicAccessBlockConfiguration" in properties:
        s3.put_public_access_block(
            Bucket=bucket, PublicAccessBlockConfiguration=properties["PublicAccessBlockConfiguration"]
        )
    rules = lifecycle_rules(template, logical_id)
    if rules:
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})


def _create_signing_secret(template: dict[str, Any], name: str, secretsmanager: Any) -> None:
    properties = _literal(_properties(template, "SigningKeysSecret", SECRET_TYPE), "SigningKeysSecret")
    generate = properties["GenerateSecretString"]
    value = json.loads(generate.get("SecretStringTemplate", "{}"))
    value[generate["GenerateStringKey"]] = secrets.token_urlsafe(48)
    try:
        secretsmanager.create_secret(
            Name=name, Description=properties.get("Description", ""), SecretString=json.dumps(value)
        )
    except ClientError as error:
        # An existing secret keeps its keys: links already sent stay valid across restarts.
        if _error_code(error) != "ResourceExistsException":
            raise


def create_resources(
    template: dict[str, Any], names: LocalNames, *, dynamodb: Any, s3: Any, secretsmanager: Any
) -> None:
    """Create the table, the media bucket and the signing secret; what already exists is kept."""
    _create_table(template, names.table_name, dynamodb)
    _create_bucket(template, names.media_bucket, s3)
    _create_signing_secret(template, names.signing_keys_secret, secretsmanager)
