"""Fixtures for tests that run the local stack in this process: moto (a child process), the gateway on a
free port, and a state directory of the test's own.

A test module imports the fixtures it uses (`from ...local_stack_fixtures import local_stack_fixture`);
they are named `*_fixture` in Python and by their plain name in pytest, so that a test's parameter does
not shadow the import."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from postdesk_tools.local_stack.environment import handler_environment
from postdesk_tools.local_stack.stack import LocalStack

SAMPLE_HANDLER = "tests.integration.sample_handler.lambda_handler"


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def call(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
    """One HTTP request, whatever its status (urllib would raise on 4xx and 5xx)."""
    target = urlsplit(url)
    connection = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=60)
    try:
        path = target.path + (f"?{target.query}" if target.query else "")
        connection.request(method, path or "/", body=body, headers=headers or {})
        answer = connection.getresponse()
        return Reply(answer.status, answer.headers, answer.read())
    finally:
        connection.close()


StartStack = Callable[..., LocalStack]


def clear_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Variables the stack would take as overrides are cleared, so that a test gets the stack's defaults
    whatever the shell running the tests has set."""
    for name in [
        *handler_environment(aws_endpoint="", state_dir=tmp_path),
        "AWS_PROFILE",
    ]:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(name="start_local_stack")
def start_local_stack_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StartStack]:
    """Start a local stack of the test's own, stopped at its end: `start_local_stack(state_dir=...)`."""
    clear_overrides(monkeypatch, tmp_path)
    started: list[LocalStack] = []

    def start(
        state_dir: Path | None = None, handler: str = SAMPLE_HANDLER, reset: bool = False
    ) -> LocalStack:
        stack = LocalStack(
            state_dir=state_dir or tmp_path / "state",
            port=0,
            aws_port=0,
            handler=handler,
            reset=reset,
            warm=False,
        )
        started.append(stack)
        return stack.start()

    yield start
    for stack in reversed(started):
        stack.stop()


@pytest.fixture(name="local_stack")
def local_stack_fixture(start_local_stack: StartStack) -> LocalStack:
    """A fresh local stack for one test: what it finds in the table and the outbox is its own."""
    return start_local_stack()


@pytest.fixture(name="shared_local_stack", scope="module")
def shared_local_stack_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """One local stack for the tests of a module that only look at requests and answers (starting one
    costs about a second)."""
    state_dir = tmp_path_factory.mktemp("shared-local-stack")
    with pytest.MonkeyPatch.context() as monkeypatch:
        clear_overrides(monkeypatch, state_dir)
        stack = LocalStack(state_dir=state_dir, port=0, aws_port=0, handler=SAMPLE_HANDLER, warm=False)
        with stack:
            yield stack


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningLocal:
    """`postdesk local` started as a person starts it, in a process group (a session) of its own, as a
    terminal or a service manager runs it: a signal to the group reaches every process of the stack."""

    url: str
    process: subprocess.Popen[str]
    output: list[str]

    @property
    def restored(self) -> tuple[bool, int]:
        """(from a snapshot?, how many recorded requests were replayed) as the start printed them."""
        for line in self.output:
            found = re.search(r"restored from (a snapshot and )?(\d+) recorded requests", line)
            if found:
                return found.group(1) is not None, int(found.group(2))
        raise AssertionError(f"no restore line in {self.output}")

    def signal_group(self, signum: int) -> None:
        os.killpg(self.process.pid, signum)

    def group_is_gone(self, within_seconds: float = 60) -> bool:
        """True once no process of the stack's group is left (a bound to wait, not a measure)."""
        deadline = time.monotonic() + within_seconds
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.1)
        return False


# The stacks of these tests are about load, races and stops, not floods: one colleague may propose as
# often as a test needs (the flood limits have their own tests).
NO_FLOOD_LIMITS = {
    "PROPOSALS_PER_PROPOSER_PER_HOUR": "0",
    "PROPOSALS_PER_PROPOSER_PER_DAY": "0",
    "CONFIRMATIONS_PER_RECIPIENT_PER_HOUR": "0",
    "CONFIRMATIONS_PER_RECIPIENT_PER_DAY": "0",
    "PROPOSALS_PER_SOURCE_IP_PER_HOUR": "0",
    "PROPOSALS_PER_SOURCE_IP_PER_DAY": "0",
}


def run_postdesk_local(state_dir: Path, environment: dict[str, str] | None = None) -> RunningLocal:
    """`postdesk local` on free ports, answering once its console does; stopped by the caller."""
    environment = {**NO_FLOOD_LIMITS, **(environment or {})}
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "postdesk"),
        "local",
        "--port",
        str(port),
        "--aws-port",
        str(free_port()),
        "--smtp-port",
        str(free_port()),
        "--state-dir",
        str(state_dir),
    ]
    inherited = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "POSTDESK_"))
    }
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**inherited, **(environment or {})},
        start_new_session=True,
    )
    output: list[str] = []
    assert process.stdout is not None
    stdout = process.stdout

    def read() -> None:
        for line in stdout:
            output.append(line)

    threading.Thread(target=read, daemon=True).start()
    running = RunningLocal(f"http://127.0.0.1:{port}", process, output)
    deadline = time.monotonic() + 120
    while not any("restored from" in line for line in output):
        if process.poll() is not None or time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                running.signal_group(signal.SIGKILL)
            raise RuntimeError(f"postdesk local did not start: {''.join(output)}")
        time.sleep(0.1)
    return running


@pytest.fixture(name="postdesk_local")
def postdesk_local_fixture() -> Iterator[Callable[..., RunningLocal]]:
    """Start `postdesk local` processes; whatever is left of them is killed at the test's end."""
    started: list[RunningLocal] = []

    def start(state_dir: Path, environment: dict[str, str] | None = None) -> RunningLocal:
        running = run_postdesk_local(state_dir, environment)
        started.append(running)
        return running

    yield start
    for running in started:
        with contextlib.suppress(ProcessLookupError):
            running.signal_group(signal.SIGKILL)
        running.process.wait(timeout=60)
