"""The operator's command line finds a deployed stack's parts by template.yaml's names: a renamed
function, output or parameter would leave `postdesk --stack` blind, so these names are checked here."""

from __future__ import annotations

import subprocess
import sys

from postdesk_tools.local_stack.template_resources import load_template
from postdesk_tools.verbs import targets

TEMPLATE = load_template()


def test_the_functions_the_command_line_invokes_and_reads_are_the_templates() -> None:
    resources = TEMPLATE["Resources"]
    for logical_id in (targets.API_FUNCTION, targets.PUBLISH_FUNCTION, targets.DIGEST_FUNCTION):
        assert resources[logical_id]["Type"] == "AWS::Serverless::Function", logical_id


def test_the_schedules_and_outputs_the_command_line_reads_are_the_templates() -> None:
    for name in (
        targets.PUBLISH_SCHEDULE_PARAMETER,
        targets.DIGEST_SCHEDULE_PARAMETER,
        targets.TIME_ZONE_PARAMETER,
    ):
        assert name in TEMPLATE["Parameters"], name
    assert targets.API_URL_OUTPUT in TEMPLATE["Outputs"]
    assert targets.INBOUND_FAILURES_OUTPUT in TEMPLATE["Outputs"]


def test_every_function_that_reads_the_approvers_may_read_their_parameter() -> None:
    # Given the approvers parameter named to every function by the global environment
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["APPROVERS_PARAMETER"] == {"Ref": "ApproversParameter"}
    assert TEMPLATE["Resources"]["ApproversParameter"]["Type"] == "AWS::SSM::Parameter"

    # Then the functions that mail or check approvers are allowed to read it, and only it
    for logical_id in ("ApiFunction", "PublishFunction", "DigestFunction"):
        statements = [
            statement
            for policy in TEMPLATE["Resources"][logical_id]["Properties"]["Policies"]
            if isinstance(policy, dict) and "Statement" in policy
            for statement in policy["Statement"]
        ]
        reads = [s for s in statements if s.get("Action") == "ssm:GetParameter"]
        assert len(reads) == 1, logical_id
        assert "parameter/${ApproversParameter}" in reads[0]["Resource"]["Fn::Sub"], logical_id


def test_the_command_line_imports_nothing_of_the_product_before_a_verb_runs() -> None:
    # The product's modules read the functions' environment when imported (Powertools' Metrics takes
    # its namespace then): imported early, by `postdesk local` before it sets that environment, or by
    # a test's collection, they would keep none.
    script = (
        "import sys, postdesk_tools.cli as cli, postdesk_tools.verbs.targets\n"
        "cli.build_parser().parse_args(['status'])\n"
        "print(sorted(m for m in sys.modules if m == 'postdesk' or m.startswith('postdesk.')))"
    )
    imported = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert imported.stdout.strip() == "[]"
