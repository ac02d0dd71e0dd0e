"""moto's server as a child process of the local stack (`python -m postdesk_tools.local_stack.moto_process`).

A child of its own, not a thread: moto keeps its backends and its recorder as globals of the process, so
in the stack's own process they would be shared with anything else using moto there (a test's
`mock_aws` resets them), and a stop followed by a start would find the old state still in memory
instead of proving that the stored state restores it.

Before it listens, the child restores the last snapshot and replays what was recorded after it straight
into moto's WSGI application (no sockets, and no request can arrive before the state is back); then it
records every request that may change state. It writes one JSON line to stdout once it listens (the
port, and what the restore did), and stops when its stdin closes: that is how the parent stops it, and
what happens when the parent dies, so no orphan keeps the port. A clean stop writes a new snapshot."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from postdesk_tools.local_stack.moto_snapshot import restore_snapshot, take_snapshot
from postdesk_tools.local_stack.recording import compact_recording, is_read_only, read_recording

SHUTDOWN_POLL_SECONDS = 0.05
SNAPSHOT_FILE = "aws-snapshot.pickle"


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


def _record_writes_only(recorder: Any) -> None:
    """Keep reads out of the recording, and let one thread write to it at a time.

    moto's recorder appends a JSON line per request with no lock; two requests served at once could
    interleave their lines when a body is large."""
    record = recorder._record_request
    lock = threading.Lock()

    def record_write(request: Any, body: bytes | None = None) -> None:
        if is_read_only(request.method, request.headers):
            return
        with lock:
            record(request, body)

    recorder._record_request = record_write


class _InFlight:
    """moto's application, counting the requests it is serving: the snapshot waits for none to be left,
    since each was recorded before moto acted on it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.serving = 0
        self._changed = threading.Condition()

    def __call__(self, environ: Any, start_response: Any) -> Any:
        with self._changed:
            self.serving += 1
        try:
            return self.app(environ, start_response)
        finally:
            with self._changed:
                self.serving -= 1
                self._changed.notify_all()

    def wait_until_idle(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.serving == 0, timeout)


def _stop_when_stdin_closes(server: Any) -> None:
    sys.stdin.buffer.read()
    server.shutdown()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--recording", type=Path, required=True)
    args = parser.parse_args(argv)

    # Ctrl-C reaches the whole process group: the parent decides when this server stops, after the
    # gateway that uses it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # moto's recorder reads these when moto.moto_api is imported; recording starts after the replay.
    os.environ["MOTO_RECORDER_FILEPATH"] = str(args.recording)
    os.environ.pop("MOTO_ENABLE_RECORDING", None)

    from moto.moto_api import recorder
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    app = DomainDispatcherApplication(create_backend_app)
    restore = _restore(app, args.recording, args.recording.with_name(SNAPSHOT_FILE))
    _record_writes_only(recorder)
    recorder.start_recording()

    served = _InFlight(app)
    server = make_server(args.host, args.port, served, threaded=True, request_handler=MotoRequestHandler)
    print(json.dumps({"port": server.port, **restore}), flush=True)
    threading.Thread(target=_stop_when_stdin_closes, args=(server,), daemon=True).start()
    try:
        server.serve_forever(poll_interval=SHUTDOWN_POLL_SECONDS)
    finally:
        server.server_close()
    _snapshot(served, args.recording)
    # Nothing is left to flush (the recorder closes the file after each request): skip the interpreter's
    # slow teardown of moto's modules, which would hold up every stop by a third of a second.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _snapshot(served: _InFlight, recording: Path) -> None:
    """A failed snapshot loses nothing: the previous one, and the recording after it, still hold."""
    if not served.wait_until_idle(timeout=10):
        print("moto is still serving a request: no snapshot this time", file=sys.stderr)
        return
    try:
        take_snapshot(recording.with_name(SNAPSHOT_FILE), covers=recording.stat().st_size)
    except Exception as error:
        print(f"no snapshot this time: {type(error).__name__}: {error}", file=sys.stderr)


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
