"""The `postdesk` command: `postdesk local` runs the whole stack on this machine; the other verbs are for
operators, against that local stack or a deployed one (`--stack NAME`), found with nothing set by hand
(postdesk_tools.verbs.targets says how).

Each verb imports what it needs when it runs: `postdesk --help` stays fast, only `postdesk local` loads
the local stack (which runs moto in a child process), and nothing of the product is imported before the
local stack has set the environment its handlers read when imported."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from types import FrameType

    from postdesk_tools.verbs.output import Output
    from postdesk_tools.verbs.targets import Target

    Verb = Callable[[Target, Output, argparse.Namespace], int]

TARGETS_HELP = """Which stack: --stack NAME for a deployed stack (your AWS profile and region, or
--profile and --region); else the local stack of `make run` (--url, or --state-dir, default .local);
else, when this shell holds the functions' environment (TABLE_NAME, ...), that."""


def a_date(raw: str) -> date:
    """A day as YYYY-MM-DD, for argparse's `type=`."""
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a date such as 2026-08-01") from None


def _target_options(*, nested: bool = False) -> argparse.ArgumentParser:
    """The options every operator verb takes. A nested verb's copy (`approvers set ... --url U`) has no
    defaults, so that it does not undo the same option given before it (`approvers --url U set ...`)."""
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS if nested else None)
    where = common.add_argument_group("which stack")
    where.add_argument("--stack", metavar="NAME", help="a deployed stack, by its CloudFormation name")
    where.add_argument("--region", help="the deployed stack's region (default: your AWS configuration's)")
    where.add_argument("--profile", help="the AWS profile to use (default: your AWS configuration's)")
    where.add_argument("--url", help="a running local stack, by its address (http://127.0.0.1:8080)")
    where.add_argument("--state-dir", type=Path, help="a running local stack, by its state directory")
    common.add_argument("--json", action="store_true", help="one JSON document on stdout, for scripts")
    return common


