"""A function of template.yaml run as Lambda runs it: in execution environments, each a process of its
own that imports the handler once (the cold start) and then handles one event at a time, warm, for as
long as it lives; as many environments at once as events arrive, up to the function's concurrency.

Processes, not threads: Lambda's environments share nothing (module globals, caches, pynamodb's
per-thread session), and a race between two requests is only real if they run at the same time.
Started with `spawn` (a fresh interpreter), never forked from the threaded gateway: a fork copies
whatever locks the gateway's threads hold at that moment. Each environment gets the function's
environment variables, a context with the template's Timeout and MemorySize, and ignores Ctrl-C and
SIGTERM (sent to the whole process group): the stack stops them once the gateway has stopped, and they
stop on their own when the stack's process is gone (their pipe closes).

When every environment is busy and the concurrency is reached, an event waits for one (Lambda would
start another; this machine has a limit), but never past the time its caller stops waiting: an event
that could not start in time is never run. An event still running at its function's Timeout has its
environment killed and replaced, as Lambda does."""

from __future__ import annotations

import contextlib
import importlib
import logging
import multiprocessing
import os
import signal
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from postdesk_tools.local_stack.environment import REGION
from postdesk_tools.local_stack.proxy_event import ACCOUNT_ID

if TYPE_CHECKING:
    from collections.abc import Mapping
    from multiprocessing.connection import Connection
    from multiprocessing.context import SpawnContext, SpawnProcess

log = logging.getLogger("local_stack.lambda")

DEFAULT_HANDLER = "postdesk.handlers.api.lambda_handler"
API_FUNCTION = "ApiFunction"
DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 32
CONCURRENCY_VARIABLE = "POSTDESK_LOCAL_CONCURRENCY"
STOP_GRACE_SECONDS = 10.0


def concurrency_from(value: str | int | None) -> int:
    """A concurrency asked for (the option or POSTDESK_LOCAL_CONCURRENCY), held between 1 and the cap."""
    if value is None or value == "":
        return DEFAULT_CONCURRENCY
    try:
        asked = int(value)
    except ValueError:
        raise ValueError(f"the concurrency is a whole number of environments, not {value!r}") from None
    if asked < 1:
        raise ValueError(f"the concurrency is at least 1, not {asked}")
    if asked > MAX_CONCURRENCY:
        log.warning(
            "a concurrency of %d is over the cap: %d environments per function", asked, MAX_CONCURRENCY
        )
    return min(asked, MAX_CONCURRENCY)


@dataclass(frozen=True)
class FunctionSettings:
    handler: str = DEFAULT_HANDLER
    function_name: str = "postdesk-api"
    timeout_seconds: float = 3
    memory_mb: int = 128

    @classmethod
    def from_template(cls, template: dict[str, Any], logical_id: str = API_FUNCTION) -> FunctionSettings:
        """Handler, Timeout and MemorySize of the function, or of the template's Globals, or Lambda's
        own defaults (3 s, 128 MB) for what neither says."""
        properties = template.get("Resources", {}).get(logical_id, {}).get("Properties", {})
        globals_ = template.get("Globals", {}).get("Function", {})

        def setting(name: str, default: Any) -> Any:
            value = properties.get(name, globals_.get(name, default))
            return default if isinstance(value, dict) else value  # an intrinsic: keep the default

        return cls(
            handler=str(setting("Handler", DEFAULT_HANDLER)),
            function_name=f"postdesk-{logical_id}",
            timeout_seconds=int(setting("Timeout", 3)),
            memory_mb=int(setting("MemorySize", 128)),
        )


class LambdaContext:
    """What the Lambda runtime hands a handler as `context`, for what handlers and Powertools read."""

    def __init__(self, settings: FunctionSettings, request_id: str | None = None) -> None:
        self.function_name = settings.function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{settings.function_name}"
        self.memory_limit_in_mb = settings.memory_mb
        self.aws_request_id = request_id or str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{settings.function_name}"
        self.log_stream_name = f"local/{self.aws_request_id}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + settings.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class Function(Protocol):
    """What the console and the mail receipt call: a function, handed one event, answering its result."""

    def invoke(self, event: dict[str, Any]) -> Any: ...


class InvocationError(Exception):
    """An event the function did not answer; the message says why, as Lambda's logs would."""


