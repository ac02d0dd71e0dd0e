"""What an operator relies on in a real account: every failure reaches a person by mail, two stacks live
side by side, logs and personal data go away when their time comes, nothing that must last is lost with
the stack."""

from __future__ import annotations

import json
from typing import Any

import pytest

from postdesk_tools.local_stack.template_resources import lifecycle_rules, load_template
from tests.template_values import Deployment

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
FUNCTIONS = [name for name, resource in RESOURCES.items() if resource["Type"] == "AWS::Serverless::Function"]
ALARM = "AWS::CloudWatch::Alarm"
GLOBAL_VARIABLES = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]


def _alarms() -> dict[str, dict[str, Any]]:
    return {name: resource["Properties"] for name, resource in RESOURCES.items() if resource["Type"] == ALARM}


def _alarm_on(namespace: str, metric: str, dimension: dict[str, Any]) -> dict[str, Any]:
    found = [
        properties
        for properties in _alarms().values()
        if properties["Namespace"] == namespace
        and properties["MetricName"] == metric
        and dimension in properties["Dimensions"]
    ]
    assert len(found) == 1, f"one alarm on {namespace} {metric} {dimension}, found {len(found)}"
    return found[0]


def _wired_to_the_operator(alarm: dict[str, Any]) -> None:
    assert alarm["AlarmActions"] == [{"Ref": "AlertsTopic"}]
    assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"  # a quiet day is not an alarm


def test_the_alerts_topic_mails_the_operator_without_ses() -> None:
    assert RESOURCES["AlertsTopic"]["Type"] == "AWS::SNS::Topic"
    subscription = RESOURCES["AlertsSubscription"]["Properties"]
    assert subscription == {
        "TopicArn": {"Ref": "AlertsTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "AlertEmail"},
    }
    assert "Default" not in TEMPLATE["Parameters"]["AlertEmail"]  # a guided deploy asks for it


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_s_errors_reach_the_operator(function: str) -> None:
    alarm = _alarm_on("AWS/Lambda", "Errors", {"Name": "FunctionName", "Value": {"Ref": function}})
    _wired_to_the_operator(alarm)
    assert alarm["Statistic"] == "Sum"


@pytest.mark.parametrize("metric", ["MailUndeliverable", "PostsFailed", "PostsToReconcile", "MailBounced"])
def test_the_product_s_own_alarming_metrics_reach_the_operator(metric: str) -> None:
    # Powertools emits them in POWERTOOLS_METRICS_NAMESPACE with one dimension, `service`, which is
    # POWERTOOLS_SERVICE_NAME: the alarm must name exactly those, or it watches a metric nobody writes.
    service = GLOBAL_VARIABLES["POWERTOOLS_SERVICE_NAME"]
    namespace = GLOBAL_VARIABLES["POWERTOOLS_METRICS_NAMESPACE"]
    alarm = _alarm_on(namespace, metric, {"Name": "service", "Value": service})
    assert alarm["Dimensions"] == [{"Name": "service", "Value": service}]
    _wired_to_the_operator(alarm)


@pytest.mark.parametrize("queue", ["InboundMailFailures", "PublishFailures"])
def test_events_left_in_a_failure_queue_reach_the_operator(queue: str) -> None:
    alarm = _alarm_on(
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}},
    )
    _wired_to_the_operator(alarm)


def test_api_5xx_reach_the_operator() -> None:
    alarm = _alarm_on("AWS/ApiGateway", "5XXError", {"Name": "ApiName", "Value": {"Ref": "AWS::StackName"}})
    assert {"Name": "Stage", "Value": "prod"} in alarm["Dimensions"]
    assert RESOURCES["PostdeskApi"]["Properties"]["Name"] == {"Ref": "AWS::StackName"}
    _wired_to_the_operator(alarm)


def test_a_failed_publish_is_kept_and_not_retried_blindly() -> None:
    config = RESOURCES["PublishFunction"]["Properties"]["EventInvokeConfig"]
    assert config["MaximumRetryAttempts"] == 0
    assert config["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS",
        "Destination": {"Fn::GetAtt": ["PublishFailures", "Arn"]},
    }


