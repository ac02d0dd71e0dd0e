"""Properties of a proposal's life: whatever people press, in whatever order, with whatever spelling
of their address and whichever version's link, no proposal reaches a state DESIGN.md forbids and no
vote is lost or invented.

The machine below drives one proposal through the domain's own rules (review_rules and the state
table), composed as the use cases compose them: a link's checks first, then the move the store makes
only if the table allows it, the vote the store records only once per approver and version. Votes are
what the rules see: the canonical addresses in `approvals`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from postdesk.domain.addresses import canonical_address
from postdesk.domain.kinds import Kind
from postdesk.domain.proposal import Proposal
from postdesk.domain.review_rules import (
    OPEN_FOR_EDIT,
    OPEN_FOR_REVIEW,
    OPEN_FOR_WITHDRAWAL,
    authors,
    check_approver,
    check_current_version,
    check_may_approve,
    check_open,
    quorum_reached,
)
from postdesk.domain.states import FINAL_STATES, TRANSITIONS, Status, check_transition
from postdesk.errors import Conflict, PostdeskError

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
APPROVERS = ["director@example.org", "deputy1@example.org", "deputy2@example.org"]
AGENT = "agent.dupont@example.org"
S = Status
# DESIGN.md section 2, written out here rather than read from the code under test.
DESIGN_FINAL = {S.PUBLISHED, S.REJECTED, S.WITHDRAWN, S.EXPIRED}


def _spellings(address: str) -> list[str]:
    local, _, domain = address.partition("@")
    return [address, f"{local.title()}@{domain.upper()}", f"{local}+mobile@{domain}"]


PEOPLE = st.sampled_from([spelling for person in [*APPROVERS, AGENT] for spelling in _spellings(person)])
LINK_AGE = st.integers(min_value=0, max_value=2)  # 0: a link of the current version, else an older one


class ProposalLife(RuleBasedStateMachine):
    proposal: Proposal
    votes: set[str]
    moves: list[tuple[Status, Status]]
    editor_of_version: str | None

    @initialize(proposer=PEOPLE, quorum=st.integers(min_value=1, max_value=3))
    def proposed(self, proposer: str, quorum: int) -> None:
        self.proposal = Proposal(
            id="p1",
            status=S.AWAITING_CONFIRMATION,
            version=1,
            kind=Kind.PREVENTION,
            text="Fermez à clé",
            proposer_email=proposer,
            created_at=NOW,
            updated_at=NOW,
            confirm_by=NOW,
            quorum=quorum,
        )
        self.votes = set()
        self.moves = []

    # What the store does: a move only if the table allows it, from the state it was read in.
    def _move(self, target: Status, **changes: object) -> None:
        check_transition(self.proposal.status, target)
        self.moves.append((self.proposal.status, target))
        self.proposal = replace(self.proposal, status=target, **changes)  # type: ignore[arg-type]

    def _attempt(self, action: str, act: object) -> None:
        """Run one person's action; a refusal (any of the domain's errors) changes nothing."""
        before = replace(self.proposal)
        try:
            act()  # type: ignore[operator]
        except PostdeskError:
            assert self.proposal == before, f"a refused {action} changed the proposal"

    def _link_version(self, age: int) -> int:
        return max(1, self.proposal.version - age)

    @rule()
    def proposer_confirms(self) -> None:
        def act() -> None:
            if self.proposal.status is not S.AWAITING_CONFIRMATION:
                raise Conflict("this proposal can no longer be confirmed")
            self._move(S.PENDING)

        self._attempt("confirmation", act)

    @rule(who=PEOPLE, age=LINK_AGE)
    def approver_approves(self, who: str, age: int) -> None:
        def act() -> None:
            check_approver(who, APPROVERS)
            check_current_version(self._link_version(age), self.proposal)
            check_may_approve(who, self.proposal)
            check_open(self.proposal, OPEN_FOR_REVIEW, "approved")
            voter = canonical_address(who)
            if voter in self.proposal.approvals:  # the store's vote record exists: one vote a version
                raise Conflict("you have already approved this version")
            approvals = self.proposal.approvals | {voter}
            if self.proposal.status is S.PENDING and quorum_reached(approvals, self.proposal.quorum):
                self._move(S.APPROVED, approvals=approvals)
            else:
                self.proposal = replace(self.proposal, approvals=approvals)
            self.votes.add(voter)

        self._attempt("approval", act)

    @rule(who=PEOPLE, age=LINK_AGE, changes=st.booleans())
    def approver_rejects_or_requests_changes(self, who: str, age: int, changes: bool) -> None:
        def act() -> None:
            check_approver(who, APPROVERS)
            check_current_version(self._link_version(age), self.proposal)
            check_open(self.proposal, OPEN_FOR_REVIEW, "decided")
            if changes:  # the version leaves review: its approvals no longer count, an edit follows
                self._move(S.CHANGES_REQUESTED, approvals=frozenset(), approved_at=None)
                self.votes.clear()
            else:
                self._move(S.REJECTED)

        self._attempt("decision", act)

    @rule(who=PEOPLE, age=LINK_AGE)
    def someone_edits(self, who: str, age: int) -> None:
        def act() -> None:
            by_proposer = canonical_address(who) == canonical_address(self.proposal.proposer_email)
            if not by_proposer:
                check_approver(who, APPROVERS)
            check_current_version(self._link_version(age), self.proposal)
            check_open(self.proposal, OPEN_FOR_EDIT, "edited")
            self._move(
                S.PENDING,
                version=self.proposal.version + 1,
                approvals=frozenset(),
                approved_at=None,
                edited_by=None if by_proposer else canonical_address(who),
            )
            self.votes.clear()

        self._attempt("edit", act)

    @rule(who=PEOPLE)
    def proposer_withdraws(self, who: str) -> None:
        def act() -> None:
            if canonical_address(who) != canonical_address(self.proposal.proposer_email):
                raise Conflict("this withdrawal link is not for this proposal")
            check_open(self.proposal, OPEN_FOR_WITHDRAWAL, "withdrawn")
            self._move(S.WITHDRAWN)

        self._attempt("withdrawal", act)

    @rule(outcome=st.sampled_from([S.PUBLISHED, S.FAILED, S.NEEDS_RECONCILE, S.APPROVED]))
    def a_morning_run_claims_and_posts(self, outcome: Status) -> None:
        def act() -> None:
            if self.proposal.status is not S.APPROVED:  # the run reads only approved, due posts
                raise Conflict("not due")
            self._move(S.PUBLISHING)
            self._move(outcome)  # posted, refused for good, unknown, or left for the next run (429)

        self._attempt("morning run", act)

    @rule(decision=st.sampled_from([S.PUBLISHED, S.APPROVED, S.FAILED]))
    def a_person_settles_a_post(self, decision: Status) -> None:
        def act() -> None:
            settling = {
                S.NEEDS_RECONCILE: {S.PUBLISHED, S.APPROVED, S.FAILED},
                S.FAILED: {S.APPROVED, S.FAILED},
            }
            if decision not in settling.get(self.proposal.status, set()):
                raise Conflict("nothing to settle")
            self._move(decision)

        self._attempt("settling", act)

    @rule()
    def time_passes_its_expiry(self) -> None:
        def act() -> None:
            if self.proposal.status in FINAL_STATES | {S.PUBLISHING, S.NEEDS_RECONCILE, S.FAILED}:
                raise Conflict("out of play, or in a run's or a person's hands")
            self._move(S.EXPIRED)

        self._attempt("expiry", act)

    @invariant()
    def no_vote_is_lost_or_invented(self) -> None:
        assert self.proposal.approvals == frozenset(self.votes)

    @invariant()
    def only_approvers_who_did_not_write_the_version_have_votes(self) -> None:
        assert self.proposal.approvals <= set(APPROVERS)
        assert not self.proposal.approvals & authors(self.proposal)

    @invariant()
    def a_proposal_is_approved_exactly_when_its_version_reached_the_quorum(self) -> None:
        reached = len(self.proposal.approvals) >= self.proposal.quorum  # distinct approvers
        if self.proposal.status is S.PENDING:
            assert not reached, "a proposal that reached its quorum stayed pending"
        if self.proposal.status in {S.APPROVED, S.PUBLISHING, S.PUBLISHED, S.NEEDS_RECONCILE}:
            assert reached, f"{self.proposal.status} without the quorum of its version"

    @invariant()
    def every_move_is_one_design_allows(self) -> None:
        for before, after in self.moves:
            assert after in TRANSITIONS[before]
            assert before not in DESIGN_FINAL, f"a final state {before} was left"
            if after is S.PUBLISHED:
                assert before in {S.PUBLISHING, S.NEEDS_RECONCILE}, "published without a run's claim"
            if before is S.AWAITING_CONFIRMATION:
                assert after in {S.PENDING, S.WITHDRAWN, S.EXPIRED}
        if self.moves:
            assert self.moves[0][0] is S.AWAITING_CONFIRMATION

    @invariant()
    def the_version_counts_the_edits(self) -> None:
        edits = sum(
            1 for before, after in self.moves if after is S.PENDING and before is not S.AWAITING_CONFIRMATION
        )
        assert self.proposal.version == 1 + edits


ProposalLife.TestCase.settings = settings(max_examples=300, stateful_step_count=30, deadline=None)
test_no_sequence_of_actions_reaches_an_illegal_state_or_loses_a_vote = ProposalLife.TestCase


def test_the_review_rules_never_open_a_door_the_state_table_keeps_shut() -> None:
    # Given each state a proposal may be in
    # When the review rules let an action through (approve, decide, edit, withdraw)
    # Then the state table allows the move that action makes
    moves = [
        ({S.PENDING}, S.APPROVED),  # the vote that reaches the quorum; on APPROVED a vote only counts
        (OPEN_FOR_REVIEW, S.REJECTED),
        # An approved post may be sent back for changes until a run claims it
        (OPEN_FOR_REVIEW, S.CHANGES_REQUESTED),
        (OPEN_FOR_EDIT, S.PENDING),
        (OPEN_FOR_WITHDRAWAL, S.WITHDRAWN),
    ]
    for allowed, target in moves:
        for state in allowed:
            check_transition(state, target)
