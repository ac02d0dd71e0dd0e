"""The API function run in this process as Lambda runs it: imported on first use by its handler string,
with a context object carrying the template's memory and timeout, and every event handled on one thread
of its own, one at a time: the execution environment.

One at a time because an execution environment never runs two events at once, and handler code relies
on it (Powertools' resolver keeps the current event on the app object). On one long-lived thread
because that is what Lambda's runtime does, and what is cached per thread depends on it: pynamodb keeps
its botocore session per thread, so a handler called on each request's own thread would build a new
client every time (a seventh of a second each) where Lambda builds one."""

from __future__ import annotations

import importlib
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from postdesk_tools.local_stack.environment import REGION
from postdesk_tools.local_stack.proxy_event import ACCOUNT_ID

if TYPE_CHECKING:
    from collections.abc import Callable

DEFAULT_HANDLER = "postdesk.handlers.api.lambda_handler"
API_FUNCTION = "ApiFunction"


@dataclass(frozen=True)
class FunctionSettings:
    handler: str = DEFAULT_HANDLER
    function_name: str = "postdesk-api"
    timeout_seconds: int = 3
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


class InProcessFunction:
    def __init__(self, settings: FunctionSettings) -> None:
        self.settings = settings
        self._handler: Callable[[dict[str, Any], Any], Any] | None = None
        self._environment = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lambda")

    def load(self) -> Callable[[dict[str, Any], Any], Any]:
        """Import the handler on the function's thread (the cold start); a failed import is tried again
        on the next event, as Lambda tries the init again."""
        return self._environment.submit(self._load).result()

    def _load(self) -> Callable[[dict[str, Any], Any], Any]:
        if self._handler is None:
            module_name, _, attribute = self.settings.handler.rpartition(".")
            if not module_name:
                raise ValueError(f"a handler string is module.function, not {self.settings.handler!r}")
            handler = getattr(importlib.import_module(module_name), attribute)
            if not callable(handler):
                raise TypeError(f"{self.settings.handler} is not callable")
            self._handler = handler
        return self._handler

    def invoke(self, event: dict[str, Any], request_id: str | None = None) -> Any:
        """The handler's answer to `event`; whatever it raises, the caller turns into Lambda's error."""
        return self._environment.submit(self._invoke, event, request_id).result()

    def _invoke(self, event: dict[str, Any], request_id: str | None) -> Any:
        return self._load()(event, LambdaContext(self.settings, request_id))

    def close(self) -> None:
        """Let the event in progress finish, and take no more."""
        self._environment.shutdown(wait=True, cancel_futures=True)