def test_the_dashboard_and_the_saved_queries_exist() -> None:
    body = RESOURCES["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    for metric in ("PostsPublished", "MailUndeliverable", "5XXError", "ApproximateNumberOfMessagesVisible"):
        assert metric in body
    queries = {
        resource["Properties"]["Name"]["Fn::Sub"]
        for resource in RESOURCES.values()
        if resource["Type"] == "AWS::Logs::QueryDefinition"
    }
    assert {name.split("/", 1)[1].split(" (")[0] for name in queries} == {
        "what happened to proposal X",
        "owed mail",
        "morning runs",
    }


# Properties that name a resource: CloudFormation generates a unique name when they are left out.
NAME_PROPERTIES = {
    "Name",
    "FunctionName",
    "TableName",
    "ScheduleName",
    "GroupName",
    "BucketName",
    "TopicName",
    "QueueName",
    "LogGroupName",
    "DashboardName",
    "AlarmName",
    "RuleSetName",
    "RoleName",
    "StateMachineName",
    "ConfigurationSetName",
}


def _fixed_names(properties: dict[str, Any], where: str) -> list[str]:
    """Names a resource is given: its own name properties, and a receipt rule's (a resource in a rule set)."""
    named = {key: value for key, value in properties.items() if key in NAME_PROPERTIES}
    if isinstance(properties.get("Rule"), dict) and "Name" in properties["Rule"]:
        named["Rule.Name"] = properties["Rule"]["Name"]
    return [f"{where}.{key}" for key, value in named.items() if not _built_from_the_stack(value)]


def _built_from_the_stack(value: Any) -> bool:
    """A name built from the stack's own (or taken from another resource, or the operator's choice)."""
    text = json.dumps(value)
    return "AWS::StackName" in text or '"Ref"' in text or "Fn::GetAtt" in text or "Fn::If" in text


def test_two_stacks_can_live_in_one_account_and_region() -> None:
    # Given every resource and every event source of the template
    offenders = []
    for logical_id, resource in RESOURCES.items():
        properties = resource.get("Properties", {})
        offenders += _fixed_names(properties, logical_id)
    # Then no name is fixed: each is generated or built from the stack's name
    assert offenders == []
    # And the schedules SAM makes are named by SAM from the function (no Name property given)
    for function in ("PublishFunction", "DigestFunction", "MailSweepFunction"):
        for event in RESOURCES[function]["Properties"]["Events"].values():
            assert "Name" not in event["Properties"], function


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_logs_to_its_own_group_with_a_retention(function: str) -> None:
    group = RESOURCES[function]["Properties"]["LoggingConfig"]["LogGroup"]
    assert group == {"Ref": f"{function}Logs"}
    log_group = RESOURCES[f"{function}Logs"]
    assert log_group["Properties"] == {"RetentionInDays": {"Ref": "LogRetentionDays"}}
    assert log_group.get("Condition") == RESOURCES[function].get("Condition")


def test_personal_data_and_raw_mail_are_kept_for_a_time_the_operator_sets() -> None:
    for parameter, variable in (
        ("ProposalRetentionDays", "PROPOSAL_RETENTION_DAYS"),
        ("AuditRetentionDays", "AUDIT_RETENTION_DAYS"),
    ):
        assert TEMPLATE["Parameters"][parameter]["Type"] == "Number"
        assert GLOBAL_VARIABLES[variable] == {"Ref": parameter}
    # Raw inbound mail expires under its prefix (read as the local stack applies it: the default)
    rules = lifecycle_rules(TEMPLATE, "MediaBucket")
    (raw_mail,) = [rule for rule in rules if rule["Filter"] == {"Prefix": "inbound-mail/"}]
    assert raw_mail["Expiration"] == {
        "Days": int(TEMPLATE["Parameters"]["InboundMailRetentionDays"]["Default"])
    }


def test_what_must_outlive_the_stack_is_retained_and_protected() -> None:
    table = RESOURCES["ProposalsTable"]
    assert table["Properties"]["DeletionProtectionEnabled"] is True
    assert table["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    secret = RESOURCES["SigningKeysSecret"]
    assert secret["DeletionPolicy"] == secret["UpdateReplacePolicy"] == "Retain"


def test_the_api_stage_is_not_traced_but_the_functions_are() -> None:
    assert RESOURCES["PostdeskApi"]["Properties"]["TracingEnabled"] is False
    assert TEMPLATE["Globals"]["Function"]["Tracing"] == "Active"


def test_the_firewall_is_off_unless_asked_for_and_then_limits_each_address() -> None:
    assert TEMPLATE["Parameters"]["WafRequestsPerFiveMinutes"]["Default"] == 0
    assert not Deployment(TEMPLATE).exists("ApiWebAcl")
    with_waf = Deployment(TEMPLATE, {"WafRequestsPerFiveMinutes": "300"})
    assert with_waf.exists("ApiWebAcl") and with_waf.exists("ApiWebAclAssociation")
    (rule,) = with_waf.resolve(RESOURCES["ApiWebAcl"]["Properties"]["Rules"])
    assert rule["Statement"]["RateBasedStatement"] == {"AggregateKeyType": "IP", "Limit": "300"}


def test_every_mail_goes_through_the_configuration_set_whose_bounces_are_recorded() -> None:
    assert GLOBAL_VARIABLES["MAIL_CONFIGURATION_SET"] == {"Ref": "MailConfigurationSet"}
    destination = RESOURCES["MailEventsDestination"]["Properties"]
    assert destination["ConfigurationSetName"] == {"Ref": "MailConfigurationSet"}
    events = destination["EventDestination"]
    assert {"bounce", "complaint"} <= set(events["MatchingEventTypes"])
    assert events["SnsDestination"] == {"TopicARN": {"Ref": "MailEventsTopic"}}
    subscription = RESOURCES["MailEventsFunction"]["Properties"]["Events"]["MailEvents"]
    assert subscription == {"Type": "SNS", "Properties": {"Topic": {"Ref": "MailEventsTopic"}}}


def test_the_sender_domain_identity_is_optional_and_publishes_its_dkim_records() -> None:
    assert not Deployment(TEMPLATE).exists("SenderDomain")
    deployment = Deployment(
        TEMPLATE, {"SenderDomainIdentity": "police.example", "MailFromDomain": "bounce.police.example"}
    )
    assert deployment.exists("SenderDomain")
    identity = deployment.resolve(RESOURCES["SenderDomain"]["Properties"])
    assert identity["DkimAttributes"] == {"SigningEnabled": True}
    assert identity["MailFromAttributes"]["MailFromDomain"] == "bounce.police.example"
    records = TEMPLATE["Outputs"]["DkimRecords"]["Value"]["Fn::Sub"]
    assert records.count("CNAME") == 3
