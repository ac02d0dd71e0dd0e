"""API Gateway's REST proxy integration (payload 1.0) as the local gateway plays it.

The event is what API Gateway sends: the path still percent-encoded, the proxy path parameter and the
query decoded, single-value maps holding the last of repeated names, `None` for what is absent, and the
body base64-encoded when its Content-Type is one of the API's binary media types. The answer is read as
API Gateway reads it, including its refusal of a malformed one and its rule for base64 bodies: they are
decoded only when the request's first Accept media type is a binary media type; otherwise the client
gets the base64 text, as it would from AWS."""

from __future__ import annotations

import base64
import logging
import time
import uuid
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

log = logging.getLogger("local_stack.proxy_event")

STAGE = "prod"
ACCOUNT_ID = "123456789012"
API_ID = "local"


@dataclass(frozen=True)
class HttpRequest:
    """A request as the gateway received it: the raw path (percent-encoded) and query, headers in order."""

    method: str
    raw_path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str

    def header(self, name: str) -> str:
        wanted = name.lower()
        return next((value for key, value in reversed(self.headers) if key.lower() == wanted), "")


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class MalformedProxyResponseError(ValueError):
    """The handler answered something API Gateway would refuse with a 502."""


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def is_binary_media_type(content_type: str, binary_media_types: Iterable[str]) -> bool:
    """Whether API Gateway treats this type as binary: patterns as in BinaryMediaTypes (`image/*`)."""
    kind = media_type(content_type)
    return bool(kind) and any(fnmatchcase(kind, pattern.strip().lower()) for pattern in binary_media_types)


def _single_and_multi(
    pairs: Sequence[tuple[str, str]],
) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def _forwarded(request: HttpRequest) -> list[tuple[str, str]]:
    """The request's headers with the X-Forwarded-* that API Gateway adds (over http here)."""
    kept = [(name, value) for name, value in request.headers if not name.lower().startswith("x-forwarded-")]
    chain = ", ".join([*filter(None, [request.header("X-Forwarded-For")]), request.source_ip])
    port = _domain_name(request).rpartition(":")[2] if ":" in _domain_name(request) else "80"
    return [*kept, ("X-Forwarded-For", chain), ("X-Forwarded-Port", port), ("X-Forwarded-Proto", "http")]


def _domain_name(request: HttpRequest) -> str:
    return request.header("Host") or "127.0.0.1"


def build_event(
    request: HttpRequest,
    *,
    binary_media_types: Sequence[str],
    request_id: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The event API Gateway would send for `request` through a `/` or `/{proxy+}` ANY method."""
    request_id = request_id or str(uuid.uuid4())
    now = time.time() if now is None else now
    path = request.raw_path or "/"
    resource = "/" if path == "/" else "/{proxy+}"
    path_parameters = None if path == "/" else {"proxy": unquote(path.lstrip("/"))}
    headers, multi_value_headers = _single_and_multi(_forwarded(request))
    query_pairs = parse_qsl(request.query, keep_blank_values=True)
    query, multi_value_query = _single_and_multi(query_pairs)

    body: str | None = None
    is_base64 = False
    if request.body:
        if is_binary_media_type(request.header("Content-Type"), binary_media_types):
            body, is_base64 = base64.b64encode(request.body).decode("ascii"), True
        else:
            body = request.body.decode("utf-8", errors="replace")
    domain = _domain_name(request)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_value_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_value_query,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "resourceId": "proxy" if path_parameters else "root",
            "resourcePath": resource,
            "httpMethod": request.method,
            "path": path,
            "stage": STAGE,
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": int(now * 1000),
            "domainName": domain,
            "domainPrefix": domain.split(".", 1)[0],
            "identity": {
                "sourceIp": request.source_ip,
                "userAgent": request.header("User-Agent") or None,
                "accountId": None,
                "apiKey": None,
                "caller": None,
                "user": None,
                "userArn": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "accessKey": None,
            },
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _header_pairs(result: dict[str, Any]) -> list[tuple[str, str]]:
    """headers and multiValueHeaders merged as API Gateway merges them: a name in both keeps the list."""
    single = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise MalformedProxyResponseError("headers and multiValueHeaders must be objects")
    in_multi = {str(name).lower() for name in multi}
    pairs = [(str(name), str(value)) for name, value in single.items() if str(name).lower() not in in_multi]
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedProxyResponseError(f"multiValueHeaders[{name!r}] must be a list")
        pairs.extend((str(name), str(value)) for value in values)
    return pairs


def _status(result: dict[str, Any]) -> int:
    status = result.get("statusCode")
    if isinstance(status, bool) or not isinstance(status, int | str) or not str(status).isdigit():
        raise MalformedProxyResponseError(f"statusCode must be an integer, not {status!r}")
    return int(status)


def answer_from_proxy_response(result: Any, *, accept: str, binary_media_types: Sequence[str]) -> HttpAnswer:
    """The HTTP answer API Gateway makes of a proxy response, or MalformedProxyResponseError."""
    if not isinstance(result, dict):
        raise MalformedProxyResponseError(f"the handler answered {type(result).__name__}, not an object")
    status = _status(result)
    headers = _header_pairs(result)
    body = result.get("body")
    if body is None:
        return HttpAnswer(status, headers, b"")
    if not isinstance(body, str):
        raise MalformedProxyResponseError(f"body must be a string, not {type(body).__name__}")
    if not result.get("isBase64Encoded"):
        return HttpAnswer(status, headers, body.encode("utf-8"))
    first_accept = accept.split(",", 1)[0]
    if is_binary_media_type(first_accept, binary_media_types):
        try:
            return HttpAnswer(status, headers, base64.b64decode(body, validate=True))
        except ValueError as error:
            raise MalformedProxyResponseError(
                f"isBase64Encoded is true, the body is not base64: {error}"
            ) from None
    log.warning(
        "a base64 body goes out as text: the request's first Accept (%r) is not among the binary media "
        "types %s, and API Gateway decodes only then",
        first_accept,
        list(binary_media_types),
    )
    return HttpAnswer(status, headers, body.encode("ascii", errors="replace"))
