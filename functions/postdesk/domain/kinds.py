"""The kinds of post a colleague may propose, and how many approvals each needs by default."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    PREVENTION = "prevention"
    ADVICE = "advice"
    RECRUITMENT = "recruitment"
    SERVICE_FOCUS = "service_focus"
    SOLVED_CASE = "solved_case"
    WITNESS_APPEAL = "witness_appeal"
    OTHER = "other"


# Kinds whose posts may have judicial consequences: they need the stricter quorum.
JUDICIAL_KINDS = frozenset({Kind.SOLVED_CASE, Kind.WITNESS_APPEAL})

DEFAULT_QUORUM: dict[Kind, int] = {
    Kind.PREVENTION: 1,
    Kind.ADVICE: 1,
    Kind.RECRUITMENT: 1,
    Kind.SERVICE_FOCUS: 1,
    Kind.SOLVED_CASE: 2,
    Kind.WITNESS_APPEAL: 2,
    Kind.OTHER: 1,
}

LABELS: dict[str, dict[Kind, str]] = {
    "fr": {
        Kind.PREVENTION: "Prévention",
        Kind.ADVICE: "Conseil",
        Kind.RECRUITMENT: "Recrutement",
        Kind.SERVICE_FOCUS: "Service à l'honneur",
        Kind.SOLVED_CASE: "Affaire résolue",
        Kind.WITNESS_APPEAL: "Appel à témoins",
        Kind.OTHER: "Autre",
    },
    "en": {
        Kind.PREVENTION: "Prevention",
        Kind.ADVICE: "Advice",
        Kind.RECRUITMENT: "Recruitment",
        Kind.SERVICE_FOCUS: "Service in focus",
        Kind.SOLVED_CASE: "Solved case",
        Kind.WITNESS_APPEAL: "Call for witnesses",
        Kind.OTHER: "Other",
    },
}
