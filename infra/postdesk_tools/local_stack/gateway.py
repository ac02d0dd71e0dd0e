"""The local API Gateway: an HTTP server that hands each request to the API function as a REST proxy
event, and serves the dev console under /_local/ itself.

It applies the limits of the real services, so that what fails in AWS fails here first, with a 4xx
naming the limit rather than a 500: API Gateway refuses a body over 10 MB, Lambda an event over 6 MB
(a body base64-encoded grows by a third on the way). It answers a handler's exception, a malformed
answer, a too large answer and a function's timeout the way API Gateway does (502, 502, 502, 502), and
504 when its own 29 s pass first (the function goes on to its Timeout, as in Lambda). Requests are
served on a thread each; the function runs them in its own processes (lambda_function).

It reads requests as strictly as a front door must: a body's length is one Content-Length of digits or
a chunked body whose every chunk size is hexadecimal digits, never both, and any other
Transfer-Encoding is refused (a 400, and the connection closed, since the rest of the stream can't be
trusted). A path is taken as API Gateway takes it: a run of slashes is one slash (a REST API routes
`//orders` and `/a//b` as `/orders` and `/a/b`, and hands the function the merged path), the rest as
sent. The target is read from the request line itself, since Python's server already merges leading
slashes in `self.path`. The console answers only its own spelling, `/_local/...`: `//_local/...` is a
path of the API, as it would be in AWS, where there is no console. A HEAD is answered as the GET of the
same address without its body (the headers, Content-Length included, are the GET's): the console's here,
the API's by the API function itself, which gets the HEAD as API Gateway's `ANY` method hands it on."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from postdesk_tools.local_stack.console import Console, ConsoleRequest
from postdesk_tools.local_stack.lambda_function import (
    CallerStoppedWaitingError,
    FunctionTimedOutError,
    HandlerFailedError,
    InvocationError,
    NotStartedInTimeError,
)
from postdesk_tools.local_stack.proxy_event import (
    HttpAnswer,
    HttpRequest,
    MalformedProxyResponseError,
    answer_from_proxy_response,
    build_event,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from postdesk_tools.local_stack.lambda_function import LocalFunction

# The local stack logs under `local_stack`, not under `postdesk`: that logger is the function's own
# (Powertools, JSON, with the Lambda context), and these lines are the gateway's.
log = logging.getLogger("local_stack.gateway")

MB = 1024 * 1024
API_GATEWAY_MAX_BODY_BYTES = 10 * MB
LAMBDA_MAX_PAYLOAD_BYTES = 6 * MB
# The console takes raw mail (POST /_local/inbound): SES receives messages of up to 40 MB.
CONSOLE_MAX_BODY_BYTES = 40 * MB
INTEGRATION_TIMEOUT_SECONDS = 29
# An oversize body is read to its end (up to this) so that the client reads the 413 rather than a reset.
DRAIN_LIMIT_BYTES = 64 * MB
IDLE_CONNECTION_SECONDS = 30
SHUTDOWN_POLL_SECONDS = 0.05


class BodyTooLargeError(Exception):
    """A request body over the limit of the service that would receive it; answered with a 413."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes over {limit}")
        self.size = size
        self.limit = limit


class BadRequestError(Exception):
    """A request no HTTP server could read (a bad Content-Length, a broken chunked body); a 400."""


class UnsupportedEncodingError(BadRequestError):
    """A body in a transfer coding the gateway does not decode (`gzip, chunked`): a 501, as RFC 9112 asks."""


# RFC 9112: chunk-size is 1*HEXDIG; 16 digits are 64 bits, more is no size at all.
CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})(?:[ \t]*;[^\r\n]*)?\r\n")
MAX_TRAILER_LINES = 64
SLASHES = re.compile(r"/{2,}")
LINE_LIMIT = 1024


