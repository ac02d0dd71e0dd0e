"""`make soak` (`python -m benchmarks.soak`): DESIGN.md section 6's promises under concurrency and volume,
against a `postdesk local` stack this starts itself on 127.0.0.1 (its own ports, its own state
directory), driven over HTTP as people and scripts drive it:

1. warm-up: 25 proposals from 25 clients at once, confirmed, voted, published; then the memory of
   moto's process and of the gateway is read (the baseline);
2. 500 proposals from 25 clients at once (JSON `POST /proposals`);
3. each confirmed as a person does (the link from the outbox opened with GET, then its form POSTed);
4. the three approvers voting at once on all of them (their Approve links from the outbox, GET then
   POST), each approver with several hands; half way through, `kill -9` of the stack's whole process
   group, a restart on the same state (its time measured), and the votes carried on (a vote whose
   answer was lost in the crash is pressed again, as a person would: it answers that it was counted);
5. five morning runs at once (`POST /_local/publish`), again and again until nothing is due;
6. volume: 10,000 more proposals, the console's pages timed, `kill -9` and a restart timed.

It prints a table (answers by status, latency, what was stored, voted, published, memory, restarts)
and exits non-zero when a promise is broken: a text published twice, an accepted proposal lost, a
vote lost, a 5xx, a post left PUBLISHING, moto and the gateway grown by 200 MB or more after warm-up,
a restart of 5 s or more, a console page of a second or more. Memory is read from /proc (Linux).

The stack keeps its defaults (3 posts a run, no spacing): runs at once on the same morning claim the
same oldest posts and only one wins each, so five runs publish about three posts between them, and
the rounds repeat until nothing is due. That is the product's cap under concurrency, measured as is
(`--publish-cap` sets PUBLISH_CAP for the soak's stack, and the table says so)."""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from benchmarks.lambda_functions import ROOT
from benchmarks.report import progress, table

APPROVERS = ("director@example.org", "deputy1@example.org", "deputy2@example.org")
KINDS = ("prevention", "advice", "solved_case", "recruitment")
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
JSON = {"Content-Type": "application/json", "Accept": "application/json"}
GROWTH_BUDGET_MB = 200
RESTART_BUDGET_SECONDS = 5.0
CONSOLE_BUDGET_SECONDS = 1.0
START_GIVE_UP_SECONDS = 180.0
MB = 1024 * 1024


class StackGone(Exception):
    """The stack did not answer (it is being killed, or restarting): the request may be tried again."""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass
