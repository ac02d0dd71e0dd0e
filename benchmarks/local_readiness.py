"""`make run` readiness: from starting `postdesk local` to the dev console answering, on a fresh state
directory (the first start creates the resources) and once more on the state it left (a restart)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from benchmarks.lambda_functions import ROOT
from benchmarks.report import MeasurementFailed, Section, progress, table

BUDGET_SECONDS = 5.0
GIVE_UP_SECONDS = 60.0
STARTS = ("fresh state", "restart on that state", "restart again")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def postdesk_command() -> list[str]:
    script = Path(sys.executable).with_name("postdesk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "postdesk_tools.cli"]


def accepts_smtp_port(command: list[str]) -> bool:
    done = subprocess.run(
        [*command, "local", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    return "--smtp-port" in done.stdout


def _environment() -> dict[str, str]:
    # The local stack sets the AWS and Powertools variables it needs; this machine's must not leak in.
    return {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "POWERTOOLS_"))}


def _answer(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # a local URL we built
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return None


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C, as a person stops `make run`; the whole group it started if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
            return
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


def time_to_answer(command: list[str], state_dir: Path, log: Path, smtp: bool) -> tuple[float, int]:
    port = free_port()
    arguments = [*command, "local", "--port", str(port), "--aws-port", str(free_port())]
    arguments += ["--state-dir", str(state_dir)]
    if smtp:
        arguments += ["--smtp-port", str(free_port())]
    url = f"http://127.0.0.1:{port}/_local/"
    with log.open("wb") as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            arguments,
            cwd=ROOT,
            env=_environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            while time.perf_counter() - started < GIVE_UP_SECONDS:
                status = _answer(url)
                if status is not None:
                    return time.perf_counter() - started, status
                if process.poll() is not None:
                    tail = " | ".join(log.read_text(errors="replace").strip().splitlines()[-3:])
                    raise MeasurementFailed(f"postdesk local exited with {process.returncode}: {tail}")
                time.sleep(0.05)
            raise MeasurementFailed(f"{url} did not answer within {GIVE_UP_SECONDS:.0f} s")
        finally:
            _stop(process)


def measure(section: Section) -> None:
    command = postdesk_command()
    smtp = accepts_smtp_port(command)
    rows = [["start", "GET /_local/ answered", "status"]]
    with tempfile.TemporaryDirectory(prefix="postdesk-bench-local-") as scratch:
        state = Path(scratch) / "state"
        for number, start in enumerate(STARTS):
            progress(f"make run: postdesk local, {start}")
            seconds, status = time_to_answer(command, state, Path(scratch) / f"log-{number}.txt", smtp)
            rows.append([start, f"{seconds:.1f} s", str(status)])
            if seconds > BUDGET_SECONDS:
                section.exceed(f"{start}: {seconds:.1f} s to answer (budget {BUDGET_SECONDS:.0f} s)")
            if status >= 500:
                section.fail(f"/_local/ answered {status} ({start})")
    for line in table(rows):
        section.say(line)
    flags = "--port, --aws-port, --state-dir" + (", --smtp-port" if smtp else "")
    section.say(f"command: {' '.join(Path(part).name for part in command[:1])} local with free {flags}")
