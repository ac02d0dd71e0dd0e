"""The operator's verbs: rotate and retire the signing key, export the audit log."""

from __future__ import annotations

import csv
import io
import json

import boto3
import pytest

from postdesk_tools.cli import main
from tests.integration.conftest import REGION, Stack
from tests.integration.review_steps import DIRECTOR, pending_proposal, press, review_link


def test_the_operator_rotates_then_retires_the_signing_key(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rotate-signing-key"]) == 0
    assert "new signing key: k0002" in capsys.readouterr().out
    assert main(["retire-signing-keys", "--keep", "1"]) == 0
    assert "retired: k0001" in capsys.readouterr().out
    secret = boto3.client("secretsmanager", region_name=REGION).get_secret_value(
        SecretId="postdesk-test-signing-keys"
    )
    assert list(json.loads(secret["SecretString"])) == ["k0002"]


def test_the_operator_exports_the_audit_log(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    proposal_id = pending_proposal(stack)
    press(stack, review_link(stack, DIRECTOR, "Rejeter"), {"reason": "=1+1"})
    capsys.readouterr()
    assert main(["export-audit"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    rejected = next(row for row in rows if row["action"] == "rejected")
    assert rejected["proposal_id"] == proposal_id and rejected["detail"] == "'=1+1"
    assert main(["export-audit", "--format", "json"]) == 0
    assert any(entry["detail"] == "=1+1" for entry in json.loads(capsys.readouterr().out))