class Tally:
    """Every answer of a phase: its status and how long it took."""

    statuses: Counter[int] = field(default_factory=Counter)
    seconds: list[float] = field(default_factory=list)
    no_answer_while_down: int = 0  # the stack was being killed or restarted: expected, tried again
    no_answer_while_up: int = 0  # a dropped connection with the stack up: a broken promise
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, answer: Answer) -> None:
        with self._lock:
            self.statuses[answer.status] += 1
            self.seconds.append(answer.seconds)

    def lost(self, stack_up: bool) -> None:
        with self._lock:
            if stack_up:
                self.no_answer_while_up += 1
            else:
                self.no_answer_while_down += 1

    def percentile(self, share: float) -> float:
        if not self.seconds:
            return 0.0
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Client:
    """One person or script: a kept-alive HTTP connection to the gateway, as a browser keeps one."""

    def __init__(self, port: int, tally: Tally, up: threading.Event | None = None) -> None:
        self.port = port
        self.tally = tally
        self.up = up
        self._connection: http.client.HTTPConnection | None = None

    def request(
        self, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Answer:
        parts = urlsplit(target)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        started = time.perf_counter()
        try:
            if self._connection is None:
                self._connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            self._connection.request(method, path, body=body or None, headers=headers or {})
            reply = self._connection.getresponse()
            data = reply.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            self.tally.lost(self.up is None or self.up.is_set())
            raise StackGone(str(error)) from error
        answer = Answer(
            reply.status, {k.lower(): v for k, v in reply.getheaders()}, data, time.perf_counter() - started
        )
        if reply.getheader("Connection", "").lower() == "close":
            self.close()
        self.tally.record(answer)
        return answer

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def _command_line(pid: int) -> str:
    try:
        return (Path(f"/proc/{pid}/cmdline").read_bytes()).replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@dataclass
class Memory:
    moto_mb: float
    gateway_mb: float
    environments_mb: float
    environments: int

    @property
    def moto_and_gateway_mb(self) -> float:
        return self.moto_mb + self.gateway_mb


class Stack:
    """`postdesk local`, as `make run` starts it, in a process group of its own."""

    def __init__(
        self, state_dir: Path, ports: tuple[int, int, int], environment: dict[str, str], log: Path
    ) -> None:
        self.state_dir = state_dir
        self.port, self.aws_port, self.smtp_port = ports
        self.environment = environment
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.up = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Start it and wait for its console to answer; the seconds that took."""
        command = [str(Path(sys.executable).with_name("postdesk")), "local", "--port", str(self.port)]
        command += ["--aws-port", str(self.aws_port), "--smtp-port", str(self.smtp_port)]
        command += ["--state-dir", str(self.state_dir)]
        starts_before = self._restore_lines()
        started = time.perf_counter()
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        probe = Client(self.port, Tally())
        while True:
            with contextlib.suppress(StackGone):
                if probe.request("GET", "/_local/").status == 200:
                    break
            if self.process.poll() is not None:
                raise RuntimeError(f"postdesk local exited with {self.process.returncode}; see {self.log}")
            if time.perf_counter() - started > START_GIVE_UP_SECONDS:
                raise RuntimeError(f"postdesk local did not answer within {START_GIVE_UP_SECONDS:.0f} s")
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        probe.close()
        for _ in range(200):  # the start prints what it restored just after it answers
            if self._restore_lines() > starts_before:
                break
            time.sleep(0.05)
        self.up.set()
        return seconds

    def _restore_lines(self) -> int:
        if not self.log.exists():
            return 0
        return sum("restored from" in line for line in self.log.read_text(errors="replace").splitlines())

    def kill_9(self) -> None:
        """SIGKILL to every process of the stack at once, as a crash or `kill -9 -<group>` does."""
        assert self.process is not None
        self.up.clear()
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for _ in range(600):
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        raise RuntimeError("processes of the killed stack are still there")

    def stop(self) -> None:
        """SIGTERM to the group, as a service manager stops it; SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def memory(self) -> Memory:
        assert self.process is not None
        gateway = self.process.pid
        moto = environments = 0.0
        count = 0
        for child in _children(gateway):
            command = _command_line(child)
            if "moto_process" in command:
                moto += _rss_mb(child)
            elif "spawn_main" in command:
                environments += _rss_mb(child)
                count += 1
        return Memory(moto, _rss_mb(gateway), environments, count)

    def restored(self) -> str:
        lines = self.log.read_text(errors="replace").splitlines()
        return next((line.strip() for line in reversed(lines) if "restored from" in line), "")


@dataclass
class Soak:
    stack: Stack
    clients: int
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    tallies: dict[str, Tally] = field(default_factory=dict)
    accepted: dict[str, str] = field(default_factory=dict)  # id -> text, of each proposal answered 201
    volume_accepted: dict[str, str] = field(default_factory=dict)  # the same, in the volume stage
    pressed: set[str] = field(default_factory=set)  # links acted on (a second press answers 409)
    votes_answered: dict[tuple[str, str], int] = field(default_factory=dict)  # (text, approver) -> status
    published: Counter[str] = field(default_factory=Counter)
    restarts: list[tuple[str, float, str]] = field(default_factory=list)
    memory_before_kill: list[Memory] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def tally(self, phase: str) -> Tally:
        return self.tallies.setdefault(phase, Tally())

    def client(self, phase: str) -> Client:
        return Client(self.stack.port, self.tally(phase), self.stack.up)

    def patiently(self, client: Client, action: Callable[[Client], Any]) -> Any:
        """Do `action`, again when the stack did not answer (killed, restarting), once it is back."""
        while True:
            try:
                return action(client)
            except StackGone:
                if not self.stack.up.wait(timeout=START_GIVE_UP_SECONDS):
                    raise
                time.sleep(0.05)

    # People and scripts ------------------------------------------------------------------------------

    def propose(self, phase: str, count: int, offset: int, into: dict[str, str]) -> None:
        def proposer(number: int) -> None:
            client = self.client(phase)
            for index in range(number, count, self.clients):
                text = f"Soak {self.tag} n°{offset + index:05d} : fermez vos fenêtres en partant."
                document = {
                    "text": text,
                    "kind": KINDS[index % len(KINDS)],
                    "proposer_email": f"agent{number:02d}.{self.tag}@example.org",
                }
                answer = self.patiently(
                    client,
                    lambda c, d=document: c.request("POST", "/proposals", json.dumps(d).encode(), JSON),
                )
                if answer.status == 201:
                    with self._lock:
                        into[str(answer.json()["id"])] = text
            client.close()

        _all_at_once(proposer, range(self.clients))

    def outbox(self, client: Client, to: str, subject_has: str) -> Iterator[dict[str, Any]]:
        """Every mail to `to` about `subject_has` mentioning this soak, newest first, page by page."""
        target = f"/_local/outbox.json?{urlencode({'to': to, 'limit': 500})}"
        while target:
            page = self.patiently(client, lambda c, t=target: c.request("GET", t))
            for mail in page.json():
                if subject_has in mail["subject"] and self.tag in mail["text"]:
                    yield mail
            links = dict(_link_header(page.headers.get("link", "")))
            target = links.get("next", "")

    def confirm(self, phase: str) -> None:
        def proposer(number: int) -> None:
            client = self.client(phase)
            address = f"agent{number:02d}.{self.tag}@example.org"
            for mail in list(self.outbox(client, address, "Confirmez")):
                link = _link(mail, "Confirmer")
                if link not in self.pressed:
                    self.press(client, link)
                    with self._lock:
                        self.pressed.add(link)
            client.close()

        _all_at_once(proposer, range(self.clients))

    def press(self, client: Client, url: str) -> Answer:
        """Open the link (a page that changes nothing), then post its form, as a person does."""
        path = urlsplit(url)._replace(scheme="", netloc="").geturl()
        self.patiently(client, lambda c: c.request("GET", path, headers={"Accept": "text/html"}))
        answer: Answer = self.patiently(client, lambda c: c.request("POST", path, b"", FORM))
        return answer

    def vote(self, phase: str, hands: int, kill_at: int | None) -> None:
        """Each approver, with `hands` at once, approves every proposal of this soak from the outbox."""
        work: list[tuple[str, str, str]] = []
        for approver in APPROVERS:
            reader = self.client(f"{phase} (reading the outbox)")
            for mail in self.outbox(reader, approver, "À décider"):
                text = next((t for t in self.accepted.values() if t in mail["text"]), None)
                if text is not None and (text, approver) not in self.votes_answered:
                    work.append((approver, text, _link(mail, "Approuver")))
            reader.close()
        done = threading.Semaphore(0)
        pressed = [0]

        def hand(queue: list[tuple[str, str, str]]) -> None:
            client = self.client(phase)
            for approver, text, link in queue:
                answer = self.press(client, link)
                with self._lock:
                    self.votes_answered[(text, approver)] = answer.status
                    pressed[0] += 1
                    if kill_at is not None and pressed[0] == kill_at:
                        done.release()
            client.close()

        killer = None
        if kill_at is not None:
            killer = threading.Thread(target=self._kill_when, args=(done, "mid-way through the votes"))
            killer.start()
        queues = [
            [job for job in work if job[0] == approver][hand::hands]
            for approver in APPROVERS
            for hand in range(hands)
        ]
        _all_at_once(hand, queues)
        if killer is not None:
            killer.join()

    def _kill_when(self, ready: threading.Semaphore, when: str) -> None:
        ready.acquire()
        self.memory_before_kill.append(self.stack.memory())
        self.kill_and_restart(when)

    def kill_and_restart(self, when: str) -> None:
        progress(f"kill -9 of the whole stack, {when}; restarting")
        self.stack.kill_9()
        seconds = self.stack.start()
        self.restarts.append((when, seconds, self.stack.restored()))
        progress(f"restarted in {seconds:.2f} s ({self.stack.restored()})")

    def publish_until_nothing_is_due(self, phase: str, runs_at_once: int = 5) -> int:
        rounds = 0
        while True:
            rounds += 1
            reports: list[dict[str, Any]] = []
            _all_at_once(lambda _, reports=reports: self._one_run(phase, reports), range(runs_at_once))
            this_morning = [entry["id"] for report in reports for entry in report.get("published", [])]
            self.published.update(this_morning)
            if not this_morning:
                client = self.client(phase)
                dry = self.patiently(
                    client, lambda c: c.request("POST", "/_local/publish?dry_run=true", b"", JSON)
                )
                client.close()
                if not dry.json().get("would_publish"):
                    return rounds
            if rounds > 2 * len(self.accepted) + 10:
                raise RuntimeError("the morning runs never ran out of due posts")

    def _one_run(self, phase: str, reports: list[dict[str, Any]]) -> None:
        client = self.client(phase)
        answer = self.patiently(client, lambda c: c.request("POST", "/_local/publish", b"", JSON))
        client.close()
        if answer.status == 200:
            with self._lock:
                reports.append(answer.json())

    # What was kept ------------------------------------------------------------------------------------

    def stored(self) -> dict[str, dict[str, Any]]:
        client = self.client("checks")
        proposals: dict[str, dict[str, Any]] = {}
        target = "/_local/proposals.json?limit=500"
        while target:
            page = self.patiently(client, lambda c, t=target: c.request("GET", t))
            for proposal in page.json():
                proposals[str(proposal["id"])] = proposal
            target = dict(_link_header(page.headers.get("link", ""))).get("next", "")
        client.close()
        return proposals

    def timeline(self) -> list[dict[str, Any]]:
        client = self.client("checks")
        posts: list[dict[str, Any]] = self.patiently(
            client, lambda c: c.request("GET", "/_local/timeline.json")
        ).json()
        client.close()
        return posts


def _all_at_once(work: Callable[[Any], None], items: Any) -> None:
    items = list(items)
    with ThreadPoolExecutor(max_workers=max(1, len(items))) as pool:
        for future in [pool.submit(work, item) for item in items]:
            future.result()


def _link(mail: dict[str, Any], label: str) -> str:
    for line in str(mail["text"]).splitlines():
        name, colon, url = line.partition(":")  # "label : url", the space a no-break one in French
        if colon and name.rstrip(" \u00a0") == label and url.strip().startswith("http"):
            return url.strip()
    raise RuntimeError(f"no {label!r} link in the mail {mail['subject']!r}")


def _link_header(value: str) -> Iterator[tuple[str, str]]:
    for part in value.split(","):
        if ";" in part:
            url, relation = part.split(";", 1)
            yield relation.strip().removeprefix('rel="').removesuffix('"'), url.strip(" <>")


def _console_timings(soak: Soak) -> list[tuple[str, float, int]]:
    """Each console page a person or a script opens, timed once warm (a first read builds the index)."""
    client = soak.client("console at volume")
    first = client.request("GET", "/_local/outbox.json?limit=50")
    pages = -(-int(first.headers.get("x-total-count", "1")) // 50)
    proposal_pages = -(-len(soak.accepted) // 50)
    targets = [
        "/_local/outbox.json",
        f"/_local/outbox.json?page={pages}",
        f"/_local/outbox.json?to={APPROVERS[0]}",
        "/_local/outbox",
        "/_local/proposals.json",
        f"/_local/proposals.json?page={proposal_pages}",
    ]
    timings = []
    for target in targets:
        answer = client.request("GET", target)
        timings.append((target, answer.seconds, int(answer.headers.get("x-total-count", "0") or 0)))
    client.close()
    return timings


def _share(seconds: list[float], share: float) -> float:
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--proposals", type=int, default=500)
    parser.add_argument("--clients", type=int, default=25)
    parser.add_argument("--hands", type=int, default=4, help="votes in flight per approver (default 4)")
    parser.add_argument("--volume", type=int, default=10_000, help="proposals of the volume stage (0: none)")
    parser.add_argument("--concurrency", type=int, default=4, help="the stack's environments per function")
    parser.add_argument("--publish-cap", type=int, default=None, help="PUBLISH_CAP for the soak's stack")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--aws-port", type=int, default=0)
    parser.add_argument("--smtp-port", type=int, default=0)
    parser.add_argument("--state-dir", type=Path, default=None, help="default: a new temporary directory")
    args = parser.parse_args(argv)

    scratch = Path(tempfile.mkdtemp(prefix="postdesk-soak-"))
    state_dir = args.state_dir or scratch / "state"
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "POSTDESK_"))
    }
    environment["POSTDESK_LOCAL_CONCURRENCY"] = str(args.concurrency)
    # 500 proposals from 127.0.0.1 are a load test, not a flood: the soak lifts the flood limits
    for limit in (
        "PROPOSALS_PER_PROPOSER_PER_HOUR",
        "PROPOSALS_PER_PROPOSER_PER_DAY",
        "CONFIRMATIONS_PER_RECIPIENT_PER_HOUR",
        "CONFIRMATIONS_PER_RECIPIENT_PER_DAY",
        "PROPOSALS_PER_SOURCE_IP_PER_HOUR",
        "PROPOSALS_PER_SOURCE_IP_PER_DAY",
    ):
        environment[limit] = "0"
    if args.publish_cap is not None:
        environment["PUBLISH_CAP"] = str(args.publish_cap)
    ports = (args.port or free_port(), args.aws_port or free_port(), args.smtp_port or free_port())
    stack = Stack(state_dir, ports, environment, scratch / "postdesk-local.log")
    soak = Soak(stack, clients=args.clients)
    print(f"postdesk soak: {stack.url}, state in {state_dir}, log in {stack.log}", flush=True)
    started = time.perf_counter()
    volume: dict[str, Any] = {}
    try:
        first_start = stack.start()
        progress(f"stack ready in {first_start:.2f} s; warm-up")
        soak.propose("warm-up", args.clients, offset=0, into=soak.accepted)
        soak.confirm("warm-up")
        soak.vote("warm-up", hands=1, kill_at=None)
        soak.publish_until_nothing_is_due("warm-up")
        baseline = stack.memory()
        progress(f"{args.proposals} proposals from {args.clients} clients at once")
        soak.propose("proposals", args.proposals, offset=args.clients, into=soak.accepted)
        progress("every proposal confirmed by its proposer (GET, then POST)")
        soak.confirm("confirmations")
        votes = len(APPROVERS) * args.proposals
        progress(f"the three approvers voting at once, {args.hands} hands each; kill -9 half way")
        soak.vote("votes", hands=args.hands, kill_at=votes // 2)
        progress("five morning runs at once, until nothing is due")
        rounds = soak.publish_until_nothing_is_due("morning runs")
        after = stack.memory()
        stored = soak.stored()
        timeline = soak.timeline()
        if args.volume:
            progress(f"volume: {args.volume} more proposals from {args.clients} clients")
            soak.propose(
                "volume proposals",
                args.volume,
                offset=args.clients + args.proposals,
                into=soak.volume_accepted,
            )
            volume["console"] = _console_timings(soak)
            volume["memory"] = stack.memory()
            total = len(soak.accepted) + len(soak.volume_accepted)
            soak.kill_and_restart(f"with {total} proposals stored")
            volume["console_after"] = _console_timings(soak)
            volume["stored"] = soak.stored()
    finally:
        stack.stop()
    figures = Figures(baseline, after, stored, timeline, rounds, volume)
    code = report(soak, args, figures, time.perf_counter() - started)
    if code == 0 and args.state_dir is None:
        shutil.rmtree(scratch, ignore_errors=True)  # hundreds of MB; kept when a promise broke
    else:
        print(f"the stack's state and log are kept in {scratch}", flush=True)
    return code


@dataclass
class Figures:
    baseline: Memory
    after: Memory
    stored: dict[str, dict[str, Any]]
    timeline: list[dict[str, Any]]
    rounds: int
    volume: dict[str, Any]


def report(soak: Soak, args: argparse.Namespace, figures: Figures, elapsed: float) -> int:
    """The table, and what broke (the exit code)."""
    broken: list[str] = []
    rows = [["phase", "answers by status", "no answer: stack down / up", "p50", "p99"]]
    all_statuses: Counter[int] = Counter()
    for phase, tally in soak.tallies.items():
        all_statuses.update(tally.statuses)
        shown = ", ".join(f"{status}: {count}" for status, count in sorted(tally.statuses.items()))
        p50, p99 = tally.percentile(0.5) * 1000, tally.percentile(0.99) * 1000
        dropped = f"{tally.no_answer_while_down} / {tally.no_answer_while_up}"
        rows.append([phase, shown, dropped, f"{p50:.0f} ms", f"{p99:.0f} ms"])
    fives = sum(count for status, count in all_statuses.items() if status >= 500)
    if fives:
        broken.append(f"{fives} answers 5xx")
    dropped_while_up = sum(tally.no_answer_while_up for tally in soak.tallies.values())
    if dropped_while_up:
        broken.append(f"{dropped_while_up} requests got no answer while the stack was up")

    stored = figures.stored
    lost = [pid for pid in soak.accepted if pid not in stored]
    if lost:
        broken.append(f"{len(lost)} accepted proposals not stored")
    kept = [pid for pid in soak.accepted if pid in stored]
    votes_expected = {(soak.accepted[pid], approver) for pid in kept for approver in APPROVERS}
    votes_stored = {
        (soak.accepted[pid], str(vote.get("approver")))
        for pid in kept
        for vote in stored[pid].get("votes", [])
        if vote.get("decision") == "approve"
    }
    if votes_expected - votes_stored:
        broken.append(f"{len(votes_expected - votes_stored)} votes not counted")
    text_counts = Counter(post["text"] for post in figures.timeline if soak.tag in post["text"])
    twice = {text: count for text, count in text_counts.items() if count > 1}
    if twice:
        broken.append(f"{len(twice)} texts published more than once")
    statuses = Counter(str(stored[pid].get("status")) for pid in kept)
    if statuses.get("PUBLISHING"):
        broken.append(f"{statuses['PUBLISHING']} posts left PUBLISHING")
    never = [pid for pid in kept if soak.accepted[pid] not in text_counts]
    if never:
        broken.append(f"{len(never)} approved posts never published")
    peak = max([figures.after, *soak.memory_before_kill], key=lambda memory: memory.moto_and_gateway_mb)
    growth = peak.moto_and_gateway_mb - figures.baseline.moto_and_gateway_mb
    if growth >= GROWTH_BUDGET_MB:
        broken.append(f"moto and the gateway grew by {growth:.0f} MB after warm-up")
    for when, seconds, _ in soak.restarts:
        if seconds >= RESTART_BUDGET_SECONDS:
            broken.append(f"the restart {when} took {seconds:.2f} s")
    volume = figures.volume
    for target, seconds, _ in [*volume.get("console", []), *volume.get("console_after", [])]:
        if seconds >= CONSOLE_BUDGET_SECONDS:
            broken.append(f"{target} took {seconds:.2f} s")
    if volume:
        everything = {**soak.accepted, **soak.volume_accepted}
        lost_at_volume = [pid for pid in everything if pid not in volume["stored"]]
        if lost_at_volume:
            broken.append(f"{len(lost_at_volume)} accepted proposals not stored after the restart at volume")

    print("\npostdesk soak: the promises of DESIGN.md section 6 under load", flush=True)
    cap = f"PUBLISH_CAP={args.publish_cap} (set by the soak)" if args.publish_cap else "3 (the local default)"
    print(
        f"  {len(soak.accepted)} proposals ({args.clients} warm-up + {args.proposals}) from {args.clients} "
        f"clients, 3 approvers x {args.hands} hands, 5 runs at once; {args.concurrency} environments per "
        f"function; posts per run: {cap}; texts tagged {soak.tag}"
    )
    for line in table(rows, indent="  "):
        print(line)
    pressed = ", ".join(f"{s}: {c}" for s, c in sorted(Counter(soak.votes_answered.values()).items()))
    facts = [
        ["every 201 stored", f"{len(kept)} of {len(soak.accepted)}"],
        [
            "every vote counted",
            f"{len(votes_stored)} of {len(votes_expected)} (last answer to each: {pressed})",
        ],
        [
            "each text on the timeline once",
            f"{len(text_counts)} texts, {sum(text_counts.values())} posts, {len(twice)} twice",
        ],
        [
            "morning runs",
            f"{figures.rounds} rounds of 5 at once, the last with nothing due; "
            f"{sum(soak.published.values())} published",
        ],
        ["left PUBLISHING", str(statuses.get("PUBLISHING", 0))],
        ["proposals by status", ", ".join(f"{s}: {c}" for s, c in sorted(statuses.items()))],
        ["memory after warm-up", _memory(figures.baseline)],
        *[["memory before kill -9", _memory(memory)] for memory in soak.memory_before_kill],
        ["memory at the end", _memory(figures.after)],
        [
            "moto + gateway growth",
            f"{growth:.0f} MB (the higher of the two above minus warm-up; budget < {GROWTH_BUDGET_MB} MB)",
        ],
    ]
    for when, seconds, restored in soak.restarts:
        facts.append(
            [f"restart after kill -9 {when}", f"{seconds:.2f} s to answer ({_restore_words(restored)})"]
        )
    if volume:
        stored_after = len(volume["stored"])
        facts.append(
            [
                "volume stage",
                f"{len(soak.volume_accepted)} more accepted; {stored_after} stored after the restart",
            ]
        )
        facts.append(["memory at volume", _memory(volume["memory"])])
        for label, key in (("console at volume", "console"), ("after the restart", "console_after")):
            for target, seconds, total in volume[key]:
                facts.append([f"{label}: GET {target}", f"{seconds * 1000:.0f} ms ({total} in all)"])
    for line in table(facts, indent="  "):
        print(line)
    verdict = "every promise holds" if not broken else "BROKEN: " + "; ".join(broken)
    print(f"\nsoak done in {elapsed:.0f} s: {verdict}", flush=True)
    return 1 if broken else 0


def _restore_words(line: str) -> str:
    return line.split("(restored from ", 1)[-1].split(")", 1)[0] if "(restored from " in line else line


def _memory(memory: Memory) -> str:
    return (
        f"moto {memory.moto_mb:.0f} MB + gateway {memory.gateway_mb:.0f} MB "
        f"= {memory.moto_and_gateway_mb:.0f} MB; "
        f"{memory.environments} handler environments {memory.environments_mb:.0f} MB"
    )


if __name__ == "__main__":
    raise SystemExit(main())
