"""Validation of a proposal, without any AWS: every problem is named, all at once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from postdesk.domain.kinds import Kind
from postdesk.domain.proposal import ImageUpload
from postdesk.domain.validation import validate_proposal
from postdesk.errors import InvalidProposal

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def _validate(fields: dict[str, object], images: list[ImageUpload] | None = None, **options: object):  # type: ignore[no-untyped-def]
    return validate_proposal(fields, images or [], allowed_domains=["example.org"], now=NOW, **options)  # type: ignore[arg-type]


def test_a_good_proposal_becomes_a_draft() -> None:
    draft = _validate({"text": "  Bonjour à tous  ", "kind": "advice", "proposer_email": "a@example.org"})
    assert draft.text == "Bonjour à tous"
    assert draft.kind is Kind.ADVICE
    assert not draft.judicial_risk


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(InvalidProposal) as refused:
        _validate({"text": "", "kind": "nope", "proposer_email": "x@elsewhere.com"})
    assert {e.field for e in refused.value.errors} == {"text", "kind", "proposer_email"}


def test_a_datetime_from_the_form_is_read_in_the_organisations_time_zone() -> None:
    draft = _validate(
        {"text": "t", "kind": "advice", "proposer_email": "a@example.org", "not_before": "2026-12-24T09:00"}
    )
    assert draft.not_before == datetime(2026, 12, 24, 8, 0, tzinfo=UTC)  # 09:00 in Paris, winter


def test_an_embargo_after_the_expiry_is_refused() -> None:
    with pytest.raises(InvalidProposal) as refused:
        _validate(
            {
                "text": "t",
                "kind": "advice",
                "proposer_email": "a@example.org",
                "not_before": "2026-12-24T09:00",
                "expires_at": "2026-12-23T09:00",
            }
        )
    assert [e.field for e in refused.value.errors] == ["not_before"]


def test_the_web_form_needs_the_prosecutor_agreement_ticked_for_a_call_for_witnesses() -> None:
    fields = {
        "text": "t",
        "kind": "witness_appeal",
        "proposer_email": "a@example.org",
        "prosecutor_reference": "R1",
    }
    assert _validate(fields).prosecutor_reference == "R1"  # the API: the reference states the agreement
    with pytest.raises(InvalidProposal) as refused:
        _validate(fields, explicit_prosecutor_agreement=True)
    assert refused.value.errors[0].field == "prosecutor_agreement"
    assert _validate({**fields, "prosecutor_agreement": "true"}, explicit_prosecutor_agreement=True)


def test_an_image_is_judged_by_its_bytes_not_its_claimed_type() -> None:
    fake = ImageUpload(data=b"GIF89a" + b"\0" * 10, content_type="application/pdf", alt="a", field="image_1")
    assert _validate({"text": "t", "kind": "advice", "proposer_email": "a@example.org"}, [fake]).images
    script = ImageUpload(data=b"<svg onload=alert(1)>", content_type="image/png", alt="a", field="image_2")
    with pytest.raises(InvalidProposal) as refused:
        _validate({"text": "t", "kind": "advice", "proposer_email": "a@example.org"}, [script])
    assert refused.value.errors[0].field == "image_2"


def test_every_error_has_a_french_wording() -> None:
    from postdesk.domain.validation import MESSAGES
    from postdesk.wording import FIELD_ERRORS_FR

    assert set(MESSAGES) <= set(FIELD_ERRORS_FR)


def _moment_error(value: str, field: str = "not_before") -> list[tuple[str, str]]:
    with pytest.raises(InvalidProposal) as refused:
        validate_proposal(
            {"text": "t", "kind": "advice", "proposer_email": "a@example.org", field: value},
            allowed_domains=["example.org"],
            now=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
            time_zone="Europe/Paris",
        )
    return [(e.field, e.code) for e in refused.value.errors]


def test_a_local_time_the_clocks_skip_is_refused_with_a_clear_message() -> None:
    # 2027-03-28 02:30 does not exist in Paris: the clocks go from 02:00 to 03:00
    assert _moment_error("2027-03-28T02:30") == [("not_before", "time_does_not_exist")]


def test_a_local_time_that_happens_twice_is_taken_once_and_shown_with_its_offset() -> None:
    from postdesk.wording import when

    # Given 2027-10-31 02:30 in Paris, which happens twice (the clocks go back from 03:00 to 02:00)
    draft = validate_proposal(
        {"text": "t", "kind": "advice", "proposer_email": "a@example.org", "not_before": "2027-10-31T02:30"},
        allowed_domains=["example.org"],
        now=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        time_zone="Europe/Paris",
    )
    # Then the first one (summer time) is taken, and every page says which, with its offset
    assert draft.not_before == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert when(draft.not_before, "fr", "Europe/Paris").endswith("à 02:30 (heure de Paris, UTC+2)")


def test_an_embargo_already_over_is_refused() -> None:
    assert _moment_error("2026-11-30T09:00") == [("not_before", "past")]
