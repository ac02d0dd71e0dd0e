"""A mail to send, as the use cases compose it and the outbox keeps it until SES has taken it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    subject: str
    text: str
    html: str
    proposal_id: str = ""  # tagged on the send, so that a bounce finds the proposal's audit log
