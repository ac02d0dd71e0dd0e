"""moto's server as a child process of the local stack (`python -m postdesk_tools.local_stack.moto_process`).

A child of its own, not a thread: moto keeps its backends and its recorder as globals of the process, so
in the stack's own process they would be shared with anything else using moto there (a test's
`mock_aws` resets them), and a stop followed by a start would find the old state still in memory
instead of proving that the stored state restores it.

It runs moto with postdesk's DynamoDB layer (moto_dynamodb), and serves one request at a time under its
STATE_LOCK, recording included: a request is recorded and applied before the next one starts, so the
recording lists requests in the order moto applied them (a replay hands every race to the same winner),
and a snapshot, taken under the same lock, never sees half a request. Bodies are read before the lock,
and answers written after it, so a slow client holds nobody up.

Before it listens, the child restores the last snapshot and replays what was recorded after it straight
into moto's WSGI application (no sockets, and no request can arrive before the state is back); then it
records every request that may change state, and takes a snapshot every so many recorded writes (and
after a quiet while), so that a restart after `kill -9` replays a bounded tail. It writes one JSON line
to stdout once it listens (the port, and what the restore did), and stops when its stdin closes: that
is how the parent stops it, and what happens when the parent dies, so no orphan keeps the port. Ctrl-C
and SIGTERM reach the whole process group: this child lets the parent stop the gateway first, and stops
on its own only if its stdin is still open a grace period later. A clean stop writes a snapshot."""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import signal
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from postdesk_tools.local_stack import moto_dynamodb
from postdesk_tools.local_stack.moto_console import PREFIX as CONSOLE_PREFIX
from postdesk_tools.local_stack.moto_console import MotoConsole
from postdesk_tools.local_stack.moto_dynamodb import STATE_LOCK
from postdesk_tools.local_stack.moto_snapshot import (
    pickle_state,
    prepare_pickling,
    restore_snapshot,
    write_snapshot,
)
from postdesk_tools.local_stack.recording import compact_recording, is_read_only, read_recording

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from types import FrameType

SHUTDOWN_POLL_SECONDS = 0.05
SNAPSHOT_FILE = "aws-snapshot.pickle"
# A restart replays about this many recorded writes (a few milliseconds each) after a crash, plus
# those that came while the last snapshot was being written.
DEFAULT_SNAPSHOT_EVERY_WRITES = 250
# ... and a quiet stack is snapshotted this long after its last unsnapshotted write.
DEFAULT_SNAPSHOT_AFTER_SECONDS = 30.0
# Longer than API Gateway's 29 s: the requests in flight when a SIGTERM arrives can finish.
SIGTERM_GRACE_SECONDS = 35.0
# A snapshot's child pickles and writes the state: seconds for a large one; longer means it is stuck.
SNAPSHOT_CHILD_SECONDS = 300.0


def _replay(app: Any, recording: Path, offset: int = 0) -> tuple[int, int]:
    """Feed each recorded request to moto's application; answers moto refused are counted, not fatal
    (a recorded write that failed, such as a conditional write, fails again the same way)."""
    from werkzeug.test import Client

    client = Client(app)
    replayed = refused = 0
    for request in read_recording(recording, offset):
        headers = {
            key: value
            for key, value in request.headers.items()
            if key.lower() not in ("content-length", "transfer-encoding", "connection")
        }
        host = next((value for key, value in headers.items() if key.lower() == "host"), "127.0.0.1")
        answer = client.open(
            request.path,
            base_url=f"http://{host}",
            method=request.method,
            query_string=request.query,
            data=request.body,
            headers=headers,
        )
        answer.close()
        replayed += 1
        refused += answer.status_code >= 400
    return replayed, refused


