"""The JSON API's documents, as pydantic models: what `/openapi.json` says each request carries and
each answer holds, with examples, so that a client (or a fuzzer) can be generated from it.

The models describe; they do not parse. Requests are read by `web.forms` (its limits on depth, number
size and broken characters come before any model could see the body) and checked by the domain's
validation, whose 422 names each field; Powertools' own body validation would parse first, and differ.
So the request bodies are added to the document by `document_request_bodies`, and only the answers go
through Powertools' `responses=` (which registers their models). Pydantic is imported by Powertools'
validation already; each model defers its schema (`defer_build`) to the first request that needs it (its
route's answers, `/openapi.json`), so that the API's import pays for class statements only."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from postdesk.domain.kinds import Kind

HTML: dict[str, Any] = {"schema": {"type": "string"}, "example": "<!doctype html>..."}


class _Document(BaseModel):
    """Every model here: its schema built when first used, not when the API is imported."""

    model_config = ConfigDict(defer_build=True)


def _example(**document: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [document]})  # merged with _Document's


# -- requests --------------------------------------------------------------------------------------------
class ImageInput(_Document):
    model_config = _example(content_type="image/png", data="iVBORw0KGgo...", alt="L'affiche de la journée")

    data: str = Field(description="the image's bytes, base64 (JPEG, PNG, GIF or WebP; 4 MB at most)")
    content_type: str | None = Field(None, description="its media type (the bytes decide)")
    alt: str = Field(description="what the image shows, for people who can't see it (required)")


class ProposalRequest(_Document):
    model_config = _example(
        text="Vols à la roulotte : ne laissez rien de visible dans votre véhicule.",
        kind="prevention",
        proposer_email="agent.dupont@example.org",
    )

    text: str = Field(description="the post, 280 characters at most as X counts them")
    kind: Kind
    proposer_email: str = Field(description="a work address of an allowed domain; it gets the confirmation")
    judicial_risk: bool | None = Field(None, description="needs the stricter quorum")
    urgent: bool | None = Field(None, description="a call for witnesses published once approved")
    not_before: str | None = Field(None, description="ISO 8601 date and time (embargo)")
    expires_at: str | None = Field(None, description="ISO 8601 date and time after which it is not published")
    prosecutor_reference: str | None = Field(None, description="required for a witness_appeal")
    prosecutor_agreement: bool | None = Field(None, description="false refuses a witness_appeal")
    images: list[ImageInput] | None = Field(None, description="4 at most, 4 MB in all")


class ProposalForm(_Document):
    """The web form's fields (multipart/form-data or urlencoded; files only in multipart)."""

    model_config = _example(
        text="Journée portes ouvertes samedi au commissariat.",
        kind="recruitment",
        proposer_email="agent.martin@example.org",
    )

    text: str
    kind: Kind
    proposer_email: str
    judicial_risk: str | None = Field(None, description='"on" when ticked')
    urgent: str | None = Field(None, description='"on" when ticked')
    not_before: str | None = None
    expires_at: str | None = None
    prosecutor_agreement: str | None = Field(None, description='"on" when ticked')
    prosecutor_reference: str | None = None
    form_token: str | None = Field(
        None, description="the form's one-time token: the form sent again makes one proposal"
    )
    image_1: bytes | None = Field(None, json_schema_extra={"format": "binary"})
    alt_1: str | None = None
    image_2: bytes | None = Field(None, json_schema_extra={"format": "binary"})
    alt_2: str | None = None
    image_3: bytes | None = Field(None, json_schema_extra={"format": "binary"})
    alt_3: str | None = None
    image_4: bytes | None = Field(None, json_schema_extra={"format": "binary"})
    alt_4: str | None = None


class LinkAction(_Document):
    """What a link's action takes: a reason to reject, a comment to request changes, a new text to edit,
    the post's address to record it as published; nothing to approve, confirm or withdraw."""

    model_config = _example(reason="Le texte cite un nom de victime.")

    reason: str | None = None
    comment: str | None = None
    text: str | None = None
    url: str | None = None


# -- answers ---------------------------------------------------------------------------------------------
class ProposalCreated(_Document):
    model_config = _example(id="3f6c1a9e8b2d4c7f9a0e1b2c3d4e5f60", status="AWAITING_CONFIRMATION")

    id: str
    status: str = Field(description="AWAITING_CONFIRMATION: the proposer confirms by the link mailed to them")


class FieldProblem(_Document):
    field: str
    message: str


class ErrorDocument(_Document):
    model_config = _example(
        error="invalid_proposal",
        reason="invalid_proposal",
        message="text: this field is required",
        errors=[{"field": "text", "message": "this field is required"}],
    )

    error: str = Field(description="the kind of refusal, which scripts rely on")
    reason: str = Field(description="the precise case")
    message: str = Field(description="what happened and what to do, in English")
    errors: list[FieldProblem] | None = Field(None, description="a 422's problem with each field")


class TooManyRequestsDocument(ErrorDocument):
    model_config = _example(
        error="too_many_requests",
        reason="too_many_for_address_hour",
        message="Too many proposals for this address in one hour (5 at most): nothing was stored or sent. "
        "Try again after 11:00.",
        retry_after=1740,
        retry_at="2026-12-01T10:00:00Z",
    )

    retry_after: int = Field(description="seconds to wait (as the Retry-After header)")
    retry_at: str = Field(description="when to try again (UTC, ISO 8601)")


