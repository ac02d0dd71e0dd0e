"""Which morning run will publish each approved post: the schedule, the cap per run, the embargoes, the
expiries and the queue (oldest approval first), played forward as the runs will play them. Every mail,
page and digest that says when a post goes out says what this says, so none promises what can't be kept.

It assumes each run goes as planned (X answers, nothing new is approved before earlier posts); a post
approved later joins the queue behind these."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from postdesk.domain.proposal import Proposal
from postdesk.domain.review_rules import due_at

MAX_RUNS_AHEAD = 400  # more than a year of daily runs: beyond, nothing is promised


@dataclass(frozen=True)
class Slot:
    """The run that publishes a post (`run_at`), or None when its expiry comes first (`expires_first`)
    or no run comes within the horizon."""

    run_at: datetime | None
    expires_first: bool = False
    held_by_cap: bool = False  # due earlier, but earlier approvals fill the runs before


def plan_runs(approved: Iterable[Proposal], runs: Iterator[datetime], cap: int) -> dict[str, Slot]:
    """Each approved post's slot, as the coming `runs` (in order) will publish them, `cap` at most per run."""
    waiting = sorted(approved, key=lambda p: (p.approved_at or p.created_at, p.id))
    slots: dict[str, Slot] = {}
    earlier_runs: list[datetime] = []
    for _, run in zip(range(MAX_RUNS_AHEAD), runs, strict=False):
        if not waiting:
            break
        due_now = [p for p in waiting if due_at(p.approved_at or p.created_at, p.not_before) <= run]
        taken = 0
        for proposal in due_now:
            if proposal.expires_at is not None and proposal.expires_at <= run:
                slots[proposal.id] = Slot(None, expires_first=True)
            elif taken < cap:
                first_due = due_at(proposal.approved_at or proposal.created_at, proposal.not_before)
                held = any(first_due <= earlier for earlier in earlier_runs)
                slots[proposal.id] = Slot(run, held_by_cap=held)
                taken += 1
            else:
                continue
            waiting.remove(proposal)
        for proposal in [p for p in waiting if p.expires_at is not None and p.expires_at <= run]:
            slots[proposal.id] = Slot(None, expires_first=True)
            waiting.remove(proposal)
        earlier_runs.append(run)
    for proposal in waiting:
        slots[proposal.id] = Slot(None)
    return slots
