"""The API Lambda: the proposal form, the JSON API, and the pages behind every signed link.

Thin by design: each route reads the request, calls one use case, and shapes the answer.

Its import is the API function's cold start (DESIGN.md section 6: at most 1.1 times the floor of
boto3 and Powertools). So the module imports only what its routes' declarations need (Powertools, the
errors it maps, the OpenAPI answers); each route imports the use cases, pages and parsers it calls,
and a request pays only for its own: the form's page never loads the link pages' use cases, nor a
link's page the form's parser."""

from __future__ import annotations

import base64
import functools
import json
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.logging import correlation_paths

from postdesk.errors import (
    FieldError,
    InvalidLink,
    InvalidProposal,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    PostdeskError,
    TooManyRequests,
)
from postdesk.handlers.wiring import get_services
from postdesk.observability import logger, metrics, tracer
from postdesk.web.api_documents import (
    AUDIT_RESPONSES,
    LINK_ACTION_RESPONSES,
    LINK_PAGE_RESPONSES,
    OPENAPI_RESPONSES,
    PAGE_RESPONSES,
    PROPOSE_RESPONSES,
    SCRIPT_RESPONSES,
    document_request_bodies,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from postdesk.services import Services

MAX_BODY_BYTES = 6 * 1024 * 1024  # Lambda's payload limit; API Gateway stops 10 MB before us

app = APIGatewayRestResolver(enable_validation=True)
Lang = Annotated[str | None, Query(description="Page language: fr (default) or en")]


def _language(lang: str | None) -> str:
    from postdesk.wording import pick_language

    return pick_language(lang)


def _base() -> str:
    return get_services().settings.public_base_url


def _switch_url(path: str, language: str) -> str:
    return f"{_base()}{path}" + ("" if language == "en" else "?lang=en")


def _asks_json() -> bool:
    """A script, not a browser: it asks for JSON and not for HTML."""
    accept = app.current_event.headers.get("accept") or ""
    return "application/json" in accept and "text/html" not in accept


def _wants_html() -> bool:
    from postdesk.web.forms import media_type

    event = app.current_event
    if event.path.startswith("/l/"):  # the pages behind links, unless a script asks for JSON
        return not _asks_json()
    accept = event.headers.get("accept") or ""
    content = media_type(event.headers.get("content-type"))
    if content == "application/json" or _asks_json():
        return False
    return "text/html" in accept or content in ("multipart/form-data", "application/x-www-form-urlencoded")


def _body() -> bytes:
    event = app.current_event
    raw = event.body or ""
    data = base64.b64decode(raw) if event.is_base64_encoded else raw.encode("utf-8")
    if len(data) > MAX_BODY_BYTES:
        raise PayloadTooLarge(
            f"body: {len(data)} bytes; {MAX_BODY_BYTES} at most (images: 4 MB in all)",
            "body_too_large",
            size=len(data),
            max=MAX_BODY_BYTES,
        )
    return data


@app.exception_handler(PostdeskError)  # type: ignore[untyped-decorator]
def _postdesk_error(error: PostdeskError) -> Response[str]:
    return _refusal(error)


def _refusal(error: PostdeskError) -> Response[str]:
    """Every refusal's answer: a page in the reader's language, or JSON for a script."""
    from postdesk.web.pages import as_json, error_document, error_page

    language = _language(app.current_event.get_query_string_value("lang"))
    if error.status_code >= 500:  # not the caller's fault: the operator must see why
        logger.error("request failed", extra={"code": error.code, "reason": error.message})
    else:
        logger.info("request refused", extra={"code": error.code, "status": error.status_code})
    if _wants_html():
        answer = error_page(
            error, language=language, switch_url=_switch_url(app.current_event.path, language)
        )
    else:
        answer = as_json(error_document(error), error.status_code)
    if isinstance(error, TooManyRequests):
        answer.headers["Retry-After"] = str(error.retry_after)
    return answer


@app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
def _invalid_parameters(error: RequestValidationError) -> Response[str]:
    """Powertools' check of the query, path and headers (a `lang` given twice, say), answered as every
    refusal is: Powertools' own answer carries neither the field's problem nor the page's language."""
    problems = [
        FieldError(
            str(problem["loc"][-1]) if problem.get("loc") else "request", "is not valid", "bad_parameter"
        )
        for problem in error.errors()
    ]
    return _refusal(InvalidRequest(problems or [FieldError("request", "is not valid", "bad_parameter")]))


@app.not_found
def _no_such_page(_: Exception) -> Response[str]:
    return _refusal(NotFound("no such page", "not_found"))


def _source_ip() -> str | None:
    """The client's address as API Gateway saw the connection (never a header the client wrote)."""
    return app.current_event.request_context.identity.source_ip or None


def _form_page(language: str, values: dict[str, Any], errors: dict[str, str], status: int) -> Response[str]:
    from postdesk.domain import counting
    from postdesk.templates import kind_choices, render
    from postdesk.use_cases import proposing
    from postdesk.web.pages import html
    from postdesk.wording import strings

    base = _base()
    body = render(
        "propose.html",
        language=language,
        title=strings(language)["propose_title"],
        action=f"{base}/proposals" + ("?lang=en" if language == "en" else ""),
        static_url=f"{base}/static",
        switch_url=_switch_url("/proposals/new", language),
        kinds=kind_choices(language),
        values=values,
        errors=errors,
        count=counting.weighted_length(str(values.get("text", ""))),
        form_token=proposing.new_form_token(get_services()),
    )
    return html(body, status)


# The form's fields in the order the page shows them: the error summary lists them in that order.
FORM_ORDER = (
    "text",
    "kind",
    "judicial_risk",
    "prosecutor_agreement",
    "prosecutor_reference",
    "urgent",
    "not_before",
    "expires_at",
    "images",
    *(f"{part}_{n}" for n in range(1, 5) for part in ("image", "alt")),
    "proposer_email",
)


def _form_position(name: str) -> int:
    return FORM_ORDER.index(name) if name in FORM_ORDER else len(FORM_ORDER)


_EMPTY_FORM: dict[str, Any] = {
    "text": "",
    "kind": "prevention",
    "proposer_email": "",
    "prosecutor_reference": "",
    "not_before": "",
    "expires_at": "",
    "judicial_risk": "",
    "urgent": "",
    "prosecutor_agreement": "",
    **{f"alt_{n}": "" for n in range(1, 5)},
}


@app.get("/", summary="The proposal form", responses=PAGE_RESPONSES)
@app.get("/proposals/new", summary="The proposal form", responses=PAGE_RESPONSES)
def proposal_form(lang: Lang = None) -> Response[str]:
    return _form_page(_language(lang), dict(_EMPTY_FORM), {}, 200)


@app.post(
    "/proposals",
    summary="Propose a post",
    description="JSON {text, kind, proposer_email, judicial_risk?, urgent?, not_before?, expires_at?, "
    "prosecutor_reference?} answers 201 {id, status}; the web form posts the same fields (plus images "
    "image_N with alt_N) as multipart/form-data and is answered with pages. Flood limits per proposer, "
    "per recipient and per source network: beyond one, 429 with Retry-After.",
    responses=PROPOSE_RESPONSES,
)
def propose(
    lang: Lang = None,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="JSON only: a repeat with the same key (and the same body) answers the first "
            "result and stores nothing new, for a day",
        ),
    ] = None,
) -> Response[str]:
    from postdesk.domain.proposal import ImageUpload
    from postdesk.domain.validation import validate_proposal
    from postdesk.use_cases import proposing
    from postdesk.web.forms import json_images, media_type, parse_form, parse_json_object
    from postdesk.web.pages import PAGE_HEADERS, as_json, field_errors

    language = _language(lang)
    services = get_services()
    content_type = app.current_event.headers.get("content-type") or ""
    body = _body()
    if media_type(content_type) == "application/json":
        document = parse_json_object(body)
        fields = dict(document)
        images = json_images(fields.pop("images", None))
        draft = validate_proposal(fields, images, **_validation_settings(services))

        def submit() -> dict[str, Any]:
            proposal = proposing.submit_proposal(
                services, draft, source="api", language=language, via="api", source_ip=_source_ip()
            )
            metrics.add_metric(name="ProposalsSubmitted", unit="Count", value=1)
            return {"id": proposal.id, "status": proposal.status.value}

        if idempotency_key is None:
            return as_json(submit(), 201)
        from postdesk.domain.addresses import canonical_address
        from postdesk.store.idempotency import once  # only requests that carry the header pay for it

        answer = once(
            services.settings.table_name,
            key=idempotency_key,
            caller=canonical_address(draft.proposer_email),
            body=document,
            work=submit,
            context=app.lambda_context,
        )
        return as_json(answer, 201)

    form = parse_form(body, content_type)
    images = [
        ImageUpload(
            data=upload.data,
            content_type=upload.content_type,
            alt=form.fields.get(name.replace("image_", "alt_"), ""),
            filename=upload.filename,
            field=name,
            alt_field=name.replace("image_", "alt_"),
        )
        for name, upload in sorted(form.files.items())
        if name.startswith("image_")
    ]
    try:
        draft = validate_proposal(
            form.fields, images, explicit_prosecutor_agreement=True, **_validation_settings(services)
        )
    except InvalidProposal as error:
        values = {**_EMPTY_FORM, **form.fields}
        errors = field_errors(error, language)
        ordered = {name: errors[name] for name in sorted(errors, key=_form_position)}
        return _form_page(language, values, ordered, error.status_code)
    proposal = proposing.submit_proposal(
        services,
        draft,
        source="web",
        language=language,
        via="web form",
        form_nonce=_form_nonce(services, form.fields.get("form_token", "")),
        source_ip=_source_ip(),
    )
    metrics.add_metric(name="ProposalsSubmitted", unit="Count", value=1)
    # Post, then redirect: a refresh shows the page again and sends nothing twice.
    return Response(
        status_code=303,
        content_type="text/plain; charset=utf-8",
        body="",
        headers={**PAGE_HEADERS, "Location": proposing.sent_page_link(services, proposal)},
    )


