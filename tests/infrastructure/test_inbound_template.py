"""template.yaml's proposals by email: all behind the EmailReceiving parameter (off by default), the raw
message kept before the function runs, SES alone allowed to write it, and a function that can do no
more than its job."""

from __future__ import annotations

import dataclasses
from typing import Any

from postdesk.config import Settings
from postdesk_tools.local_stack.inbound_mail import receipt_rule_prefix
from postdesk_tools.local_stack.template_resources import load_template

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
RECEIVING = [
    "InboundRuleSet",
    "InboundMailRule",
    "InboundMailPermission",
    "InboundMailFailures",
    "InboundMailFunction",
]


def _statements(logical_id: str) -> list[dict[str, Any]]:
    policies = RESOURCES[logical_id]["Properties"]["Policies"]
    return [statement for policy in policies if "Statement" in policy for statement in policy["Statement"]]


def test_receiving_is_off_unless_the_operator_turns_it_on() -> None:
    parameter = TEMPLATE["Parameters"]["EmailReceiving"]
    assert parameter["Default"] == "Disabled"
    assert parameter["AllowedValues"] == ["Enabled", "Disabled"]
    assert TEMPLATE["Conditions"]["EmailReceivingEnabled"] == {
        "Fn::Equals": [{"Ref": "EmailReceiving"}, "Enabled"]
    }
    for logical_id in RECEIVING:
        assert RESOURCES[logical_id]["Condition"] in ("EmailReceivingEnabled", "OwnReceiptRuleSet"), (
            logical_id
        )
    rule = TEMPLATE["Rules"]["ReceivingNeedsAnAddress"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "EmailReceiving"}, "Enabled"]}


def test_the_rule_keeps_the_raw_message_before_it_invokes_the_function_asynchronously() -> None:
    rule = RESOURCES["InboundMailRule"]
    actions = rule["Properties"]["Rule"]["Actions"]

    assert [next(iter(action)) for action in actions] == ["S3Action", "LambdaAction"]
    assert actions[0]["S3Action"]["BucketName"] == {"Ref": "MediaBucket"}
    assert actions[1]["LambdaAction"]["InvocationType"] == "Event"
    assert actions[1]["LambdaAction"]["FunctionArn"] == {"Fn::GetAtt": ["InboundMailFunction", "Arn"]}
    assert set(rule["DependsOn"]) == {"InboundMailPermission", "MediaBucketPolicy"}
    assert rule["Properties"]["Rule"]["ScanEnabled"] is True  # the spam and virus verdicts
    assert rule["Properties"]["Rule"]["Recipients"] == [{"Ref": "SubmissionAddress"}]


def test_the_function_the_console_and_the_rule_agree_on_where_raw_mail_is_kept() -> None:
    prefix = RESOURCES["InboundMailRule"]["Properties"]["Rule"]["Actions"][0]["S3Action"]["ObjectKeyPrefix"]
    variables = RESOURCES["InboundMailFunction"]["Properties"]["Environment"]["Variables"]

    assert variables["INBOUND_MAIL_PREFIX"] == prefix
    assert receipt_rule_prefix(TEMPLATE) == prefix
    assert {f.name: f.default for f in dataclasses.fields(Settings)}["inbound_mail_prefix"] == prefix
    assert variables["SUBMISSION_ADDRESS"] == {"Ref": "SubmissionAddress"}


def test_only_ses_on_behalf_of_this_rule_may_write_raw_mail_and_only_under_its_prefix() -> None:
    statements = RESOURCES["MediaBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    (conditional,) = [statement["Fn::If"] for statement in statements if "Fn::If" in statement]
    condition, statement, otherwise = conditional

    assert condition == "EmailReceivingEnabled"
    assert otherwise == {"Ref": "AWS::NoValue"}
    assert statement["Principal"] == {"Service": "ses.amazonaws.com"}
    assert statement["Action"] == "s3:PutObject"
    assert statement["Resource"] == {"Fn::Sub": "${MediaBucket.Arn}/inbound-mail/*"}
    conditions = statement["Condition"]["StringEquals"]
    assert conditions["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    source_arn = conditions["aws:SourceArn"]["Fn::Sub"][0]
    assert source_arn.endswith(":receipt-rule/${AWS::StackName}-proposals")
    assert RESOURCES["InboundMailRule"]["Properties"]["Rule"]["Name"] == {
        "Fn::Sub": "${AWS::StackName}-proposals"
    }


def test_only_ses_for_this_rule_may_invoke_the_function() -> None:
    permission = RESOURCES["InboundMailPermission"]["Properties"]
    assert permission["Principal"] == "ses.amazonaws.com"
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert permission["SourceArn"]["Fn::Sub"][0].endswith(":receipt-rule/${AWS::StackName}-proposals")


def test_the_function_reads_raw_mail_only_writes_images_only_and_never_queries_or_scans() -> None:
    statements = _statements("InboundMailFunction")
    actions = {
        action: statement["Resource"]
        for statement in statements
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }

    assert actions["s3:GetObject"] == {"Fn::Sub": "${MediaBucket.Arn}/inbound-mail/*"}
    assert actions["s3:PutObject"] == {"Fn::Sub": "${MediaBucket.Arn}/proposals/*"}
    assert "dynamodb:Scan" not in actions and "dynamodb:Query" not in actions
    assert actions["dynamodb:PutItem"] == {"Fn::GetAtt": ["ProposalsTable", "Arn"]}
    # Listing, only under the raw mail's prefix, is what makes S3 say NoSuchKey rather than AccessDenied
    assert actions["s3:ListBucket"] == {"Fn::GetAtt": ["MediaBucket", "Arn"]}
    (listing,) = [s for s in statements if s["Action"] == "s3:ListBucket"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": "inbound-mail/*"}}
    assert set(actions) <= {
        "s3:ListBucket",
        "s3:GetObject",
        "s3:PutObject",
        "s3:PutObjectTagging",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
        "ses:SendRawEmail",
    }


def test_an_invocation_that_keeps_failing_lands_in_a_queue_not_nowhere() -> None:
    config = RESOURCES["InboundMailFunction"]["Properties"]["EventInvokeConfig"]
    assert config["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS",
        "Destination": {"Fn::GetAtt": ["InboundMailFailures", "Arn"]},
    }
    assert config["MaximumRetryAttempts"] == 2
    assert RESOURCES["InboundMailFailures"]["Properties"]["SqsManagedSseEnabled"] is True