class ProposalDocument(_Document):
    id: str
    status: str
    version: int
    kind: Kind
    text: str
    weighted_length: int
    judicial_risk: bool
    urgent: bool
    not_before: str | None
    expires_at: str | None
    prosecutor_reference: str | None
    images: list[dict[str, str]]
    proposer_email: str
    approvals: list[str]
    quorum: int
    status_reason: str | None


class LinkDescription(_Document):
    action: str = Field(description="approve, reject, request_changes, edit, confirm, withdraw...")
    proposal: ProposalDocument


class LinkOutcome(_Document):
    message: str
    proposal: ProposalDocument


# -- where they go -----------------------------------------------------------------------------------------
def _error(description: str, *, html: bool = True) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"model": ErrorDocument}}
    if html:
        content["text/html"] = HTML
    return {"description": description, "content": content}


TOO_MANY: dict[str, Any] = {
    "description": "A flood limit is reached: nothing was stored or mailed; retry after Retry-After seconds",
    "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
    "content": {"application/json": {"model": TooManyRequestsDocument}, "text/html": HTML},
}
# Every route: Powertools' check of its parameters (a `lang` given twice), and a path no route matches.
_EVERY_ROUTE: dict[int, Any] = {
    404: _error("No such page"),
    422: _error("A parameter is not valid (given twice, say)"),
}
PAGE_RESPONSES: dict[int, Any] = {
    200: {"description": "A page", "content": {"text/html": HTML}},
    **_EVERY_ROUTE,
}
SCRIPT_RESPONSES: dict[int, Any] = {
    200: {"description": "A script", "content": {"text/javascript": {"schema": {"type": "string"}}}},
    **_EVERY_ROUTE,
}
OPENAPI_RESPONSES: dict[int, Any] = {
    200: {"description": "This document", "content": {"application/json": {"schema": {"type": "object"}}}},
    **_EVERY_ROUTE,
}

PROPOSE_RESPONSES: dict[int, Any] = {
    201: {
        "description": "Stored, awaiting the proposer's confirmation (JSON requests)",
        "content": {"application/json": {"model": ProposalCreated}},
    },
    303: {
        "description": "The form was taken: its page of what was sent (form posts)",
        "headers": {"Location": {"description": "the page of what was sent", "schema": {"type": "string"}}},
        "content": {"text/plain": {"schema": {"type": "string", "maxLength": 0}}},
    },
    **_EVERY_ROUTE,
    400: _error("Malformed body (JSON, multipart)"),
    409: _error("A request with this Idempotency-Key is still being handled"),
    413: _error("Body too large"),
    415: _error("Unsupported Content-Type"),
    422: _error("A field is wrong (each error names it), or the Idempotency-Key was used with another body"),
    429: TOO_MANY,
}

_LINK_ERRORS: dict[int, Any] = {
    **_EVERY_ROUTE,
    403: _error("The link is forged, expired, for someone else, or for an action postdesk does not know"),
    404: _error("The link's proposal is gone, or no such page"),
    409: _error("The link was used already, or is for an older version, or the proposal moved on"),
}
LINK_PAGE_RESPONSES: dict[int, Any] = {
    200: {
        "description": "The link's page (HTML), or with Accept: application/json its action and proposal",
        "content": {"text/html": HTML, "application/json": {"model": LinkDescription}},
    },
    **_LINK_ERRORS,
}
LINK_ACTION_RESPONSES: dict[int, Any] = {
    200: {
        "description": "Done, once: a page, or with Accept: application/json what happened",
        "content": {"text/html": HTML, "application/json": {"model": LinkOutcome}},
    },
    400: _error("Malformed body"),
    **_LINK_ERRORS,
    413: _error("Body too large"),
    415: _error("Unsupported Content-Type"),
    422: _error("What the action needs is missing or wrong (a reason, a text...)"),
}
AUDIT_RESPONSES: dict[int, Any] = {
    200: {
        "description": "The audit log",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
        },
    },
    **{status: _error(answer["description"]) for status, answer in _LINK_ERRORS.items()},
}


# -- request bodies, added to the document as it is served ------------------------------------------------
_REQUEST_BODIES: dict[tuple[str, str], tuple[dict[str, type[BaseModel]], bool]] = {
    ("/proposals", "post"): (
        {
            "application/json": ProposalRequest,
            "multipart/form-data": ProposalForm,
            "application/x-www-form-urlencoded": ProposalForm,
        },
        True,
    ),
    ("/l/{token}", "post"): (
        {"application/json": LinkAction, "application/x-www-form-urlencoded": LinkAction},
        False,
    ),
}


def document_request_bodies(document: dict[str, Any]) -> dict[str, Any]:
    """`document` (Powertools' OpenAPI document, as JSON) with each request body and its models."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for (path, method), (media_types, required) in _REQUEST_BODIES.items():
        content = {}
        for media_type, model in media_types.items():
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas[model.__name__] = schema
            content[media_type] = {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
        document["paths"][path][method]["requestBody"] = {"required": required, "content": content}
    return document
