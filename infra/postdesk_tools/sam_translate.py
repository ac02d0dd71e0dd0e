"""template.yaml through SAM's transform, offline, as CloudFormation would run it: what checkov reads.

Runs under SAM CLI's own environment (`.venv-sam/bin/python infra/postdesk_tools/sam_translate.py
template.yaml out.json`), which has samtranslator; nothing is fetched (no managed policy is named by
name, so the loader is never asked)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

PACKAGED_CODE = "s3://packaged-code/postdesk.zip"
PSEUDO_PARAMETERS = {"AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws"}


class _OfflinePolicies:
    """SAM asks for the ARN of a managed policy named by name; postdesk names none, so asking is an error."""

    def load(self) -> dict[str, str]:
        raise RuntimeError("the template names a managed policy by name: that needs IAM, not offline")


def _package_code(template: dict[str, Any]) -> None:
    """Local CodeUri -> an S3 URI, as `sam package` leaves it (and as `sam validate` does)."""
    function = template.get("Globals", {}).get("Function", {})
    if "CodeUri" in function:
        function["CodeUri"] = PACKAGED_CODE
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::Function" and "CodeUri" in properties:
            properties["CodeUri"] = PACKAGED_CODE


def translate(template_path: Path) -> dict[str, Any]:
    from samtranslator.translator.transform import transform  # type: ignore[import-not-found]
    from samtranslator.yaml_helper import yaml_parse  # type: ignore[import-not-found]

    os.environ.setdefault("AWS_DEFAULT_REGION", PSEUDO_PARAMETERS["AWS::Region"])  # no call is made with it
    template = yaml_parse(template_path.read_text(encoding="utf-8"))
    _package_code(template)
    translated: dict[str, Any] = transform(template, dict(PSEUDO_PARAMETERS), _OfflinePolicies())
    return translated


def main(argv: list[str]) -> int:
    source, target = (Path(argument) for argument in argv)
    target.write_text(json.dumps(translate(source), indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