def _form_nonce(services: Services, token: str) -> str | None:
    """The form's one-time token, when it is genuine: a form sent again then answers its first
    proposal. A missing, forged or outlived token only loses that protection, never the proposal."""
    if not token:
        return None
    from postdesk.use_cases import proposing

    try:
        return proposing.form_nonce(services, token)
    except InvalidLink:
        logger.info("form token not valid: the proposal is taken without it")
        return None


def _validation_settings(services: Services) -> dict[str, Any]:
    settings = services.settings
    return {
        "allowed_domains": settings.allowed_proposer_domains,
        "allowed_addresses": settings.allowed_proposer_addresses,
        "now": services.clock(),
        "time_zone": settings.time_zone,
    }


@app.get(
    "/l/<token>",
    summary="The page behind a signed link: shows what the link would do, changes nothing",
    responses=LINK_PAGE_RESPONSES,
)
def link_page(token: Annotated[str, Path()], lang: Lang = None) -> Response[str]:
    from postdesk.domain.links import DESK, LIST
    from postdesk.use_cases import links
    from postdesk.web.link_pages import LinkPages  # the approvers' pages: loaded when a link is opened
    from postdesk.web.pages import as_json

    services = get_services()

    pages = LinkPages(services, token, _language(lang))
    claims = links.verify_link(services, token)
    if claims.action in (DESK, LIST):
        query = app.current_event.get_query_string_value
        return pages.desk_page(
            claims,
            proposal_id=query("p", "") or "",
            state=query("state", "") or "",
            kind=query("kind", "") or "",
        )
    opened = links.load_link(services, claims)
    if _asks_json():
        return as_json(pages.describe(opened))
    return pages.show(opened)


