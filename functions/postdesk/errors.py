"""The domain's exceptions: one base class, each saying what went wrong so that a person can be told.

Each carries an HTTP status, a `code` (its kind, which scripts rely on), a `reason` (the precise case)
and the `params` of its sentence; the words, French and English, live in the wording catalogue
(`wording.error_text`), and `message` is the English sentence, for logs and fallbacks. They become HTTP
answers in one place, the API handler's exception handler (`handlers/api.py`, `_postdesk_error`), as a
page in the reader's language or as JSON (`web/pages.py`: `error_page`, `error_document`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime


class PostdeskError(Exception):
    """Base of every error a user may be shown."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, reason: str = "", **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.code
        self.params = {name: str(value) for name, value in params.items()}


@dataclass(frozen=True)
class FieldError:
    """What is wrong with one field: `code` lets a page say it in the reader's language."""

    field: str
    message: str
    code: str = ""
    params: tuple[tuple[str, str], ...] = ()


class InvalidProposal(PostdeskError):
    """One or more fields are wrong; each error names its field."""

    status_code = 422
    code = "invalid_proposal"

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors

    @classmethod
    def one(cls, field: str, message: str, code: str = "", **params: object) -> InvalidProposal:
        """One field is wrong."""
        return cls([FieldError(field, message, code, tuple((k, str(v)) for k, v in params.items()))])


class BadRequest(PostdeskError):
    status_code = 400
    code = "bad_request"


class PayloadTooLarge(PostdeskError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(PostdeskError):
    status_code = 415
    code = "unsupported_media_type"


class NotFound(PostdeskError):
    status_code = 404
    code = "not_found"


class InvalidLink(PostdeskError):
    """A link that is forged, tampered with, expired, or meant for someone or something else."""

    status_code = 403
    code = "invalid_link"


class LinkAlreadyUsed(PostdeskError):
    status_code = 409
    code = "link_already_used"


class StaleVersion(PostdeskError):
    """The link was made for an older version of the text."""

    status_code = 409
    code = "stale_version"


class Conflict(PostdeskError):
    """The proposal is no longer in a state where this action makes sense."""

    status_code = 409
    code = "conflict"


class Forbidden(PostdeskError):
    status_code = 403
    code = "forbidden"


class IllegalTransition(PostdeskError):
    status_code = 409
    code = "illegal_transition"

    def __init__(self, current: str, target: str) -> None:
        super().__init__(
            f"a proposal in state {current} cannot move to {target}", "illegal_transition", state=current
        )
        self.current = current
        self.target = target


class ConfigurationError(PostdeskError):
    status_code = 500
    code = "configuration_error"


class TooManyRequests(PostdeskError):
    """A flood limit is reached: nothing was stored or sent; `retry_at` is when to try again."""

    status_code = 429
    code = "too_many_requests"

    def __init__(
        self, message: str, reason: str, *, retry_at: datetime, now: datetime, **params: object
    ) -> None:
        super().__init__(message, reason, **params)
        self.retry_at = retry_at
        self.retry_after = max(1, math.ceil((retry_at - now).total_seconds()))


class InvalidRequest(InvalidProposal):
    """A parameter of the request (in its query, path or headers) is wrong; each error names it."""

    code = "invalid_request"
