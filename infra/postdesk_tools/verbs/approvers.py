"""`postdesk approvers`: who decides, and changing it without a deploy.

The functions read the approvers from an SSM parameter (APPROVERS_PARAMETER) through Powertools' cache,
so what is written here reaches every function within a minute. The parameter holds the list, and the
stand-ins: someone who takes an approver's place on given dates (they get the review mails and the
digest, and may vote; the approver away may not, until they are back)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from botocore.exceptions import BotoCoreError, ClientError

from postdesk_tools.verbs import product
from postdesk_tools.verbs.targets import OperatorError

if TYPE_CHECKING:
    import argparse

    from postdesk_tools.verbs.output import Output
    from postdesk_tools.verbs.targets import Target


class Roster:
    """The approvers parameter of one stack: read, changed, checked, written."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.name = target.variable("APPROVERS_PARAMETER")
        self.settings = product.settings_of(target.variables)
        if not self.name:
            raise OperatorError(
                f"{target.label} reads its approvers from its deployment only (no APPROVERS_PARAMETER): "
                "deploy the current template once, then they can change without a deploy"
            )
        self.ssm = target.client("ssm")

    def read(self) -> product.ApproverRoster:
        try:
            value = self.ssm.get_parameter(Name=self.name)["Parameter"]["Value"]
            return product.ApproverRoster.from_parameter(value)
        except (BotoCoreError, ClientError) as error:
            raise OperatorError(f"the approvers parameter {self.name} cannot be read: {error}") from None
        except ValueError as error:
            raise OperatorError(
                f"the approvers parameter {self.name} holds something wrong: {error}"
            ) from None

    def write(self, roster: product.ApproverRoster) -> None:
        try:
            roster.check()
            self.settings.check_quorum_reachable(list(roster.approvers))
        except ValueError as error:
            raise OperatorError(f"nothing changed: {error}", exit_code=2) from None
        try:
            self.ssm.put_parameter(Name=self.name, Value=roster.to_parameter(), Type="String", Overwrite=True)
        except (BotoCoreError, ClientError) as error:
            raise OperatorError(f"the approvers parameter {self.name} cannot be written: {error}") from None

    def today(self) -> date:
        return datetime.now(UTC).astimezone(ZoneInfo(self.settings.time_zone)).date()


def _canonical(address: str) -> str:
    if "@" not in address or address.count("@") != 1 or "." not in address.rpartition("@")[2]:
        raise OperatorError(f"{address!r} is not an email address", exit_code=2)
    return product.canonical_address(address)


def _describe(roster: product.ApproverRoster, today: date) -> dict[str, Any]:
    return {
        "approvers": list(roster.approvers),
        "in_effect_today": roster.in_effect(today),
        "stand_ins": [
            {"approver": s.approver, "stand_in": s.stand_in, "from": str(s.start), "until": str(s.end)}
            for s in roster.stand_ins
        ],
    }


def _show(out: Output, roster: product.ApproverRoster, today: date, label: str) -> None:
    if out.as_json:
        out.document(_describe(roster, today))
        return
    in_effect = roster.in_effect(today)
    rows = []
    for approver, present in zip(roster.approvers, in_effect, strict=True):
        stand_ins = [s for s in roster.stand_ins if s.approver == approver and s.end >= today]
        planned = "; ".join(f"{s.stand_in} from {s.start} to {s.end}" for s in stand_ins)
        rows.append([approver, "away: " + present + " stands in" if present != approver else "yes", planned])
    out.table(["approver", f"deciding today ({today})", "stand-ins"], rows, title=f"Approvers of {label}")


def run_approvers(target: Target, out: Output, args: argparse.Namespace) -> int:
    roster_store = Roster(target)
    today = roster_store.today()
    roster = roster_store.read()
    action = args.approvers_action
    if action:  # a change also forgets the stand-ins whose days are over
        roster = product.ApproverRoster(
            roster.approvers, tuple(s for s in roster.stand_ins if s.end >= today)
        )
    if action == "set":
        addresses = [_canonical(address) for address in args.addresses]
        kept = tuple(s for s in roster.stand_ins if s.approver in addresses)
        roster = product.ApproverRoster(tuple(addresses), kept)
        roster_store.write(roster)
        out.line(f"The approvers are now {', '.join(roster.approvers)}.")
    elif action == "stand-in":
        approver, stand_in = _canonical(args.approver), _canonical(args.stand_in)
        if args.until < args.start:
            raise OperatorError("--until is before --from: nothing changed", exit_code=2)
        if args.until < today:
            raise OperatorError(f"{args.until} is past: nothing changed", exit_code=2)
        entry = product.StandIn(approver, stand_in, args.start, args.until)
        roster = product.ApproverRoster(roster.approvers, (*roster.stand_ins, entry))
        roster_store.write(roster)
        out.line(
            f"{stand_in} stands in for {approver} from {args.start} to {args.until}, both days included."
        )
    elif action == "back":
        approver = _canonical(args.approver)
        if approver not in roster.approvers:
            raise OperatorError(f"{approver} is not an approver", exit_code=2)
        kept = tuple(s for s in roster.stand_ins if s.approver != approver)
        if len(kept) == len(roster.stand_ins):
            raise OperatorError(f"{approver} has no stand-in: nothing changed", exit_code=2)
        roster = product.ApproverRoster(roster.approvers, kept)
        roster_store.write(roster)
        out.line(f"{approver} has no stand-in any more.")
    if action:
        out.line(f"Every function uses this within {product.APPROVERS_CACHE_SECONDS} s; no deploy is needed.")
    _show(out, roster, today, target.label)
    return 0
