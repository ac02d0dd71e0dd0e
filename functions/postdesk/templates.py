"""Pages and mails from Jinja2 templates: every user-provided string is escaped in HTML."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from postdesk.domain import counting
from postdesk.domain.kinds import JUDICIAL_KINDS, LABELS, Kind
from postdesk.domain.proposal import Proposal
from postdesk.domain.states import is_abandoned
from postdesk.wording import pick_language, state_name, strings, when

if TYPE_CHECKING:
    from jinja2 import Environment


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # Imported on first render, not at cold start: most invocations render nothing.
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=PackageLoader("postdesk", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def kind_choices(language: str) -> list[tuple[str, str]]:
    labels = LABELS[pick_language(language)]
    return [(kind.value, labels[kind]) for kind in Kind]


def render(template: str, *, language: str, time_zone: str = "Europe/Paris", **context: Any) -> str:
    language = pick_language(language)
    labels: dict[str, str] = {kind.value: label for kind, label in LABELS[language].items()}
    text_strings = strings(language)
    for name in (
        "text",
        "kind",
        "proposer_email",
        "not_before",
        "expires_at",
        "judicial_risk",
        "urgent",
        "prosecutor_agreement",
        "prosecutor_reference",
        "images",
    ):
        labels.setdefault(name, text_strings[name])
    for n in range(1, 5):
        labels.setdefault(f"image_{n}", f"{text_strings['image']} {n}")
        labels.setdefault(f"alt_{n}", f"{text_strings['alt']} {n}")

    def local_time(moment: datetime) -> str:
        return when(moment, language, time_zone)

    def state_of(proposal: Proposal) -> str:
        return state_name(
            proposal.status.value, language, abandoned=is_abandoned(proposal.status, proposal.status_reason)
        )

    proposal: Proposal | None = context.get("proposal")
    if proposal is not None:
        context.setdefault(
            "proposal_count",
            text_strings["weighted_count"].format(count=counting.weighted_length(proposal.text)),
        )
        context.setdefault("images", [])
    return (
        _environment()
        .get_template(template)
        .render(
            lang=language,
            t=text_strings,
            labels=labels,
            local_time=local_time,
            state_of=state_of,
            as_x_shows=counting.as_x_shows,
            is_judicial=lambda p: p.judicial_risk or p.kind in JUDICIAL_KINDS,
            **context,
        )
    )
