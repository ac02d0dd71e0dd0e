"""The functions template.yaml declares, and the environment Lambda would give each of them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from postdesk_tools.local_stack.template_resources import load_template

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = ROOT / "functions"
TEMPLATE = ROOT / "template.yaml"
FUNCTION_TYPE = "AWS::Serverless::Function"
REGION = "eu-west-1"
STACK_NAME = "postdesk"  # what `!Ref AWS::StackName` stands for here
# What a guided deploy asks for (no default in the template), as the bench answers it.
GUIDED_ANSWERS = {
    "Approvers": "director@example.org,deputy1@example.org,deputy2@example.org",
    "AllowedProposerDomains": "example.org",
    "SenderAddress": "postdesk@example.org",
    "AlertEmail": "operator@example.org",
}


@dataclass(frozen=True)
class LambdaFunction:
    logical_id: str
    handler: str
    environment: dict[str, str]

    @property
    def module(self) -> str:
        return self.handler.rpartition(".")[0]


def _resolve(value: Any, template: dict[str, Any]) -> str:
    """A plausible literal for an environment value: parameters take their default (an empty default
    stays empty, as a deploy that keeps it gives the function), a guided deploy's questions the bench's
    answers, resources a name."""
    if isinstance(value, dict) and len(value) == 1:
        (key, argument), *_ = value.items()
        if key == "Ref" and argument == "AWS::StackName":
            return STACK_NAME
        if key == "Ref":
            parameter = template.get("Parameters", {}).get(argument)
            if argument in GUIDED_ANSWERS:
                return GUIDED_ANSWERS[argument]
            if parameter is not None:
                return str(parameter["Default"]) if "Default" in parameter else f"bench-{argument.lower()}"
            return f"postdesk-bench-{argument}"
        return f"bench-{key.removeprefix('Fn::').lower()}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def declared_functions(template: dict[str, Any] | None = None) -> list[LambdaFunction]:
    """Every AWS::Serverless::Function with a Handler, in template order."""
    template = template if template is not None else load_template(TEMPLATE)
    globals_function = template.get("Globals", {}).get("Function", {})
    shared = globals_function.get("Environment", {}).get("Variables", {})
    functions: list[LambdaFunction] = []
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != FUNCTION_TYPE:
            continue
        properties = resource.get("Properties", {})
        handler = properties.get("Handler") or globals_function.get("Handler")
        if not isinstance(handler, str):
            continue
        own = properties.get("Environment", {}).get("Variables", {})
        variables = {name: _resolve(value, template) for name, value in {**shared, **own}.items()}
        memory = properties.get("MemorySize", globals_function.get("MemorySize", 128))
        functions.append(
            LambdaFunction(
                logical_id, handler, {**_lambda_runtime_variables(logical_id, memory), **variables}
            )
        )
    return functions


def _lambda_runtime_variables(logical_id: str, memory: Any) -> dict[str, str]:
    """What the Lambda runtime itself sets (Powertools and the X-Ray SDK read some of them)."""
    return {
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_LAMBDA_FUNCTION_NAME": f"postdesk-{logical_id}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "LAMBDA_TASK_ROOT": str(FUNCTIONS_DIR),
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000",
    }


def process_environment(variables: dict[str, str]) -> dict[str, str]:
    """This machine's environment without its AWS or Powertools settings, plus a function's variables."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "POWERTOOLS_", "_X_AMZN", "LAMBDA_"))
    }
    return {**kept, **variables}
