"""HTTP answers for people (HTML) and scripts (JSON), with the headers every page carries.

Pages carry signed link tokens: they are never cached and never leak through a Referer header."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response

from postdesk.errors import InvalidProposal, PostdeskError
from postdesk.web.i18n import field_message, strings
from postdesk.web.render import render

PAGE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; img-src 'self' https: http: data:; "
    "style-src 'unsafe-inline'; script-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'",
}


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
    document: dict[str, Any] = {"error": error.code, "message": error.message}
    if isinstance(error, InvalidProposal):
        document["errors"] = [{"field": e.field, "message": e.message} for e in error.errors]
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


def error_page(error: PostdeskError, *, language: str, switch_url: str) -> Response[str]:
    title_key = {
        403: "link_error_title",
        409: "link_error_title",
        410: "link_error_title",
        404: "not_found_title",
    }
    title = strings(language)[title_key.get(error.status_code, "field_error")]
    return message_page(
        title, [error.message], language=language, status=error.status_code, switch_url=switch_url
    )
