"""The local stack runs each function as Lambda does: execution environments of their own (processes),
several at once, each importing its handler once and staying warm; an event past its function's
timeout is answered as API Gateway answers it and its environment replaced; an event that could not
start before its caller stopped waiting never runs."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import pytest

from postdesk_tools.local_stack.console import Console
from postdesk_tools.local_stack.gateway import Gateway
from postdesk_tools.local_stack.lambda_function import (
    FunctionSettings,
    FunctionTimedOutError,
    HandlerFailedError,
    LocalFunction,
    concurrency_from,
)
from tests.integration.local_stack_fixtures import SAMPLE_HANDLER, Reply, call

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


def _function(
    timeout_seconds: float = 10, concurrency: int = 2, handler: str = SAMPLE_HANDLER
) -> LocalFunction:
    return LocalFunction(
        FunctionSettings(handler=handler, function_name="postdesk-test", timeout_seconds=timeout_seconds),
        concurrency=concurrency,
    )


@pytest.fixture
def gateway_for() -> Iterator[Any]:
    """A gateway in front of a function of the test's own (its timeout, its concurrency), with one
    environment started, so that a short gateway timeout is not spent on the cold start."""
    started: list[tuple[Gateway, LocalFunction]] = []

    def start(function: LocalFunction, integration_timeout_seconds: float = 29) -> Gateway:
        function.prewarm()
        gateway = Gateway(
            function,
            Console(),
            binary_media_types=[],
            port=0,
            integration_timeout_seconds=integration_timeout_seconds,
        )
        gateway.start()
        started.append((gateway, function))
        return gateway

    yield start
    for gateway, function in started:
        gateway.stop()
        function.close(wait_seconds=0)


def _at_once(*requests: tuple[str, str]) -> list[Reply]:
    """Send every (method, url) at the same moment; the replies in the same order."""
    replies: list[Reply | None] = [None] * len(requests)
    barrier = threading.Barrier(len(requests))

    def send(number: int, method: str, url: str) -> None:
        barrier.wait()
        replies[number] = call(method, url)

    threads = [
        threading.Thread(target=send, args=(number, method, url))
        for number, (method, url) in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [reply for reply in replies if reply is not None]


def test_two_requests_at_the_same_moment_run_at_the_same_time_each_in_its_own_process(
    gateway_for: Any, tmp_path: Path
) -> None:
    # Given a function that may run two environments at once
    gateway = gateway_for(_function(concurrency=2))

    # When two requests arrive together, each waiting to meet the other inside the handler
    first, second = _at_once(
        ("GET", f"{gateway.url}/meet?folder={tmp_path}&me=a&other=b"),
        ("GET", f"{gateway.url}/meet?folder={tmp_path}&me=b&other=a"),
    )

    # Then they met: both ran at once, in two processes
    assert (first.status, second.status) == (200, 200)
    assert first.json()["met"] and second.json()["met"]
    assert first.json()["pid"] != second.json()["pid"]


def test_an_environment_imports_its_handler_once_and_stays_warm(gateway_for: Any) -> None:
    gateway = gateway_for(_function(concurrency=1))

    answers = [call("GET", f"{gateway.url}/whoami").json() for _ in range(3)]

    assert len({answer["pid"] for answer in answers}) == 1
    assert [answer["calls"] for answer in answers] == [1, 2, 3]
    assert gateway.function.cold_starts == 1


def test_an_event_past_the_functions_timeout_is_a_502_and_its_environment_is_replaced(
    gateway_for: Any, tmp_path: Path
) -> None:
    # Given a function with a 2 s timeout, warm
    gateway = gateway_for(_function(timeout_seconds=2, concurrency=1))
    before = call("GET", f"{gateway.url}/whoami").json()["pid"]

    # When an event runs past it
    late = call("GET", f"{gateway.url}/sleep?seconds=30&mark={tmp_path / 'finished'}")

    # Then API Gateway's answer to a failed invocation, and the next event gets a new environment
    assert late.status == 502
    assert late.json() == {"message": "Internal server error"}
    after = call("GET", f"{gateway.url}/whoami").json()
    assert after["pid"] != before and after["calls"] == 1
    assert not (tmp_path / "finished").exists()


def test_an_event_past_api_gateways_29_s_is_a_504_and_still_runs_to_its_end(
    gateway_for: Any, tmp_path: Path
) -> None:
    # Given a gateway that waits 1 s in front of a function whose own timeout is longer
    gateway = gateway_for(_function(timeout_seconds=20, concurrency=1), integration_timeout_seconds=1)
    finished = tmp_path / "finished"

    # When an event takes longer than the gateway waits
    answer = call("GET", f"{gateway.url}/sleep?seconds=2&mark={finished}")

    # Then the caller gets API Gateway's timeout, and the function still finishes, as in Lambda
    assert answer.status == 504
    assert answer.json() == {"message": "Endpoint request timed out"}
    _wait_for(finished)
    # and its environment, having ended within its own timeout, stays warm for the next event
    assert call("GET", f"{gateway.url}/whoami").status == 200
    assert gateway.function.cold_starts == 1


def test_an_event_that_cannot_start_before_the_gateway_gives_up_is_never_run(
    gateway_for: Any, tmp_path: Path
) -> None:
    # Given one environment, busy with a long event, and a gateway that waits 1 s
    gateway = gateway_for(_function(timeout_seconds=20, concurrency=1), integration_timeout_seconds=1)
    first_started, first_done, second_done = tmp_path / "started", tmp_path / "first", tmp_path / "second"
    answers: list[Reply] = []
    first_request = threading.Thread(
        target=lambda: answers.append(
            call("GET", f"{gateway.url}/sleep?seconds=3&started={first_started}&mark={first_done}")
        )
    )
    first_request.start()
    _wait_for(first_started)

    # When a second request arrives while the first runs
    second = call("GET", f"{gateway.url}/sleep?seconds=0&mark={second_done}")
    first_request.join()
    first = answers[0]

    # Then both are told the gateway timed out; the first still ran to its end, the second never ran
    assert (first.status, second.status) == (504, 504)
    _wait_for(first_done)
    assert call("GET", f"{gateway.url}/whoami").status == 200
    assert not second_done.exists()
    assert gateway.function.cold_starts == 1


def test_a_handler_that_cannot_be_imported_fails_each_event_and_is_tried_again() -> None:
    function = _function(handler="tests.integration.no_such_module.lambda_handler")
    try:
        for _ in range(2):
            with pytest.raises(
                HandlerFailedError, match=r"Runtime.ImportModuleError \(ModuleNotFoundError\)"
            ):
                function.invoke({"path": "/"})
        assert function.cold_starts == 0
    finally:
        function.close(wait_seconds=0)


def test_a_function_called_directly_times_out_as_lambda_does() -> None:
    function = _function(timeout_seconds=1, concurrency=1)
    try:
        with pytest.raises(FunctionTimedOutError, match=r"Task timed out after 1\.00 seconds"):
            function.invoke({"path": "/sleep", "queryStringParameters": {"seconds": "30"}})
    finally:
        function.close(wait_seconds=0)


@pytest.mark.parametrize(("asked", "expected"), [(None, 4), ("", 4), ("1", 1), ("8", 8), ("500", 32)])
def test_the_concurrency_asked_for_is_held_to_the_cap(asked: str | None, expected: int) -> None:
    assert concurrency_from(asked) == expected


@pytest.mark.parametrize("asked", ["0", "-2", "four"])
def test_a_concurrency_that_is_not_a_count_of_environments_is_refused(asked: str) -> None:
    with pytest.raises(ValueError, match="concurrency"):
        concurrency_from(asked)


def _wait_for(path: Path, seconds: float = 20) -> None:
    """Until `path` exists: what a finished event leaves behind (not a measure of time)."""
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)
