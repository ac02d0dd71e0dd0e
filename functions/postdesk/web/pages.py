"""HTTP answers for people (HTML) and scripts (JSON), with the headers every page carries.

Pages carry signed link tokens: they are never cached and never leak through a Referer header."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response

from postdesk.errors import InvalidProposal, PostdeskError, TooManyRequests
from postdesk.templates import render

if TYPE_CHECKING:
    from postdesk.services import Services
from postdesk.wording import error_text, field_message, strings

PAGE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; img-src 'self' https: http: data: blob:; "
    "style-src 'unsafe-inline'; script-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'",
}


@dataclass(frozen=True)
class LinkPage:
    """Where the page behind a signed link is drawn: in which language, the address its form posts to
    (the link itself), and the same page in the other language."""

    services: Services
    token: str
    language: str

    @property
    def t(self) -> dict[str, str]:
        return strings(self.language)

    @property
    def base(self) -> str:
        return self.services.settings.public_base_url

    @property
    def action_url(self) -> str:
        return f"{self.base}/l/{self.token}" + ("?lang=en" if self.language == "en" else "")

    @property
    def switch_url(self) -> str:
        return f"{self.base}/l/{self.token}" + ("" if self.language == "en" else "?lang=en")

    @property
    def static_url(self) -> str:
        return f"{self.base}/static"


def html(body: str, status: int = 200, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type="text/html; charset=utf-8",
        body=body,
        headers={**PAGE_HEADERS, **(headers or {})},
    )


def as_json(document: Any, status: int = 200) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(document, ensure_ascii=False, default=str),
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


def error_document(error: PostdeskError) -> dict[str, Any]:
    document: dict[str, Any] = {
        "error": error.code,
        "reason": error.reason,
        "message": error_text(error.reason, error.params, "en", error.message),
    }
    if isinstance(error, InvalidProposal):
        document["errors"] = [{"field": e.field, "message": e.message} for e in error.errors]
    if isinstance(error, TooManyRequests):
        document["retry_after"] = error.retry_after
        document["retry_at"] = error.retry_at.isoformat().replace("+00:00", "Z")
    return document


def field_errors(error: InvalidProposal, language: str) -> dict[str, str]:
    """One message per field (the first), in the page's language."""
    messages: dict[str, str] = {}
    for item in error.errors:
        messages.setdefault(item.field, field_message(item.code, item.params, item.message, language))
    return messages


def message_page(
    title: str, paragraphs: list[str], *, language: str, status: int, switch_url: str, **context: Any
) -> Response[str]:
    context.setdefault("proposal", None)
    body = render(
        "message.html",
        language=language,
        title=title,
        paragraphs=paragraphs,
        switch_url=switch_url,
        **context,
    )
    return html(body, status)


def say(error: PostdeskError, language: str) -> str:
    """The refusal in the reader's language."""
    return error_text(error.reason, error.params, language, error.message)


def error_page(error: PostdeskError, *, language: str, switch_url: str) -> Response[str]:
    title_key = {
        403: "link_error_title",
        409: "link_error_title",
        410: "link_error_title",
        404: "not_found_title",
        429: "too_many_title",
    }
    title = strings(language)[title_key.get(error.status_code, "field_error")]
    return message_page(
        title, [say(error, language)], language=language, status=error.status_code, switch_url=switch_url
    )
