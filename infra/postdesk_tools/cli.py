"""The `postdesk` command: `postdesk local` runs the whole stack on this machine; the other verbs are for
operators and act on the configured environment (the variables the functions read): `publish
[--dry-run]`, `rotate-signing-key`, `retire-signing-keys`, `export-audit`.

Each verb imports what it needs when it runs: `postdesk --help` stays fast, and only `postdesk local`
loads the local stack (which runs moto in a child process)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from types import FrameType


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="postdesk",
        description="postdesk: a moderated publisher for an organisation's social-media account.",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    local = verbs.add_parser(
        "local",
        help="run the whole stack on this machine (moto plays AWS; no account, no Docker)",
        description=(
            "Start moto, create the template's resources, and serve the API and the dev console "
            "(/_local/) until Ctrl-C. State is kept in the state directory across restarts."
        ),
    )
    local.add_argument(
        "--host", default="127.0.0.1", help="address the gateway listens on (default: %(default)s)"
    )
    local.add_argument("--port", type=int, default=8080, help="gateway port (default: %(default)s)")
    local.add_argument("--aws-port", type=int, default=4566, help="moto's port (default: %(default)s)")
    local.add_argument(
        "--smtp-port",
        type=int,
        default=2525,
        help="port on 127.0.0.1 where mail clients send proposals, as to SES (default: %(default)s)",
    )
    local.add_argument(
        "--state-dir", type=Path, default=Path(".local"), help="where state is kept (default: %(default)s)"
    )
    local.add_argument("--reset", action="store_true", help="forget the stored state and start empty")
    local.add_argument(
        "--concurrency",
        default=os.environ.get("POSTDESK_LOCAL_CONCURRENCY", ""),
        metavar="N",
        help=(
            "execution environments per function at once, each a process, as Lambda runs concurrent "
            "instances (default: $POSTDESK_LOCAL_CONCURRENCY, else 4; at most 32)"
        ),
    )
    local.set_defaults(run=run_local)

    publish = verbs.add_parser(
        "publish",
        help="run the morning run now against the configured environment",
        description=(
            "Publish what is approved and due now, as the scheduled morning run does (same cap, same "
            "claims: a run at the same moment publishes each post once). Reads the environment the "
            "functions read (TABLE_NAME, X_CREDENTIALS_SECRET, ...)."
        ),
    )
    publish.add_argument("--dry-run", action="store_true", help="list what would go out, and change nothing")
    publish.set_defaults(run=run_publish)

    rotate = verbs.add_parser(
        "rotate-signing-key",
        help="add a new link-signing key (it signs from now on; links in flight keep working)",
        description="Adds a key to the secret named by SIGNING_KEYS_SECRET; functions use it within 5 min.",
    )
    rotate.set_defaults(run=run_rotate)
    retire = verbs.add_parser(
        "retire-signing-keys",
        help="remove all but the newest keys: links signed with the others stop working",
    )
    retire.add_argument(
        "--keep", type=int, default=1, help="how many of the newest keys to keep (default: 1)"
    )
    retire.set_defaults(run=run_retire)

    export = verbs.add_parser("export-audit", help="print the whole audit log, as CSV or JSON")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.set_defaults(run=run_export)
    return parser


def run_rotate(args: argparse.Namespace) -> int:
    from postdesk.config import get_settings
    from postdesk.signing_keys import rotate

    print(f"new signing key: {rotate(get_settings().signing_keys_secret)}")
    return 0


def run_retire(args: argparse.Namespace) -> int:
    from postdesk.config import get_settings
    from postdesk.signing_keys import retire

    removed = retire(get_settings().signing_keys_secret, keep=args.keep)
    print(f"retired: {', '.join(removed) or 'nothing'}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    import json

    from postdesk.services import get_services
    from postdesk.web.link_pages import audit_csv, audit_row

    entries = get_services().store.whole_audit_log()
    if args.format == "json":
        print(json.dumps([audit_row(entry) for entry in entries], ensure_ascii=False, indent=1))
    else:
        print(audit_csv(entries), end="")
    return 0


def run_publish(args: argparse.Namespace) -> int:
    from postdesk_tools.publish_command import publish_now

    return publish_now(dry_run=args.dry_run)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    return run(args)


def run_local(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("botocore", "boto3", "pynamodb", "mail.log"):  # "Found credentials..." on every client
        logging.getLogger(chatty).setLevel(logging.WARNING)
    from postdesk_tools.local_stack.aws import AwsStartError
    from postdesk_tools.local_stack.lambda_function import concurrency_from
    from postdesk_tools.local_stack.moto_process import DEFAULT_SNAPSHOT_EVERY_WRITES
    from postdesk_tools.local_stack.stack import LocalStack

    try:
        concurrency = concurrency_from(args.concurrency)
    except ValueError as error:
        print(f"postdesk local: --concurrency: {error}", file=sys.stderr)
        return 2
    every = os.environ.get("POSTDESK_LOCAL_SNAPSHOT_EVERY", "").strip()
    if every and (not every.isdigit() or int(every) < 1):
        print(
            f"postdesk local: POSTDESK_LOCAL_SNAPSHOT_EVERY: a count of recorded writes, not {every!r}",
            file=sys.stderr,
        )
        return 2
    snapshot_every = int(every) if every else DEFAULT_SNAPSHOT_EVERY_WRITES
    stack = LocalStack(
        state_dir=args.state_dir,
        host=args.host,
        port=args.port,
        aws_port=args.aws_port,
        reset=args.reset,
        smtp_port=args.smtp_port,
        concurrency=concurrency,
        snapshot_every=snapshot_every,
    )
    try:
        stack.start()
    except (AwsStartError, OSError) as error:
        print(f"postdesk local: {error}", file=sys.stderr)
        return 1
    replayed = stack.aws.replay.get("replayed", 0)
    restore_seconds = stack.aws.replay.get("restore_ms", 0) / 1000
    restored = "a snapshot and " if stack.aws.replay.get("snapshot") else ""
    print(f"postdesk local stack: {stack.url}", flush=True)
    print(f"  outbox:  {stack.outbox_url}", flush=True)
    print(f"  console: {stack.console_url}", flush=True)
    if stack.inbound is not None and stack.inbound.smtp_port:
        print(
            f"  mail in: smtp://127.0.0.1:{stack.inbound.smtp_port} to {stack.inbound.submission_address}, "
            f"or POST {stack.url}/_local/inbound",
            flush=True,
        )
    print(
        f"  AWS (moto): {stack.aws.endpoint}, state in {args.state_dir} "
        f"(restored from {restored}{replayed} recorded requests in {restore_seconds:.1f} s); "
        f"{concurrency} environment(s) per function; ready in {stack.ready_seconds:.1f} s. Ctrl-C stops.",
        flush=True,
    )
    stopping = threading.Event()

    def stop_on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        stack.stop()
        print("postdesk local stack stopped", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