class _Snapshots:
    """Periodic snapshots: after `every_writes` recorded writes, or `after_seconds` after the last write
    not yet in a snapshot.

    Each is taken as Redis takes its background saves: under STATE_LOCK the process forks (a few
    milliseconds: the child shares the parent's memory, copy-on-write), and the child pickles that
    frozen state and writes it while the parent serves on; pickling 10,000 proposals takes about a
    second, which would otherwise hold every request up each time. Forking a threaded process is safe
    here because of what the child does: it holds STATE_LOCK (so no request is half applied in its
    copy), imports nothing (everything it uses is imported before, by `prepare`), writes no stdio, and
    ends with `os._exit`; a child that does not end in time is killed, and the next snapshot tries again.
    The last snapshot, when the server stops, is taken in the process itself."""

    def __init__(self, recording: Path, *, every_writes: int, after_seconds: float) -> None:
        self.recording = recording
        self.path = recording.with_name(SNAPSHOT_FILE)
        self.every_writes = max(1, every_writes)
        self.after_seconds = after_seconds
        self.taken = 0
        self.failed = 0
        self._unsaved = 0
        self._stopping = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="snapshots", daemon=True)

    def wrote(self) -> None:
        """Called under STATE_LOCK for each request recorded."""
        with self._changed:
            self._unsaved += 1
            if self._unsaved >= self.every_writes:
                self._changed.notify_all()

    def start(self) -> None:
        prepare_pickling()
        # Python 3.12 warns of any fork in a threaded process; this one is made safe (see above).
        warnings.filterwarnings(
            "ignore", message=r".*use of fork\(\) may lead to deadlocks", category=DeprecationWarning
        )
        self._thread.start()

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(
                    lambda: self._stopping or self._unsaved >= self.every_writes, self.after_seconds
                )
                if self._stopping:
                    return
                if self._unsaved == 0:
                    continue
            self._take_in_child()

    def _take_in_child(self) -> None:
        with STATE_LOCK:
            with self._changed:
                unsaved, self._unsaved = self._unsaved, 0
            covers = self.recording.stat().st_size
            child = os.fork()
            if child == 0:  # pragma: no cover - the child; it reports by its exit code only
                code = 1
                try:
                    write_snapshot(self.path, pickle_state(covers))
                    code = 0
                finally:
                    os._exit(code)
        if self._child_succeeded(child):
            self.taken += 1
            return
        self.failed += 1
        with self._changed:  # those writes are still not in a snapshot
            self._unsaved += unsaved
        print(f"snapshot {self.taken + self.failed} failed; the next one will try again", file=sys.stderr)

    @staticmethod
    def _child_succeeded(child: int) -> bool:
        deadline = time.monotonic() + SNAPSHOT_CHILD_SECONDS
        while time.monotonic() < deadline:
            done, status = os.waitpid(child, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status) == 0
            time.sleep(0.02)
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        return False

    def stop(self) -> None:
        """Stop the periodic snapshots and take the last one here (moto serves nothing any more)."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._thread.is_alive():
            self._thread.join()
        try:
            with STATE_LOCK:
                data = pickle_state(covers=self.recording.stat().st_size)
            write_snapshot(self.path, data)
        except Exception as error:
            # Nothing is lost: the previous snapshot, and the recording after it, still hold.
            print(f"no snapshot at the stop: {type(error).__name__}: {error}", file=sys.stderr)


def _record_writes_only(recorder: Any, snapshots: _Snapshots) -> None:
    """Keep reads out of the recording, and count what is recorded for the snapshots. moto's recorder
    appends a line per request with no lock of its own: it runs under STATE_LOCK here."""
    record = recorder._record_request

    def record_write(request: Any, body: bytes | None = None) -> None:
        if is_read_only(request.method, request.headers):
            return
        record(request, body)
        snapshots.wrote()

    recorder._record_request = record_write


def _read_body_first(environ: dict[str, Any]) -> None:
    """Read the request's body from the socket before taking the lock."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return
    length = environ.get("CONTENT_LENGTH")
    if length:
        body = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):  # chunked: read to its end, then say how long it was
        body = stream.read()
        environ["CONTENT_LENGTH"] = str(len(body))
    else:
        return
    environ["wsgi.input"] = io.BytesIO(body)


