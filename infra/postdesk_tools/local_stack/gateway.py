"""The local API Gateway: an HTTP server that hands each request to the API function as a REST proxy
event, and serves the dev console under /_local/ itself.

It applies the limits of the real services, so that what fails in AWS fails here first, with a 4xx
naming the limit rather than a 500: API Gateway refuses a body over 10 MB, Lambda an event over 6 MB
(a body base64-encoded grows by a third on the way). It answers a handler's exception, a malformed
answer, a too large answer and a function's timeout the way API Gateway does (502, 502, 502, 502), and
504 when its own 29 s pass first (the function goes on to its Timeout, as in Lambda). Requests are
served on a thread each; the function runs them in its own processes (lambda_function)."""

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

    def body_limit(self, raw_path: str) -> int:
        return CONSOLE_MAX_BODY_BYTES if Console.serves(raw_path) else API_GATEWAY_MAX_BODY_BYTES

    def answer(self, request: HttpRequest) -> HttpAnswer:
        if Console.serves(request.raw_path):
            return self._console_answer(request)
        return self._lambda_answer(request)

    def _console_answer(self, request: HttpRequest) -> HttpAnswer:
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

    def _lambda_answer(self, request: HttpRequest) -> HttpAnswer:
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
        target = urlsplit(self.path)
        raw_path = target.path or "/"
        gateway = self.server.gateway
        try:
            body = self._read_body(gateway.body_limit(raw_path))
            request = HttpRequest(
                method=self.command,
                raw_path=raw_path,
                query=target.query,
                headers=list(self.headers.items()),
                body=body,
                source_ip=self.client_address[0],
            )
            answer = gateway.answer(request)
        except BodyTooLargeError as error:
            answer = self._too_large(error)
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

    def _too_large(self, error: BodyTooLargeError) -> HttpAnswer:
        if error.limit == API_GATEWAY_MAX_BODY_BYTES:
            message = (
                "Request Too Long: API Gateway accepts a request body of at most "
                f"{API_GATEWAY_MAX_BODY_BYTES} bytes (10 MB); this one is {error.size} bytes "
                f"({_mb(error.size)})"
            )
        else:
            message = f"Request Too Long: the console takes at most {error.limit} bytes, not {error.size}"
        log.warning("%s %s: %s", self.command, _loggable(urlsplit(self.path).path), message)
        return json_answer(413, {"message": message})

    def _read_body(self, limit: int) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked(limit)
        declared = self.headers.get("Content-Length")
        if not declared:
            return b""
        try:
            length = int(declared)
        except ValueError:
            raise BadRequestError(f"Content-Length is not a number: {declared!r}") from None
        if length < 0:
            raise BadRequestError("Content-Length is negative")
        if length > limit:
            self._drain(length)
            raise BodyTooLargeError(length, limit)
        return self.rfile.read(length)

    def _drain(self, length: int) -> None:
        remaining = min(length, DRAIN_LIMIT_BYTES)
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, MB))
            if not chunk:
                break
            remaining -= len(chunk)
        if length > DRAIN_LIMIT_BYTES:
            self.close_connection = True

    def _read_chunked(self, limit: int) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024)
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BadRequestError("malformed chunked body") from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            total += size
            if total > limit:
                self.close_connection = True
                raise BodyTooLargeError(total, limit)
            parts.append(self.rfile.read(size))
            self.rfile.readline(1024)

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
