"""Which stack a verb acts on, and how to reach it, with nothing set by hand.

- A deployed stack, by `--stack NAME` (with the usual AWS profile and region): its outputs and parameters
  from CloudFormation, its functions' environment from Lambda (the very variables they run with), its
  runs invoked as Lambda functions.
- The local stack of `make run`: by `--url` (it serves its description at `/_local/stack.json`) or by its
  state directory (`--state-dir`, default `.local`, where it keeps `stack.json` while it runs). Its runs
  go through its console, in its own process, as its scheduler stand-in would.
- With neither, a shell that already holds the functions' environment (`TABLE_NAME`, ...) is taken as
  it is, as the verbs always did; else the local stack of `.local`."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

if TYPE_CHECKING:
    from collections.abc import Mapping

# The names of template.yaml this module looks up (tests/infrastructure checks they are the template's).
API_FUNCTION = "ApiFunction"
PUBLISH_FUNCTION = "PublishFunction"
DIGEST_FUNCTION = "DigestFunction"
API_URL_OUTPUT = "ApiUrl"
PUBLIC_BASE_URL_OUTPUT = "PublicBaseUrl"  # where links point, when the stack says it (a custom domain)
INBOUND_FAILURES_OUTPUT = "InboundMailFailuresQueueUrl"
PUBLISH_SCHEDULE_PARAMETER = "PublishSchedule"
DIGEST_SCHEDULE_PARAMETER = "DigestSchedule"
TIME_ZONE_PARAMETER = "TimeZone"
ALARM_TYPE = "AWS::CloudWatch::Alarm"
NESTED_STACK_TYPE = "AWS::CloudFormation::Stack"

DEFAULT_STATE_DIR = Path(".local")
DESCRIPTOR_FILE = "stack.json"
DESCRIPTOR_PATH = "/_local/stack.json"
LONGEST_RUN_SECONDS = 900 + 30  # the publish function's timeout, and a margin to hear its answer
# Real credentials never reach the local moto, whose recording keeps request headers on disk.
_REAL_CREDENTIALS_UNSET: dict[str, str | None] = {
    "AWS_SESSION_TOKEN": None,
    "AWS_SECURITY_TOKEN": None,
    "AWS_PROFILE": None,
}


class OperatorError(Exception):
    """What went wrong, in the sentence the operator reads; the command exits with `exit_code`."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


@dataclass(frozen=True)
class Schedules:
    publish: str
    digest: str
    time_zone: str
    note: str = ""


@dataclass(frozen=True)
class Attention:
    """Something a person should look at, found outside the table (an alarm, a queue)."""

    what: str
    subject: str
    detail: str


@dataclass
class Target:
    label: str
    variables: dict[str, str]  # the functions' environment
    environment: dict[str, str | None] = field(default_factory=dict)  # what a verb applies while it runs

    def variable(self, name: str) -> str:
        return self.variables.get(name) or ""

    def client(self, service: str) -> Any:
        raise NotImplementedError

    def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        """Run one of the stack's functions (PublishFunction, DigestFunction) with `event`: its answer."""
        raise NotImplementedError

    def schedules(self) -> Schedules | None:
        return None

    def base_url(self) -> str:
        return self.variable("PUBLIC_BASE_URL").rstrip("/")

    def attention(self) -> list[Attention]:
        return []


# -- the local stack ------------------------------------------------------------------------------


def _get_json(url: str, timeout: float) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - the local stack's own address
        return json.loads(answer.read())


