"""The bench's own reading of what it measures: the template's handlers, -X importtime's lines, a
package's contents, DynamoDB calls. (The figures themselves come from `make bench`, never from tests.)"""

from __future__ import annotations

from pathlib import Path

from benchmarks.cold_start import by_package, extra_costs, parse_importtime
from benchmarks.lambda_functions import declared_functions
from benchmarks.moto_stack import Call, describe, items_read
from benchmarks.package_size import distribution_name, never_shipped
from benchmarks.report import Section


def test_the_bench_measures_every_handler_the_template_declares() -> None:
    # Given template.yaml
    # When the bench reads its functions
    functions = declared_functions()

    # Then each has its handler module and the environment Lambda would give it
    modules = {function.module for function in functions}
    assert "postdesk.handlers.api" in modules
    api = next(function for function in functions if function.module == "postdesk.handlers.api")
    assert api.environment["POWERTOOLS_SERVICE_NAME"] == "postdesk"
    assert api.environment["AWS_LAMBDA_FUNCTION_NAME"].endswith("ApiFunction")
    assert all(isinstance(value, str) for value in api.environment.values())


def test_importtime_costs_beyond_the_floor_are_grouped_by_package() -> None:
    # Given -X importtime's output for the floor and for a handler
    floor = parse_importtime(
        "import time: self [us] | cumulative | imported package\n"
        "import time:       100 |        100 | boto3\n"
    )
    handler = parse_importtime(
        "import time: self [us] | cumulative | imported package\n"
        "import time:       100 |        100 | boto3\n"
        "import time:      2000 |       2000 |   jinja2.nodes\n"
        "import time:      3000 |       5000 | jinja2\n"
        "import time:       500 |        500 | postdesk.table\n"
    )

    # When the costs beyond the floor are grouped
    grouped = by_package({name: float(cost) for name, cost in extra_costs(handler, floor).items()})

    # Then the floor's own imports are not counted, and each package sums its modules
    assert grouped == {"jinja2": (5000.0, 2), "postdesk": (500.0, 1)}


def test_a_package_holding_test_or_local_stack_tools_is_caught(tmp_path: Path) -> None:
    # Given a built package with moto and a pytest plugin beside the runtime dependencies
    for directory in ("boto3", "moto", "moto-5.1.0.dist-info", "pytest_socket-0.7.0.dist-info"):
        (tmp_path / directory).mkdir()
    (tmp_path / "six.py").write_text("")

    # Then the bench names them, and only them
    assert never_shipped(tmp_path) == ["moto", "pytest_socket"]
    assert distribution_name("aws_lambda_powertools-3.37.0.dist-info") == "aws_lambda_powertools"


def test_dynamodb_calls_are_described_by_the_items_they_touch() -> None:
    # Given the calls of an approval
    read = Call(
        "dynamodb", "GetItem", {"Key": {"pk": {"S": "PROPOSAL#1"}, "sk": {"S": "LINK#ab"}}}, {"Item": {}}
    )
    write = Call(
        "dynamodb",
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Update": {"Key": {"pk": {"S": "PROPOSAL#1"}, "sk": {"S": "PROPOSAL"}}}},
                {"Put": {"Item": {"pk": {"S": "OUTBOX"}, "sk": {"S": "2026-12-01T08:00:00+00:00#ab"}}}},
            ]
        },
        {},
    )
    query = Call("dynamodb", "Query", {"IndexName": "due"}, {"Count": 3, "ScannedCount": 3})

    # Then the report names what each touched, and how many items each read
    assert describe(read) == "GetItem(LINK)"
    assert describe(write) == "TransactWriteItems(Update PROPOSAL, Put OUTBOX)"
    assert describe(query) == "Query(index due)"
    assert [items_read(call) for call in (read, write, query)] == [1, 0, 3]


def test_a_section_says_over_when_a_budget_is_over_and_failed_when_a_figure_is_missing() -> None:
    section = Section("cold start")
    assert section.verdict() == "budget: ok"
    section.exceed("api 1.3x the floor")
    assert section.verdict() == "budget: OVER (api 1.3x the floor)"
    section.fail("the floor does not import")
    assert section.verdict().startswith("budget: unknown (measurement failed")