@app.post(
    "/l/<token>",
    summary="Perform the action of a signed link, once",
    description='The page\'s button posts a form; a script may post JSON ({"reason"} to reject, '
    '{"comment"} to request changes, {"text"} to edit) with Accept: application/json and gets '
    "{message, proposal}. A GET with Accept: application/json describes the link's action and proposal.",
    responses=LINK_ACTION_RESPONSES,
)
def link_action(token: Annotated[str, Path()], lang: Lang = None) -> Response[str]:
    from postdesk.use_cases import links
    from postdesk.web.forms import media_type, parse_form, parse_json_object
    from postdesk.web.link_pages import LinkPages
    from postdesk.web.pages import as_json

    services = get_services()
    opened = links.open_link(services, token)
    content_type = app.current_event.headers.get("content-type") or "application/x-www-form-urlencoded"
    body = _body()

    pages = LinkPages(services, token, _language(lang))
    if media_type(content_type) == "application/json":
        document = parse_json_object(body) if body else {}
        fields = {key: value for key, value in document.items() if isinstance(value, str)}
    else:
        fields = parse_form(body, content_type).fields if body else {}
    if _asks_json():
        return as_json(pages.perform_json(opened, fields))
    return pages.act(opened, fields)


@app.get(
    "/l/<token>/audit.<kind>",
    summary="The audit log, exported (csv or json), from an approver's list link",
    responses=AUDIT_RESPONSES,
)
def audit_export(token: Annotated[str, Path()], kind: Annotated[str, Path()]) -> Response[str]:
    from postdesk.use_cases import links
    from postdesk.web.link_pages import LinkPages

    services = get_services()
    if kind not in ("csv", "json"):
        raise NotFound("the audit log exports as audit.csv or audit.json", "no_such_export")

    return LinkPages(services, token, "fr").export(links.verify_link(services, token), kind)


@app.get(
    "/static/counter.js",
    summary="The character counter of the form (progressive enhancement)",
    responses=SCRIPT_RESPONSES,
)
def counter_script() -> Response[str]:
    from importlib import resources

    script = resources.files("postdesk.web").joinpath("static/counter.js").read_text(encoding="utf-8")
    return Response(
        status_code=200,
        content_type="text/javascript; charset=utf-8",
        body=script,
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@app.get(
    "/openapi.json",
    summary="This API, described by OpenAPI",
    responses=OPENAPI_RESPONSES,
)
def openapi() -> Response[str]:
    return Response(status_code=200, content_type="application/json", body=_openapi_document())


@functools.cache
def _openapi_document() -> str:
    """The routes never change while the function runs: the document is built once per environment."""
    document = json.loads(app.get_openapi_json_schema(title="postdesk", version="1"))
    return json.dumps(document_request_bodies(document), ensure_ascii=False)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("httpMethod") == "HEAD":
        # API Gateway's ANY method hands a HEAD on as it came, and the routes are declared for GET: a HEAD
        # is the GET of the same address, whose body the HTTP layer in front never sends
        return app.resolve({**event, "httpMethod": "GET"}, context)
    return app.resolve(event, context)