def request_path(target: str) -> tuple[str, str, bool]:
    """The path (leading slashes made one, as API Gateway routes it), the query, and whether the path was
    sent in that spelling, of a request target in origin form (`/a?b`) or absolute form
    (`http://host/a?b`). Raises BadRequestError for anything else."""
    target = target.partition("#")[0]
    if target.startswith("/"):
        path, _, query = target.partition("?")
    elif target.lower().startswith(("http://", "https://")):
        parts = urlsplit(target)
        path, query = parts.path or "/", parts.query
    else:
        raise BadRequestError(
            f"the request target must be a path such as /proposals/new, not {target[:80]!r}"
        )
    normal = SLASHES.sub("/", path)
    return normal, query, normal == path


def json_answer(status: int, value: dict[str, Any], request_id: str = "") -> HttpAnswer:
    headers = [("Content-Type", "application/json")]
    if request_id:
        headers.append(("x-amzn-RequestId", request_id))
    return HttpAnswer(status, headers, json.dumps(value).encode("utf-8"))


def internal_server_error(request_id: str) -> HttpAnswer:
    """API Gateway's own answer when the integration fails: always this, never the error itself."""
    answer = json_answer(502, {"message": "Internal server error"}, request_id)
    return HttpAnswer(
        answer.status, [*answer.headers, ("x-amzn-ErrorType", "InternalServerErrorException")], answer.body
    )


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB"


class Gateway:
    def __init__(
        self,
        function: LocalFunction,
        console: Console,
        *,
        binary_media_types: Sequence[str],
        host: str = "127.0.0.1",
        port: int = 8080,
        integration_timeout_seconds: float = INTEGRATION_TIMEOUT_SECONDS,
    ) -> None:
        self.function = function
        self.integration_timeout_seconds = integration_timeout_seconds
        self.console = console
        self.binary_media_types = list(binary_media_types)
        try:
            self._server = _GatewayServer((host, port), self)
        except OSError as error:
            raise OSError(
                error.errno, f"the gateway cannot listen on {host}:{port}: {error.strerror}"
            ) from error
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        # Listening on every interface: links in mail still need one address to go to.
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else str(host)  # noqa: S104
        return f"http://{shown}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(SHUTDOWN_POLL_SECONDS,), name="gateway", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def console_answer(self, request: HttpRequest) -> HttpAnswer:
        response = self.console.handle(
            ConsoleRequest(
                method=request.method,
                path=request.raw_path,
                query=parse_qs(request.query, keep_blank_values=True),
                headers={name.lower(): value for name, value in request.headers},  # HTTP names ignore case
                body=request.body,
            )
        )
        headers = [("Content-Type", response.content_type), ("Cache-Control", "no-store")]
        return HttpAnswer(response.status, [*headers, *response.headers.items()], response.body)

    def lambda_answer(self, request: HttpRequest) -> HttpAnswer:
        request_id = str(uuid.uuid4())
        event = build_event(request, binary_media_types=self.binary_media_types, request_id=request_id)
        size = len(json.dumps(event, separators=(",", ":")).encode("utf-8"))
        if size > LAMBDA_MAX_PAYLOAD_BYTES:
            message = (
                f"Request Too Long: the Lambda event would be {size} bytes ({_mb(size)}), over Lambda's "
                f"invocation payload limit of {LAMBDA_MAX_PAYLOAD_BYTES} bytes (6 MB); a binary body is "
                "base64-encoded in the event, a third larger than sent"
            )
            log.warning("%s %s: %s", request.method, _loggable(request.raw_path), message)
            return json_answer(413, {"message": message}, request_id)
        try:
            result = self.function.invoke(
                event, request_id, answer_by=time.monotonic() + self.integration_timeout_seconds
            )
        except (NotStartedInTimeError, CallerStoppedWaitingError) as error:
            log.error(
                "%s %s: %s (API Gateway answers 504)", request.method, _loggable(request.raw_path), error
            )
            return json_answer(504, {"message": "Endpoint request timed out"}, request_id)
        except FunctionTimedOutError as error:
            log.error("%s %s: %s", request.method, _loggable(request.raw_path), error)
            if self.function.settings.timeout_seconds >= self.integration_timeout_seconds:
                return json_answer(504, {"message": "Endpoint request timed out"}, request_id)
            return internal_server_error(request_id)
        except HandlerFailedError as error:
            log.error(
                "the handler raised on %s %s (API Gateway answers 502): %s\n%s",
                request.method,
                _loggable(request.raw_path),
                error,
                error.trace,
            )
            return internal_server_error(request_id)
        except InvocationError as error:
            log.error(
                "%s %s: %s (API Gateway answers 502)", request.method, _loggable(request.raw_path), error
            )
            return internal_server_error(request_id)
        try:
            response_size = len(json.dumps(result, separators=(",", ":")).encode("utf-8"))
            if response_size > LAMBDA_MAX_PAYLOAD_BYTES:
                raise MalformedProxyResponseError(
                    f"the response is {response_size} bytes, over Lambda's {LAMBDA_MAX_PAYLOAD_BYTES}"
                )
            answer = answer_from_proxy_response(
                result, accept=request.header("Accept"), binary_media_types=self.binary_media_types
            )
        except (MalformedProxyResponseError, TypeError, ValueError) as error:
            log.error(
                "Malformed Lambda proxy response on %s %s: %s",
                request.method,
                _loggable(request.raw_path),
                error,
            )
            return internal_server_error(request_id)
        return HttpAnswer(answer.status, [*answer.headers, ("x-amzn-RequestId", request_id)], answer.body)