@dataclass
class LocalTarget(Target):
    url: str = ""
    aws_endpoint: str = ""

    @classmethod
    def from_descriptor(cls, document: Mapping[str, Any], where: str) -> LocalTarget:
        variables = {str(k): str(v) for k, v in dict(document["environment"]).items()}
        return cls(
            label=f"the local stack at {document['url']} ({where})",
            variables=variables,
            environment={**variables, **_REAL_CREDENTIALS_UNSET},
            url=str(document["url"]).rstrip("/"),
            aws_endpoint=str(document["aws_endpoint"]),
        )

    @classmethod
    def at_url(cls, url: str) -> LocalTarget:
        try:
            document = _get_json(url.rstrip("/") + DESCRIPTOR_PATH, timeout=5)
        except (OSError, ValueError) as error:
            raise OperatorError(
                f"no local stack answers at {url} ({error}): start one with `make run`"
            ) from None
        return cls.from_descriptor(document, f"found at {url}")

    @classmethod
    def in_state_dir(cls, state_dir: Path) -> LocalTarget:
        try:
            document = json.loads((state_dir / DESCRIPTOR_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise OperatorError(
                f"no local stack runs from {state_dir}: start one with `make run`, or name a deployed "
                "stack with --stack NAME"
            ) from None
        except (OSError, ValueError) as error:
            raise OperatorError(f"{state_dir / DESCRIPTOR_FILE} cannot be read: {error}") from None
        try:
            _get_json(str(document["url"]).rstrip("/") + DESCRIPTOR_PATH, timeout=5)
        except (OSError, ValueError):
            raise OperatorError(
                f"the local stack of {state_dir} no longer answers at {document['url']} (it stopped "
                "without cleaning up): start it again with `make run`"
            ) from None
        return cls.from_descriptor(document, f"state in {state_dir}")

    def client(self, service: str) -> Any:
        return boto3.session.Session(
            aws_access_key_id=self.variable("AWS_ACCESS_KEY_ID"),
            aws_secret_access_key=self.variable("AWS_SECRET_ACCESS_KEY"),
            region_name=self.variable("AWS_DEFAULT_REGION"),
        ).client(service, endpoint_url=self.aws_endpoint)  # type: ignore[call-overload]

    def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        if function == PUBLISH_FUNCTION:
            path = "/_local/publish?dry_run=" + ("true" if event.get("dry_run") else "false")
        elif function == DIGEST_FUNCTION:
            path = "/_local/digest"
        else:
            raise OperatorError(f"the local stack runs no {function} by hand")
        request = urllib.request.Request(  # noqa: S310 - the local stack's own address
            self.url + path, data=b"", method="POST", headers={"Accept": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=LONGEST_RUN_SECONDS) as answer:  # noqa: S310
                report: dict[str, Any] = json.loads(answer.read())
        except urllib.error.HTTPError as error:
            detail = error.read()[:500].decode(errors="replace")
            raise OperatorError(f"the local stack's {function} failed ({error.code}): {detail}") from None
        except (OSError, ValueError) as error:
            raise OperatorError(f"the local stack at {self.url} did not answer: {error}") from None
        return report

    def schedules(self) -> Schedules:
        from postdesk_tools.local_stack.template_resources import load_template

        declared = load_template()["Parameters"]
        return Schedules(
            publish=str(declared[PUBLISH_SCHEDULE_PARAMETER]["Default"]),
            digest=str(declared[DIGEST_SCHEDULE_PARAMETER]["Default"]),
            time_zone=self.variable("TIME_ZONE") or str(declared[TIME_ZONE_PARAMETER]["Default"]),
            note="the template's defaults: the local stack runs them only by hand (postdesk publish, digest)",
        )

    def base_url(self) -> str:
        return self.url


# -- a deployed stack -----------------------------------------------------------------------------


def _aws_problem(error: Exception) -> OperatorError:
    if isinstance(error, NoCredentialsError):
        return OperatorError("no AWS credentials: sign in (aws sso login, or --profile NAME) and try again")
    if isinstance(error, NoRegionError):
        return OperatorError("no AWS region: give --region, or set one in your AWS profile")
    if isinstance(error, ClientError):
        problem = error.response.get("Error", {})
        return OperatorError(f"AWS refused: {problem.get('Code', '')}: {problem.get('Message', error)}")
    return OperatorError(f"AWS could not be reached: {error}")


@dataclass
class DeployedTarget(Target):
    stack_name: str = ""
    session: Any = None
    outputs: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    resources: dict[str, tuple[str, str]] = field(default_factory=dict)  # logical id: (physical id, type)

    @classmethod
    def find(
        cls, stack_name: str, *, region: str | None = None, profile: str | None = None
    ) -> DeployedTarget:
        try:
            session = boto3.session.Session(profile_name=profile, region_name=region)
            if not session.region_name:
                raise NoRegionError()
            cloudformation = session.client("cloudformation")
            try:
                stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
            except ClientError as error:
                if "does not exist" in str(error):
                    raise OperatorError(
                        f"there is no stack {stack_name} in {session.region_name} (the stack name given to "
                        "`make deploy`; --region if it is in another region)"
                    ) from None
                raise
            resources: dict[str, tuple[str, str]] = {}
            for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name):
                for resource in page["StackResourceSummaries"]:
                    resources[resource["LogicalResourceId"]] = (
                        resource.get("PhysicalResourceId", ""),
                        resource["ResourceType"],
                    )
            missing = [name for name in (API_FUNCTION, PUBLISH_FUNCTION) if not resources.get(name, ("",))[0]]
            if missing:
                raise OperatorError(
                    f"the stack {stack_name} is not a postdesk stack (no {', '.join(missing)})"
                )
            functions = session.client("lambda")
            variables: dict[str, str] = {}
            for logical_id in (API_FUNCTION, PUBLISH_FUNCTION):  # the API's, then the publish run's own
                configuration = functions.get_function_configuration(FunctionName=resources[logical_id][0])
                variables.update(configuration.get("Environment", {}).get("Variables", {}))
        except (BotoCoreError, ClientError) as error:
            raise _aws_problem(error) from None
        region_name = str(session.region_name)
        environment: dict[str, str | None] = {
            **variables,
            "AWS_DEFAULT_REGION": region_name,
            "AWS_REGION": region_name,
        }
        if profile:
            environment["AWS_PROFILE"] = profile
        return cls(
            label=f"the stack {stack_name} in {region_name}",
            variables=variables,
            environment=environment,
            stack_name=stack_name,
            session=session,
            outputs={o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", [])},
            parameters={
                p["ParameterKey"]: p.get("ResolvedValue") or p.get("ParameterValue", "")
                for p in stack.get("Parameters", [])
            },
            resources=resources,
        )

    def client(self, service: str, config: Config | None = None) -> Any:
        return self.session.client(service, config=config)

    def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        physical = self.resources.get(function, ("",))[0]
        if not physical:
            raise OperatorError(f"the stack {self.stack_name} has no {function}")
        # One attempt: a run asked for by hand is never repeated behind the operator's back.
        config = Config(
            read_timeout=LONGEST_RUN_SECONDS, connect_timeout=10, retries={"total_max_attempts": 1}
        )
        try:
            answer = self.client("lambda", config).invoke(
                FunctionName=physical, Payload=json.dumps(event).encode()
            )
            payload: dict[str, Any] = json.loads(answer["Payload"].read() or b"{}")
        except (BotoCoreError, ClientError) as error:
            raise _aws_problem(error) from None
        if answer.get("FunctionError"):
            raise OperatorError(
                f"the {function} function failed: {payload.get('errorType', '')}: "
                f"{payload.get('errorMessage', '')} (its logs: the CloudWatch log group of {physical})"
            )
        return payload

    def schedules(self) -> Schedules | None:
        publish = self.parameters.get(PUBLISH_SCHEDULE_PARAMETER)
        digest = self.parameters.get(DIGEST_SCHEDULE_PARAMETER)
        if not publish or not digest:
            return None
        zone = self.parameters.get(TIME_ZONE_PARAMETER) or self.variable("TIME_ZONE")
        return Schedules(publish=publish, digest=digest, time_zone=zone)

    def base_url(self) -> str:
        """Where the links in mails point: the stack's PublicBaseUrl output where it has one, else the
        functions' PUBLIC_BASE_URL, else the API's own URL."""
        chosen = (
            self.outputs.get(PUBLIC_BASE_URL_OUTPUT)
            or self.variable("PUBLIC_BASE_URL")
            or self.outputs.get(API_URL_OUTPUT, "")
        )
        return chosen.rstrip("/")

    def attention(self) -> list[Attention]:
        found = []
        try:
            cloudwatch = self.client("cloudwatch")
            # The stack's alarms: its resources' (and its nested stacks'), and those whose names
            # CloudFormation generated from the stack's name.
            named = [physical for physical, kind in self._all_resources() if kind == ALARM_TYPE and physical]
            firing: dict[str, Any] = {}
            for start in range(0, len(named), 100):
                answer = cloudwatch.describe_alarms(AlarmNames=named[start : start + 100], StateValue="ALARM")
                firing.update({alarm["AlarmName"]: alarm for alarm in answer["MetricAlarms"]})
            pages = cloudwatch.get_paginator("describe_alarms").paginate(
                AlarmNamePrefix=f"{self.stack_name}-", StateValue="ALARM"
            )
            for page in pages:
                firing.update({alarm["AlarmName"]: alarm for alarm in page["MetricAlarms"]})
            found += [
                Attention("alarm", name, alarm.get("StateReason", ""))
                for name, alarm in sorted(firing.items())
            ]
            queue = self.outputs.get(INBOUND_FAILURES_OUTPUT)
            if queue:
                attributes = self.client("sqs").get_queue_attributes(
                    QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"]
                )["Attributes"]
                waiting = int(attributes.get("ApproximateNumberOfMessages", "0"))
                if waiting:
                    found.append(
                        Attention(
                            "inbound mail failed",
                            f"{waiting} message(s)",
                            f"in {queue}: each names a raw mail kept under inbound-mail/ in the media bucket",
                        )
                    )
        except (BotoCoreError, ClientError) as error:
            found.append(Attention("could not look", "alarms and queues", str(_aws_problem(error))))
        return found

    def _all_resources(self) -> list[tuple[str, str]]:
        """The stack's resources, and those of its nested stacks (monitoring may be one)."""
        every = list(self.resources.values())
        cloudformation = self.client("cloudformation")
        for physical, kind in list(every):
            if kind == NESTED_STACK_TYPE and physical:
                paginator = cloudformation.get_paginator("list_stack_resources")
                for page in paginator.paginate(StackName=physical):
                    every += [
                        (r.get("PhysicalResourceId", ""), r["ResourceType"])
                        for r in page["StackResourceSummaries"]
                    ]
        return every


# -- a shell with the functions' environment ------------------------------------------------------


@dataclass
class EnvironmentTarget(Target):
    def client(self, service: str) -> Any:
        return boto3.client(service)  # type: ignore[call-overload]

    def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        # Imported here: the product's modules read their environment when imported (Powertools'
        # Metrics its namespace), so nothing that merely finds a stack imports them.
        from postdesk_tools.verbs import product

        with product.acting_on({}):
            if function == PUBLISH_FUNCTION:
                return product.morning_run_now(dry_run=bool(event.get("dry_run")))
            if function == DIGEST_FUNCTION:
                return product.digest_now()
        raise OperatorError(f"{function} cannot run from this shell")


def find_target(
    *,
    stack: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    url: str | None = None,
    state_dir: Path | None = None,
) -> Target:
    if stack:
        return DeployedTarget.find(stack, region=region, profile=profile)
    if url:
        return LocalTarget.at_url(url)
    if state_dir is None and os.environ.get("TABLE_NAME"):
        variables = dict(os.environ)
        return EnvironmentTarget(
            label=f"the table {variables['TABLE_NAME']} (this shell's environment)", variables=variables
        )
    return LocalTarget.in_state_dir(state_dir or DEFAULT_STATE_DIR)
