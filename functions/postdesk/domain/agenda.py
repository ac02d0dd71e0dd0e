"""What the pages and mails of the approvers and the proposer are drawn from, as plain facts: where a
proposal stands and what happens next, a row of the approvers' desk, and one approver's morning agenda.
The use cases fill them; the pages and mails say them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from postdesk.domain.proposal import Proposal


@dataclass(frozen=True)
class NextStep:
    """What happens next, as a code the wording catalogue says (`wording.NEXT`), with its facts."""

    code: str
    run_at: datetime | None = None
    approvals: int = 0
    quorum: int = 0


@dataclass(frozen=True)
class DeskRow:
    proposal: Proposal
    to_decide: bool  # waits for this approver's decision
    actions: list[tuple[str, str]]  # (action, signed URL)
    next: NextStep


@dataclass(frozen=True)
class Held:
    """A post that waits, and why: `code` names the reason in the wording (DIGEST["held_" + code])."""

    proposal: Proposal
    code: str
    run_at: datetime | None = None


@dataclass
class Agenda:
    """One approver's digest, as facts."""

    approver: str
    to_decide: list[DeskRow] = field(default_factory=list)
    next_run: datetime | None = None
    going_out: list[Proposal] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)
    to_settle: list[DeskRow] = field(default_factory=list)
    blocked: list[tuple[str, datetime, datetime | None]] = field(default_factory=list)  # (code, since, until)
    published: list[Proposal] = field(default_factory=list)

    @property
    def quiet(self) -> bool:
        return not (
            self.to_decide or self.going_out or self.held or self.to_settle or self.blocked or self.published
        )