class _GatewayServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog is 5: clients connecting together beyond it wait for the kernel to
    # retry their connection (a second or more), as a busy morning would show.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], gateway: Gateway) -> None:
        self.gateway = gateway
        super().__init__(address, _GatewayRequestHandler)


class _GatewayRequestHandler(BaseHTTPRequestHandler):
    server: _GatewayServer
    protocol_version = "HTTP/1.1"
    timeout = IDLE_CONNECTION_SECONDS

    # API Gateway's ANY method: every verb goes to the same place.
    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_OPTIONS(self) -> None:
        self._handle()

    def _handle(self) -> None:
        started = time.monotonic()
        raw_path = "/"
        gateway = self.server.gateway
        try:
            raw_path, query, as_sent = request_path(self._target())
            console = as_sent and Console.serves(raw_path)
            body = self._read_body(CONSOLE_MAX_BODY_BYTES if console else API_GATEWAY_MAX_BODY_BYTES)
            request = HttpRequest(
                method="GET"
                if self.command == "HEAD" and console
                else self.command,  # the API answers its own HEAD
                raw_path=raw_path,
                query=query,
                headers=list(self.headers.items()),
                body=body,
                source_ip=self.client_address[0],
            )
            answer = gateway.console_answer(request) if console else gateway.lambda_answer(request)
        except BodyTooLargeError as error:
            answer = self._too_large(error, raw_path)
        except UnsupportedEncodingError as error:
            self.close_connection = True
            answer = json_answer(501, {"message": str(error)})
        except BadRequestError as error:
            self.close_connection = True
            answer = json_answer(400, {"message": str(error)})
        except Exception:
            log.exception("the gateway failed on %s %s", self.command, _loggable(raw_path))
            answer = internal_server_error(str(uuid.uuid4()))
        self._write(answer)
        # The path only: query strings carry link tokens, which never go into logs.
        log.info(
            "%s %s %d %.0f ms",
            self.command,
            _loggable(raw_path),
            answer.status,
            (time.monotonic() - started) * 1000,
        )

    def _too_large(self, error: BodyTooLargeError, raw_path: str) -> HttpAnswer:
        if error.limit == API_GATEWAY_MAX_BODY_BYTES:
            message = (
                "Request Too Long: API Gateway accepts a request body of at most "
                f"{API_GATEWAY_MAX_BODY_BYTES} bytes (10 MB); this one is {error.size} bytes "
                f"({_mb(error.size)})"
            )
        else:
            message = f"Request Too Long: the console takes at most {error.limit} bytes, not {error.size}"
        log.warning("%s %s: %s", self.command, _loggable(raw_path), message)
        return json_answer(413, {"message": message})

    def _target(self) -> str:
        """The request target as the client sent it (`self.path` has its leading slashes merged already)."""
        words = self.requestline.split()
        return words[1] if len(words) >= 2 else self.path

    def _read_body(self, limit: int) -> bytes:
        codings = [
            coding.strip().lower()
            for value in self.headers.get_all("Transfer-Encoding") or []
            for coding in value.split(",")
            if coding.strip()
        ]
        lengths = self.headers.get_all("Content-Length") or []
        if codings:
            if lengths:
                raise BadRequestError("a request may have Content-Length or Transfer-Encoding, not both")
            if codings[-1] != "chunked":
                raise BadRequestError(
                    f"Transfer-Encoding: {', '.join(codings)}: the body's last coding must be chunked, "
                    "or its end can't be told"
                )
            if len(codings) > 1:
                raise UnsupportedEncodingError(
                    f"Transfer-Encoding: {', '.join(codings)}: only chunked is decoded here"
                )
            return self._read_chunked(limit)
        if not lengths:
            return b""
        declared = {value.strip() for value in lengths}
        if len(declared) > 1:
            raise BadRequestError(f"Content-Length is given more than once, differently: {sorted(declared)}")
        (value,) = declared
        if not (value.isascii() and value.isdigit()):
            raise BadRequestError(f"Content-Length is not a number: {value!r}")
        length = int(value)
        if length > limit:
            self._drain(length)
            raise BodyTooLargeError(length, limit)
        body = self.rfile.read(length)
        if len(body) < length:
            raise BadRequestError(f"the body ended after {len(body)} of its {length} bytes")
        return body

    def _drain(self, length: int) -> None:
        remaining = min(length, DRAIN_LIMIT_BYTES)
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, MB))
            if not chunk:
                break
            remaining -= len(chunk)
        if length > DRAIN_LIMIT_BYTES:
            self.close_connection = True

    def _line(self, what: str) -> bytes:
        line = self.rfile.readline(LINE_LIMIT + 1)
        if not line:
            raise BadRequestError(f"the chunked body ended before its {what}")
        if len(line) > LINE_LIMIT or not line.endswith(b"\r\n"):
            raise BadRequestError(
                f"malformed chunked body: its {what} is not a line of at most {LINE_LIMIT} bytes "
                "ending in CRLF"
            )
        return line

    def _read_chunked(self, limit: int) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self._line("chunk size")
            size_match = CHUNK_SIZE.fullmatch(line)
            if size_match is None:
                shown = line.rstrip(b"\r\n")[:40].decode("ascii", "replace")
                raise BadRequestError(
                    f"malformed chunked body: {shown!r} is not a chunk size (1 to 16 hexadecimal digits)"
                )
            size = int(size_match.group(1), 16)
            if size == 0:
                for _ in range(MAX_TRAILER_LINES):
                    if self._line("trailer") == b"\r\n":
                        return b"".join(parts)
                raise BadRequestError(f"malformed chunked body: more than {MAX_TRAILER_LINES} trailer lines")
            total += size
            if total > limit:
                self.close_connection = True
                raise BodyTooLargeError(total, limit)
            data = self.rfile.read(size)
            if len(data) < size:
                raise BadRequestError(f"the chunked body ended inside a chunk ({len(data)} of {size} bytes)")
            parts.append(data)
            if self.rfile.read(2) != b"\r\n":
                raise BadRequestError("malformed chunked body: a chunk is not followed by CRLF")

    def _write(self, answer: HttpAnswer) -> None:
        try:
            self.send_response(answer.status, _reason(answer.status))
            for name, value in answer.headers:
                if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Requests are logged by _handle, without their query string."""

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s: %s", self.client_address[0], format % args)


_LINK_TOKEN = re.compile(r"^(/l/)[^/?]+")


def _loggable(path: str) -> str:
    """A path fit for a log: the token of a signed link (`/l/<token>`) is a credential, never logged."""
    return _LINK_TOKEN.sub(r"\1<token>", path)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