class HandlerFailedError(InvocationError):
    """The handler raised, or its module failed to import (Lambda's Runtime.ImportModuleError)."""

    def __init__(self, error_type: str, message: str, trace: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.trace = trace


class FunctionTimedOutError(InvocationError):
    """The event ran past the function's Timeout: its environment was killed and will be replaced."""


class EnvironmentDiedError(InvocationError):
    """The environment's process ended in the middle of the event (Runtime.ExitError)."""


class NotStartedInTimeError(InvocationError):
    """No environment was free before the caller stopped waiting: the event was never run."""


class CallerStoppedWaitingError(InvocationError):
    """The caller's deadline (API Gateway's 29 s) passed while the event ran; it goes on in its
    environment until its own Timeout, as in Lambda, and its answer is dropped."""


def _serve(connection: Connection, settings: FunctionSettings, environment: dict[str, str]) -> None:
    """An execution environment's life, in its own process: init once, then one event at a time."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.environ.clear()
    os.environ.update(environment)
    started = time.monotonic()
    try:
        module_name, _, attribute = settings.handler.rpartition(".")
        if not module_name:
            raise ValueError(f"a handler string is module.function, not {settings.handler!r}")
        handler = getattr(importlib.import_module(module_name), attribute)
        if not callable(handler):
            raise TypeError(f"{settings.handler} is not callable")
    except BaseException as error:
        connection.send(("init_error", type(error).__name__, str(error), traceback.format_exc()))
        return
    connection.send(("ready", time.monotonic() - started))
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        event, request_id = message
        try:
            reply: tuple[Any, ...] = ("ok", handler(event, LambdaContext(settings, request_id)))
        except Exception as error:
            reply = ("error", type(error).__name__, str(error), traceback.format_exc())
        try:
            connection.send(reply)
        except (BrokenPipeError, EOFError, OSError):
            return
        except Exception as error:  # an answer that does not pickle: Lambda's "Runtime.MarshalError"
            connection.send(("error", "Runtime.MarshalError", str(error), ""))


class ExecutionEnvironment:
    """One environment's process, seen from the gateway."""

    def __init__(
        self, settings: FunctionSettings, environment: dict[str, str], context: SpawnContext
    ) -> None:
        self.settings = settings
        ours, theirs = context.Pipe()
        self.process: SpawnProcess = context.Process(
            target=_serve,
            args=(theirs, settings, environment),
            name=f"{settings.function_name}-env",
            daemon=True,
        )
        self.process.start()
        theirs.close()
        self.connection = ours
        self.init_seconds = 0.0

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def _receive(self, until: float | None) -> tuple[Any, ...] | None:
        """The environment's next message, or None when `until` (a monotonic time) passes first."""
        try:
            if not self.connection.poll(None if until is None else max(0.0, until - time.monotonic())):
                return None
            message: tuple[Any, ...] = self.connection.recv()
        except (EOFError, OSError):
            raise EnvironmentDiedError(
                f"the environment of {self.settings.function_name} ended (exit code {self._exit_code()})"
            ) from None
        return message

    def _exit_code(self) -> int | None:
        self.process.join(timeout=1)
        return self.process.exitcode

    def wait_ready(self, until: float | None) -> None:
        message = self._receive(until)
        if message is None:
            raise NotStartedInTimeError(f"{self.settings.function_name}'s init did not end in time")
        if message[0] == "init_error":
            _, error_type, text, trace = message
            raise HandlerFailedError(f"Runtime.ImportModuleError ({error_type})", text, trace)
        self.init_seconds = float(message[1])

    def send(self, event: dict[str, Any], request_id: str) -> None:
        try:
            self.connection.send((event, request_id))
        except (BrokenPipeError, EOFError, OSError):
            raise EnvironmentDiedError(f"the environment of {self.settings.function_name} is gone") from None

    def answer(self, until: float | None) -> tuple[Any, ...] | None:
        return self._receive(until)

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=STOP_GRACE_SECONDS)
        self.connection.close()

    def close(self) -> None:
        """Ask the environment to end after the event in hand, then make sure it did."""
        with contextlib.suppress(BrokenPipeError, EOFError, OSError):
            self.connection.send(None)
        self.process.join(timeout=STOP_GRACE_SECONDS)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=STOP_GRACE_SECONDS)
        self.connection.close()