def _verb(name: str) -> Callable[[], Verb]:
    """The verb's function, imported only when it runs."""

    def load() -> Verb:
        import importlib

        module_name, _, function = name.rpartition(".")
        verb: Verb = getattr(importlib.import_module(f"postdesk_tools.verbs.{module_name}"), function)
        return verb

    return load


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="postdesk",
        description="postdesk: a moderated publisher for an organisation's social-media account.",
        epilog=TARGETS_HELP,
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
        "--host",
        default="127.0.0.1",
        help=(
            "address the gateway listens on (default: %(default)s); any other than loopback needs "
            "--expose-console"
        ),
    )
    local.add_argument(
        "--expose-console",
        action="store_true",
        help=(
            "let --host put the dev console (/_local/) on the network: it shows every mail sent, with every "
            "approver's signed links, so anyone reaching it can act in their place; every console page "
            "then says so. Never on a network you do not trust."
        ),
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

    common = _target_options()

    def operator_verb(name: str, run: str, help_text: str, description: str = "") -> argparse.ArgumentParser:
        verb = verbs.add_parser(
            name, parents=[common], help=help_text, description=description or help_text, epilog=TARGETS_HELP
        )
        verb.set_defaults(operator=_verb(run))
        return verb

    operator_verb(
        "status",
        "status.run_status",
        "counts per state, the next runs, owed mail, and what needs a person",
    )
    listing = operator_verb("list", "proposals.run_list", "the proposals, newest first")
    listing.add_argument("--state", help="only those in this state (PENDING, NEEDS_RECONCILE, ...)")
    show = operator_verb("show", "proposals.run_show", "one proposal: its text, votes and history")
    show.add_argument("id", help="the proposal's id (from list, or a mail)")

    approvers = operator_verb(
        "approvers",
        "approvers.run_approvers",
        "who the approvers are; change them, or name a stand-in, without a deploy",
        "Show the approvers; `set` replaces them, `stand-in` names someone in an approver's place on given "
        "dates (review mails, digest and votes), `back` ends an approver's stand-ins. Every function uses a "
        "change within a minute.",
    )
    change = approvers.add_subparsers(dest="approvers_action", metavar="CHANGE")
    nested = _target_options(nested=True)
    set_approvers = change.add_parser("set", parents=[nested], help="replace the list of approvers")
    set_approvers.add_argument("addresses", nargs="+", metavar="ADDRESS")
    stand_in = change.add_parser(
        "stand-in", parents=[nested], help="STAND_IN decides in APPROVER's place from --from to --until"
    )
    stand_in.add_argument("approver", metavar="APPROVER")
    stand_in.add_argument("stand_in", metavar="STAND_IN")
    stand_in.add_argument(
        "--from", dest="start", type=a_date, required=True, help="first day away (YYYY-MM-DD)"
    )
    stand_in.add_argument("--until", type=a_date, required=True, help="last day away, included (YYYY-MM-DD)")
    back = change.add_parser("back", parents=[nested], help="APPROVER decides again: their stand-ins end")
    back.add_argument("approver", metavar="APPROVER")

    publish = operator_verb(
        "publish",
        "runs.run_publish",
        "run the morning run now",
        "Publish what is approved and due now, as the scheduled morning run does (same cap, same claims: a "
        "run at the same moment publishes each post once). On a deployed stack, the publish function runs "
        "it.",
    )
    publish.add_argument("--dry-run", action="store_true", help="list what would go out, and change nothing")
    operator_verb("digest", "runs.run_digest", "send the approvers' morning digest now")
    export = operator_verb(
        "export-audit", "proposals.run_export", "print the whole audit log, as CSV or JSON"
    )
    export.add_argument("--format", choices=("csv", "json"), default="csv")

    secrets = verbs.add_parser("secrets", help="set the secrets the stack reads")
    secret_verbs = secrets.add_subparsers(dest="secret", required=True, metavar="SECRET")
    x_credentials = secret_verbs.add_parser(
        "set-x-credentials",
        parents=[common],
        help="the X account's four OAuth 1.0a keys, from a prompt or a file (never the command line)",
        description=(
            "Reads the API Key and Secret and the Access Token and Secret (a prompt that does not echo, or "
            "--from-file), tries them on X (users/me: the account's id, and whether the token may post), "
            "and stores them in the stack's X credentials secret."
        ),
        epilog=TARGETS_HELP,
    )
    x_credentials.add_argument("--from-file", type=Path, help="JSON, or name=value lines (consumer_key=...)")
    x_credentials.add_argument("--secret-name", help="another secret than the stack's XCredentialsSecretName")
    x_credentials.add_argument("--no-check", action="store_true", help="store without trying them on X")
    x_credentials.add_argument("--user-id", help="the account's numeric id, with --no-check")
    x_credentials.set_defaults(operator=_verb("credentials.run_set_x_credentials"))

    operator_verb(
        "rotate-signing-key",
        "signing.run_rotate",
        "add a new link-signing key (it signs from now on; links in flight keep working)",
    )
    retire = operator_verb(
        "retire-signing-keys",
        "signing.run_retire",
        "remove all but the newest keys: links signed with the others stop working",
    )
    retire.add_argument(
        "--keep", type=int, default=1, help="how many of the newest keys to keep (default: 1)"
    )
    operator_verb(
        "smoke",
        "runs.run_smoke",
        "check a stack end to end: a form GET, a dry-run morning run, the X credentials, SES",
    )
    return parser


def run_operator(args: argparse.Namespace) -> int:
    from postdesk_tools.verbs.output import Output
    from postdesk_tools.verbs.product import PostdeskError
    from postdesk_tools.verbs.targets import OperatorError, find_target

    out = Output(as_json=args.json)
    try:
        target = find_target(
            stack=args.stack, region=args.region, profile=args.profile, url=args.url, state_dir=args.state_dir
        )
        verb: Verb = args.operator()
        return verb(target, out, args)
    except OperatorError as error:
        out.problem(error.message)
        return error.exit_code
    except PostdeskError as error:
        out.problem(error.message)
        return 1
    except KeyboardInterrupt:
        out.problem("interrupted")
        return 130


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.verb == "local":
        return run_local(args)
    return run_operator(args)


def run_local(args: argparse.Namespace) -> int:
    from postdesk_tools.local_stack.stack import ConsoleExposureError, check_exposure

    try:
        check_exposure(args.host, args.expose_console)
    except ConsoleExposureError as error:
        print(f"postdesk local: {error}", file=sys.stderr)
        return 2
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
        expose_console=args.expose_console,
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
    if stack.console.exposed_at is not None:
        print(
            f"  WARNING: the console is open to the network at {stack.console.exposed_at}: every mail and "
            "every approver's signed links can be read there.",
            flush=True,
        )
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
