"""The sessions of one process (boto3's, pynamodb's, Powertools') read AWS's service models once: a
later session's first client costs no parsing, in Lambda as in the tests."""

from __future__ import annotations

from pathlib import Path

import boto3
import botocore.session
import pytest
from aws_lambda_powertools.utilities.parameters import SSMProvider
from pynamodb.connection import Connection

from postdesk.aws import share_service_models


@pytest.fixture(autouse=True)
def _region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_DATA_PATH", raising=False)
    # What this test installs is undone at its end (the product installs it for the process's life).
    monkeypatch.setattr(botocore.session, "create_loader", botocore.session.create_loader)


def test_every_kind_of_session_in_the_process_reads_the_models_through_one_loader() -> None:
    # Given the package's AWS objects share the service models
    share_service_models()

    # When boto3, pynamodb and a Powertools provider each build their own session and client
    boto3_client = boto3.session.Session().client("s3")
    pynamodb_client = Connection(region="eu-west-1").client
    powertools_client = SSMProvider().client

    # Then all three read the models through one loader, and each client is the service it names
    loaders = {id(client._loader) for client in (boto3_client, pynamodb_client, powertools_client)}
    assert len(loaders) == 1
    assert boto3_client.meta.service_model.service_name == "s3"
    assert pynamodb_client.meta.service_model.service_name == "dynamodb"
    assert pynamodb_client.meta.endpoint_url == "https://dynamodb.eu-west-1.amazonaws.com"
    assert powertools_client.meta.service_model.service_name == "ssm"


def test_a_session_with_its_own_data_path_keeps_a_loader_of_its_own(tmp_path: Path) -> None:
    # Given the shared models, and a session told to look for models in a folder of its own too
    share_service_models()
    shared = botocore.session.get_session().get_component("data_loader")
    session = botocore.session.get_session()
    session.set_config_variable("data_path", str(tmp_path))

    # When it loads its models
    loader = session.get_component("data_loader")

    # Then it searches that folder, with a loader that no default session uses
    assert loader is not shared
    assert str(tmp_path) in loader.search_paths
    assert str(tmp_path) not in shared.search_paths


def test_sharing_twice_changes_nothing() -> None:
    share_service_models()
    first = botocore.session.get_session().get_component("data_loader")
    share_service_models()
    assert botocore.session.get_session().get_component("data_loader") is first