class LocalFunction:
    """A function's execution environments: `invoke` hands an event to a free one, starting one when
    none is free and fewer than `concurrency` exist."""

    def __init__(
        self,
        settings: FunctionSettings,
        *,
        environment: Mapping[str, str] | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.settings = settings
        self.concurrency = max(1, min(concurrency, MAX_CONCURRENCY))
        self.environment = dict(os.environ if environment is None else environment)
        self.cold_starts = 0
        self._context = multiprocessing.get_context("spawn")
        self._changed = threading.Condition()
        self._idle: list[ExecutionEnvironment] = []
        self._busy: set[ExecutionEnvironment] = set()
        self._starting = 0
        self._closed = False

    def environment_pids(self) -> list[int]:
        with self._changed:
            return [pid for pid in (e.pid for e in [*self._idle, *self._busy]) if pid is not None]

    def invoke(
        self, event: dict[str, Any], request_id: str | None = None, *, answer_by: float | None = None
    ) -> Any:
        """The handler's answer to `event`. `answer_by` is the monotonic time after which the caller no
        longer waits (None: as long as the function's Timeout allows). Raises an InvocationError."""
        environment = self._take(answer_by)
        try:
            environment.send(event, request_id or str(uuid.uuid4()))
        except EnvironmentDiedError:
            self._drop(environment)
            raise
        times_out_at = time.monotonic() + self.settings.timeout_seconds
        caller_first = answer_by is not None and answer_by < times_out_at
        try:
            reply = environment.answer(answer_by if caller_first else times_out_at)
        except EnvironmentDiedError:
            self._drop(environment)
            raise
        if reply is None and caller_first:
            threading.Thread(
                target=self._finish_unwatched,
                args=(environment, times_out_at),
                name="lambda-late",
                daemon=True,
            ).start()
            raise CallerStoppedWaitingError(
                f"{self.settings.function_name} was still running when its caller stopped waiting"
            )
        if reply is None:
            self._drop(environment, kill=True)
            raise FunctionTimedOutError(f"Task timed out after {self.settings.timeout_seconds:.2f} seconds")
        self._give_back(environment)
        if reply[0] == "ok":
            return reply[1]
        _, error_type, text, trace = reply
        raise HandlerFailedError(error_type, text, trace)

    def prewarm(self) -> None:
        """Start one environment now, as provisioned concurrency would, so the first event finds it warm."""
        try:
            self._give_back(self._take(None))
        except InvocationError as error:
            log.warning("%s cannot start yet (%s); each event will try again", self.settings.handler, error)

    def _take(self, answer_by: float | None) -> ExecutionEnvironment:
        with self._changed:
            while True:
                if self._closed:
                    raise NotStartedInTimeError(f"{self.settings.function_name} is stopping")
                if self._idle:
                    environment = self._idle.pop()  # the most recently used: the warmest
                    self._busy.add(environment)
                    return environment
                if len(self._busy) + self._starting < self.concurrency:
                    self._starting += 1
                    break
                remaining = None if answer_by is None else answer_by - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise NotStartedInTimeError(
                        f"all {self.concurrency} environments of {self.settings.function_name} stayed busy"
                    )
                self._changed.wait(remaining)
        try:
            environment = ExecutionEnvironment(self.settings, self.environment, self._context)
            try:
                environment.wait_ready(answer_by)
            except BaseException:
                environment.kill()
                raise
        except BaseException:
            with self._changed:
                self._starting -= 1
                self._changed.notify_all()
            raise
        with self._changed:
            self._starting -= 1
            self._busy.add(environment)
            self.cold_starts += 1
        log.info(
            "%s: a new environment (pid %s), init %.0f ms",
            self.settings.function_name,
            environment.pid,
            environment.init_seconds * 1000,
        )
        return environment

    def _finish_unwatched(self, environment: ExecutionEnvironment, times_out_at: float) -> None:
        try:
            reply = environment.answer(times_out_at)
        except EnvironmentDiedError:
            self._drop(environment)
            return
        if reply is None:
            log.error(
                "%s: Task timed out after %.2f seconds",
                self.settings.function_name,
                self.settings.timeout_seconds,
            )
            self._drop(environment, kill=True)
        else:
            self._give_back(environment)

    def _give_back(self, environment: ExecutionEnvironment) -> None:
        with self._changed:
            self._busy.discard(environment)
            closed = self._closed
            if not closed:
                self._idle.append(environment)
            self._changed.notify_all()
        if closed:
            environment.close()

    def _drop(self, environment: ExecutionEnvironment, *, kill: bool = False) -> None:
        if kill:
            environment.kill()
        else:
            environment.close()
        with self._changed:
            self._busy.discard(environment)
            self._changed.notify_all()

    def close(self, wait_seconds: float = 30.0) -> None:
        """Take no more events, let those in progress finish (for a while), and end every environment."""
        with self._changed:
            self._closed = True
            idle, self._idle = self._idle, []
            self._changed.notify_all()
        for environment in idle:
            environment.close()
        with self._changed:
            self._changed.wait_for(lambda: not self._busy and not self._starting, wait_seconds)
            left = list(self._busy)
        for environment in left:
            environment.kill()