class _OneRequestAtATime:
    """moto's application with each request recorded and applied under STATE_LOCK, and the console's
    reads (moto_console) beside it."""

    def __init__(self, app: Any, console: MotoConsole) -> None:
        self.app = app
        self.console = console

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if str(environ.get("PATH_INFO", "")).startswith(CONSOLE_PREFIX):
            return self.console(environ, start_response)
        _read_body_first(environ)
        with STATE_LOCK:
            answer = self.app(environ, start_response)
            try:
                body = b"".join(answer)
            finally:
                close = getattr(answer, "close", None)
                if close is not None:
                    close()
        return [body]


def _stop_when_stdin_closes(server: Any) -> None:
    sys.stdin.buffer.read()
    server.shutdown()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--recording", type=Path, required=True)
    parser.add_argument("--snapshot-every", type=int, default=DEFAULT_SNAPSHOT_EVERY_WRITES)
    parser.add_argument("--snapshot-after", type=float, default=DEFAULT_SNAPSHOT_AFTER_SECONDS)
    args = parser.parse_args(argv)

    # Ctrl-C and a service manager's SIGTERM reach the whole process group: the parent decides when
    # this server stops, after the gateway that uses it (see SIGTERM_GRACE_SECONDS).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # moto's recorder reads these when moto.moto_api is imported; recording starts after the replay.
    os.environ["MOTO_RECORDER_FILEPATH"] = str(args.recording)
    os.environ.pop("MOTO_ENABLE_RECORDING", None)

    moto_dynamodb.install()
    from moto.moto_api import recorder
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    app = DomainDispatcherApplication(create_backend_app)
    started = time.monotonic()
    with STATE_LOCK:
        restore = _restore(app, args.recording, args.recording.with_name(SNAPSHOT_FILE))
    restore["restore_ms"] = round((time.monotonic() - started) * 1000)
    # What was restored lives as long as the process: the collector need not walk it again and again
    # (nor touch its pages, which a snapshot's child shares).
    gc.freeze()
    snapshots = _Snapshots(
        args.recording, every_writes=args.snapshot_every, after_seconds=args.snapshot_after
    )
    _record_writes_only(recorder, snapshots)
    recorder.start_recording()

    served = _OneRequestAtATime(app, MotoConsole())
    server = make_server(args.host, args.port, served, threaded=True, request_handler=MotoRequestHandler)

    def stop_later(signum: int, frame: FrameType | None) -> None:
        timer = threading.Timer(SIGTERM_GRACE_SECONDS, server.shutdown)
        timer.daemon = True
        timer.start()

    signal.signal(signal.SIGTERM, stop_later)
    snapshots.start()
    print(json.dumps({"port": server.port, **restore}), flush=True)
    threading.Thread(target=_stop_when_stdin_closes, args=(server,), daemon=True).start()
    try:
        server.serve_forever(poll_interval=SHUTDOWN_POLL_SECONDS)
    finally:
        server.server_close()
    snapshots.stop()
    # Nothing is left to flush (the recorder closes the file after each request): skip the interpreter's
    # slow teardown of moto's modules, which would hold up every stop by a third of a second.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _restore(app: Any, recording: Path, snapshot: Path) -> dict[str, int]:
    """Bring back the stored state: the snapshot and what was recorded after it, or, without a usable
    snapshot, the whole recording (compacted first, since it all has to be replayed)."""
    _end_with_newline(recording)
    covers = restore_snapshot(snapshot, recording.stat().st_size)
    if covers is not None:
        replayed, refused = _replay(app, recording, covers)
        return {"snapshot": 1, "replayed": replayed, "refused_on_replay": refused}
    snapshot.unlink(missing_ok=True)
    compaction = compact_recording(recording)
    replayed, refused = _replay(app, recording)
    return {
        "snapshot": 0,
        "replayed": replayed,
        "refused_on_replay": refused,
        "dropped_reads": compaction.dropped_reads,
        "dropped_before_reset": compaction.dropped_before_reset,
        "unreadable_lines": compaction.unreadable_lines,
    }


def _end_with_newline(recording: Path) -> None:
    """A line cut short by a crash must not swallow the next request recorded after it."""
    recording.touch()
    with recording.open("rb+") as file:
        size = file.seek(0, os.SEEK_END)
        if size:
            file.seek(size - 1)
            if file.read(1) != b"\n":
                file.write(b"\n")


if __name__ == "__main__":
    main()
