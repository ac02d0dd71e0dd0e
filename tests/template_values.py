"""template.yaml's values as one deployment would see them: parameters given or defaulted, conditions
evaluated, intrinsic functions resolved. Resources stand for themselves (`!Ref X` -> "X",
`!GetAtt X.Arn` -> "X.Arn"), so a test can say which resource a value names.

Tests use it to read what a deployment with given parameters declares (a policy, an environment
variable) without running CloudFormation; an intrinsic it does not know is an error, not a guess."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

STACK_NAME = "postdesk"
PSEUDO = {
    "AWS::StackName": STACK_NAME,
    "AWS::Region": "eu-west-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}
# What a guided deploy asks for (the parameters without a default).
GUIDED_ANSWERS = {
    "SenderAddress": "postdesk@example.org",
    "Approvers": "director@example.org, deputy1@example.org, deputy2@example.org",
    "AllowedProposerDomains": "example.org",
    "AlertEmail": "operator@example.org",
}
NO_VALUE = object()


@dataclass
class Deployment:
    template: dict[str, Any]
    given: dict[str, str] = field(default_factory=dict)

    def parameter(self, name: str) -> str:
        if name in self.given:
            return self.given[name]
        declared = self.template["Parameters"][name]
        if "Default" in declared:
            return str(declared["Default"])
        if name in GUIDED_ANSWERS:
            return GUIDED_ANSWERS[name]
        raise KeyError(f"parameter {name} has no default and no answer")

    def condition(self, name: str) -> bool:
        return bool(self._condition(self.template["Conditions"][name]))

    def _condition(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Condition":
                return self.condition(argument)
            if key == "Fn::Equals":
                left, right = (self.resolve(item) for item in argument)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self._condition(argument[0])
            if key == "Fn::And":
                return all(self._condition(item) for item in argument)
            if key == "Fn::Or":
                return any(self._condition(item) for item in argument)
        return self.resolve(value)

    def exists(self, logical_id: str) -> bool:
        resource = self.template["Resources"][logical_id]
        return "Condition" not in resource or self.condition(resource["Condition"])

    def _ref(self, name: str) -> str:
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.template.get("Parameters", {}):
            return self.parameter(name)
        if name in self.template["Resources"]:
            return name
        raise KeyError(f"!Ref {name}: no such parameter or resource")

    def _sub(self, text: str, variables: dict[str, Any]) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name and name.split(".")[0] in self.template["Resources"]:
                return name  # ${X.Arn}
            return self._ref(name)

        return re.sub(r"\$\{([^}!]+)\}", one, text)

    def resolve(self, value: Any) -> Any:
        """The value with every intrinsic function resolved; AWS::NoValue items are dropped."""
        if isinstance(value, list):
            resolved = [self.resolve(item) for item in value]
            return [item for item in resolved if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return NO_VALUE if argument == "AWS::NoValue" else self._ref(argument)
            if key == "Fn::If":
                name, when_true, when_false = argument
                return self.resolve(when_true if self.condition(name) else when_false)
            if key == "Fn::GetAtt":
                return ".".join(argument)
            if key == "Fn::Sub":
                if isinstance(argument, str):
                    return self._sub(argument, {})
                text, variables = argument
                return self._sub(text, {name: self.resolve(item) for name, item in variables.items()})
            if key == "Fn::Select":
                index, items = argument
                return self.resolve(items)[int(index)]
            if key == "Fn::Split":
                separator, text = argument
                return str(self.resolve(text)).split(separator)
            if key == "Fn::Join":
                separator, items = argument
                return separator.join(str(item) for item in self.resolve(items))
            if key.startswith("Fn::") or key == "Condition":
                raise ValueError(f"{key} is not resolved here")
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}
