"""`postdesk publish`, `digest` and `smoke`: the stack's own runs, asked for by hand.

On a deployed stack they invoke its functions (the same code, role, time limit and logs as the
schedules' runs); on the local stack they go through its console, in its process; in a shell that holds
the functions' environment they run here."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from botocore.exceptions import BotoCoreError, ClientError

from postdesk_tools.verbs import product
from postdesk_tools.verbs.targets import DIGEST_FUNCTION, PUBLISH_FUNCTION, OperatorError

if TYPE_CHECKING:
    import argparse

    from postdesk_tools.verbs.output import Output
    from postdesk_tools.verbs.targets import Target


def describe(report: dict[str, Any], time_zone: str) -> list[str]:
    """A run's report (the publish function's answer) as lines for a person at a terminal."""
    zone = ZoneInfo(time_zone)
    lines: list[str] = []
    if report.get("dry_run"):
        would = report.get("would_publish") or []
        if not would:
            lines.append("Nothing is due: nothing would go out (a normal day).")
        else:
            lines.append(f"Would publish, in this order ({len(would)}):")
        for entry in would:
            approved = entry.get("approved_at")
            moment = (
                datetime.fromisoformat(approved).astimezone(zone).strftime("%d/%m/%Y %H:%M")
                if approved
                else "?"
            )
            lines.append(f"  {entry['id']}  approved {moment}  {product.excerpt(entry['text'], 70)}")
        if report.get("deferred"):
            lines.append(f"Beyond the cap, waiting for a later run: {', '.join(report['deferred'])}")
        if report.get("expired"):
            lines.append(f"Past their expiry (a real run marks them EXPIRED): {', '.join(report['expired'])}")
        lines.append("Dry run: nothing was changed.")
        return lines
    for entry in report.get("published") or []:
        lines.append(f"published {entry['id']}: {entry['url']}")
    for label, key in (
        ("failed", "failed"),
        ("needs a person (NEEDS_RECONCILE)", "needs_reconcile"),
        ("expired", "expired"),
        ("waiting for a later run", "deferred"),
    ):
        if report.get(key):
            lines.append(f"{label}: {', '.join(report[key])}")
    if report.get("stopped"):
        lines.append(f"The run stopped early: {report['stopped']}")
    if not lines:
        lines.append("Nothing was due: nothing went out (a normal day).")
    return [f"run {report.get('run_id', '?')}", *lines]


def _time_zone(target: Target) -> str:
    return target.variable("TIME_ZONE") or "Europe/Paris"


def run_publish(target: Target, out: Output, args: argparse.Namespace) -> int:
    what = "Looking at what is due" if args.dry_run else "Running the morning run"
    with out.progress(f"{what} on {target.label} (a run spaces its posts: it may take minutes)"):
        report = target.invoke(PUBLISH_FUNCTION, {"dry_run": bool(args.dry_run)})
    if out.as_json:
        out.document(report)
    else:
        for line in describe(report, _time_zone(target)):
            out.line(line)
    return 1 if report.get("stopped") and not report.get("published") else 0


def run_digest(target: Target, out: Output, args: argparse.Namespace) -> int:
    with out.progress(f"Sending the approvers' digest on {target.label}"):
        report = target.invoke(
            DIGEST_FUNCTION, {"run_key": f"by-hand-{datetime.now().astimezone().isoformat()}"}
        )
    if out.as_json:
        out.document(report)
    elif report.get("sent_to"):
        out.line(f"Digest sent to {', '.join(report['sent_to'])}.")
    else:
        out.line("No digest sent: no approver had anything waiting or due (a quiet day).")
    return 0


# -- smoke --------------------------------------------------------------------------------------------


def _check(name: str, ok: bool | None, detail: str) -> dict[str, Any]:
    """ok: True passed, False failed (the command fails), None a warning."""
    return {"check": name, "result": {True: "ok", False: "FAILED", None: "warning"}[ok], "detail": detail}


def _form_check(base_url: str) -> dict[str, Any]:
    if not base_url:
        return _check("the proposal form", False, "the stack has no public URL (PUBLIC_BASE_URL, ApiUrl)")
    url = f"{base_url}/"
    request = urllib.request.Request(url, headers={"Accept": "text/html"})  # noqa: S310 - the stack's own URL
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            status, page = answer.status, answer.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        return _check("the proposal form", False, f"GET {url} answered {error.code}")
    except OSError as error:
        return _check("the proposal form", False, f"GET {url} failed: {error}")
    has_form = "<form" in page and 'method="post"' in page.lower()
    return _check(
        "the proposal form",
        status == 200 and has_form,
        f"GET {url}: {status}" + ("" if has_form else ", no form in the page"),
    )


def _dry_run_check(target: Target) -> dict[str, Any]:
    try:
        report = target.invoke(PUBLISH_FUNCTION, {"dry_run": True})
    except OperatorError as error:
        return _check("a dry-run morning run", False, error.message)
    due = len(report.get("would_publish") or [])
    return _check(
        "a dry-run morning run", bool(report.get("dry_run")), f"it ran: {due} post(s) would go out now"
    )


def _x_credentials_check(target: Target) -> dict[str, Any]:
    name = target.variable("X_CREDENTIALS_SECRET")
    if target.variable("CHANNEL") != "x":
        return _check(
            "X credentials", None, f"this stack publishes to its {target.variable('CHANNEL')} channel, not X"
        )
    if not name:
        return _check("X credentials", False, "XCredentialsSecretName is empty: nothing would be published")
    try:
        import json

        value = json.loads(target.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"])
    except (BotoCoreError, ClientError, ValueError) as error:
        return _check(
            "X credentials",
            False,
            f"the secret {name} cannot be read: {error} (postdesk secrets set-x-credentials)",
        )
    missing = [
        key for key in (*product.X_CREDENTIAL_NAMES, "user_id") if not str(value.get(key) or "").strip()
    ]
    if missing:
        return _check("X credentials", False, f"the secret {name} lacks {', '.join(missing)}")
    return _check(
        "X credentials",
        True,
        f"the secret {name} holds them, for @{value.get('username') or value['user_id']}",
    )


def _sender_check(target: Target) -> dict[str, Any]:
    sender = target.variable("SENDER_ADDRESS")
    domain = sender.rpartition("@")[2]
    try:
        ses = target.client("ses")
        attributes = ses.get_identity_verification_attributes(Identities=[sender, domain])[
            "VerificationAttributes"
        ]
        dkim = ses.get_identity_dkim_attributes(Identities=[domain])["DkimAttributes"].get(domain, {})
    except (BotoCoreError, ClientError) as error:
        return _check("the sender address", False, f"SES cannot be asked: {error}")
    verified = [i for i in (sender, domain) if attributes.get(i, {}).get("VerificationStatus") == "Success"]
    if not verified:
        return _check(
            "the sender address", False, f"neither {sender} nor {domain} is a verified SES identity"
        )
    if dkim.get("DkimVerificationStatus") != "Success":
        return _check(
            "the sender address",
            None,
            f"{' and '.join(verified)} verified, but {domain} has no DKIM: "
            "a domain with DMARC may refuse the mail",
        )
    return _check("the sender address", True, f"{domain} verified, with DKIM")


def _sandbox_check(target: Target) -> dict[str, Any]:
    try:
        account = target.client("sesv2").get_account()
    except (BotoCoreError, ClientError) as error:
        return _check("SES sending", None, f"cannot tell whether the account left the SES sandbox: {error}")
    if not account.get("ProductionAccessEnabled"):
        return _check(
            "SES sending", None, "the account is in the SES sandbox: mail reaches verified addresses only"
        )
    return _check("SES sending", True, "out of the SES sandbox")


def run_smoke(target: Target, out: Output, args: argparse.Namespace) -> int:
    checks = []
    with out.progress(f"GET the proposal form of {target.label}"):
        checks.append(_form_check(target.base_url()))
    with out.progress("A dry-run morning run"):
        checks.append(_dry_run_check(target))
    with out.progress("The X credentials and SES"), product.acting_on(target.environment):
        checks += [_x_credentials_check(target), _sender_check(target), _sandbox_check(target)]
    failed = [c for c in checks if c["result"] == "FAILED"]
    if out.as_json:
        out.document({"stack": target.label, "ok": not failed, "checks": checks})
    else:
        out.table(
            ["check", "result", "detail"],
            [[c["check"], c["result"], c["detail"]] for c in checks],
            title=f"Smoke test of {target.label}",
        )
        out.line("All good." if not failed else f"{len(failed)} check(s) failed.")
    return 1 if failed else 0
