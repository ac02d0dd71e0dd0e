"""The whole local stack, started and stopped as one: moto, the functions (each in execution environments
of their own, see lambda_function), the gateway and its console. `postdesk local` and the tests use it
the same way."""

from __future__ import annotations

import ipaddress
import os
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from postdesk_tools.local_stack.aws import LOG_FILE, RECORDING_FILE, LocalAws, provide_approvers_parameter
from postdesk_tools.local_stack.console import PREFIX, Console
from postdesk_tools.local_stack.console_links import signing_keys_reader
from postdesk_tools.local_stack.console_pages import OUTBOX, add_console_pages
from postdesk_tools.local_stack.descriptor import (
    add_descriptor_page,
    describe,
    remove_descriptor,
    write_descriptor,
)
from postdesk_tools.local_stack.digest_console import DIGEST_FUNCTION, add_digest_console
from postdesk_tools.local_stack.environment import (
    DUMMY_CREDENTIALS,
    LOCAL_TIMELINE_FILE,
    REAL_CREDENTIAL_NAMES,
    apply_environment,
    handler_environment,
)
from postdesk_tools.local_stack.gateway import Gateway
from postdesk_tools.local_stack.inbound_mail import INBOUND_FUNCTION, LocalInboundMail, start_inbound_mail
from postdesk_tools.local_stack.lambda_function import (
    API_FUNCTION,
    DEFAULT_CONCURRENCY,
    FunctionSettings,
    LocalFunction,
)
from postdesk_tools.local_stack.moto_process import DEFAULT_SNAPSHOT_EVERY_WRITES, SNAPSHOT_FILE
from postdesk_tools.local_stack.publish_console import PUBLISH_FUNCTION, add_publish_console
from postdesk_tools.local_stack.template_resources import LocalNames, binary_media_types, load_template

if TYPE_CHECKING:
    from types import TracebackType


class ConsoleExposureError(ValueError):
    """The gateway was asked to listen beyond this machine without saying that the console may be seen."""


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine only (127.0.0.0/8, ::1, localhost); a name may resolve anywhere."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, expose_console: bool) -> None:
    """Refuse a gateway beyond loopback unless the console's exposure is asked for in so many words."""
    if not is_loopback(host) and not expose_console:
        raise ConsoleExposureError(
            f"--host {host} would put the dev console (/_local/) on the network: it shows every mail sent, "
            "with every approver's signed links, so whoever reaches it can approve or reject in their "
            "place. Add --expose-console to listen there anyway (every console page then says so), or "
            "leave --host out to stay on 127.0.0.1."
        )


class LocalStack:
    def __init__(
        self,
        *,
        state_dir: Path = Path(".local"),
        host: str = "127.0.0.1",
        port: int = 8080,
        aws_port: int = 4566,
        reset: bool = False,
        handler: str | None = None,
        template_path: Path | None = None,
        warm: bool = True,
        smtp_port: int | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        snapshot_every: int = DEFAULT_SNAPSHOT_EVERY_WRITES,
        expose_console: bool = False,
    ) -> None:
        check_exposure(host, expose_console)
        self.expose_console = expose_console
        self.state_dir = state_dir
        self.host = host
        self.port = port
        self.reset = reset
        self.handler = handler
        self.template_path = template_path
        self.warm = warm
        self.smtp_port = smtp_port  # None: no SMTP port (POST /_local/inbound still takes mail)
        self.concurrency = concurrency  # execution environments at once, per function
        self.inbound: LocalInboundMail | None = None
        self.aws = LocalAws(state_dir, port=aws_port, snapshot_every=snapshot_every)
        self.console = self._new_console()
        self.gateway: Gateway | None = None
        self.functions: dict[str, LocalFunction] = {}
        self.environment: dict[str, str] = {}
        self.created_resources = False
        self.ready_seconds = 0.0
        self._saved_environment: dict[str, str | None] = {}

    @property
    def url(self) -> str:
        if self.gateway is None:
            raise RuntimeError("the local stack is not started")
        return self.gateway.url

    @property
    def console_url(self) -> str:
        return f"{self.url}{PREFIX}"

    @property
    def outbox_url(self) -> str:
        return f"{self.url}{OUTBOX}"

    def _new_console(self) -> Console:
        return Console(exposed_at=self.host if self.expose_console else None)

    def reset_state(self) -> None:
        """Forget the recorded AWS state and the local timeline; only the stack's own files are removed."""
        for name in (RECORDING_FILE, SNAPSHOT_FILE, LOG_FILE, LOCAL_TIMELINE_FILE):
            (self.state_dir / name).unlink(missing_ok=True)

    def start(self) -> LocalStack:
        started = time.monotonic()
        self.console = self._new_console()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if self.reset:
            self.reset_state()
        template = load_template(self.template_path)
        self.functions = {
            logical_id: LocalFunction(
                FunctionSettings.from_template(template, logical_id),
                environment={},
                concurrency=self.concurrency,
            )
            for logical_id in (API_FUNCTION, PUBLISH_FUNCTION, DIGEST_FUNCTION, INBOUND_FUNCTION)
            if logical_id in template.get("Resources", {}) or logical_id == API_FUNCTION
        }
        api = self.functions[API_FUNCTION]
        if self.handler:
            api.settings = replace(api.settings, handler=self.handler)
        endpoint = self.aws.start()
        try:
            self.gateway = Gateway(
                api,
                self.console,
                binary_media_types=binary_media_types(template),
                host=self.host,
                port=self.port,
            )
            if self.expose_console:
                self.console.exposed_at = f"{self.host}:{self.gateway.url.rpartition(':')[2]}"
            defaults = handler_environment(aws_endpoint=endpoint, state_dir=self.state_dir)
            self._save_environment([*defaults, *DUMMY_CREDENTIALS, *REAL_CREDENTIAL_NAMES])
            approvers_set_by_hand = "APPROVERS" in os.environ
            self.environment = apply_environment(defaults)
            for function in self.functions.values():  # what each environment starts with: as set now
                function.environment = dict(os.environ)
            names = LocalNames(
                table_name=self.environment["TABLE_NAME"],
                media_bucket=self.environment["MEDIA_BUCKET"],
                signing_keys_secret=self.environment["SIGNING_KEYS_SECRET"],
            )
            self.created_resources = self.aws.provision(template, names, self.environment["SENDER_ADDRESS"])
            self.aws.publish_base_url(self.environment["PUBLIC_BASE_URL_PARAMETER"], self.gateway.url)
            provide_approvers_parameter(
                self.aws.client("ssm"),
                self.environment["APPROVERS_PARAMETER"],
                self.environment["APPROVERS"],
                overwrite=approvers_set_by_hand,
            )
            add_console_pages(
                self.console,
                aws_endpoint=endpoint,
                table_name=names.table_name,
                signing_keys=signing_keys_reader(
                    self.aws.client("secretsmanager"), names.signing_keys_secret
                ),
                time_zone=self.environment["TIME_ZONE"],
                approvers=[a.strip() for a in self.environment["APPROVERS"].split(",") if a.strip()],
            )
            if PUBLISH_FUNCTION in self.functions:
                add_publish_console(
                    self.console, function=self.functions[PUBLISH_FUNCTION], environment=self.environment
                )
            if DIGEST_FUNCTION in self.functions:
                add_digest_console(self.console, function=self.functions[DIGEST_FUNCTION])
            if INBOUND_FUNCTION in self.functions:
                self.inbound = start_inbound_mail(self, template, self.functions[INBOUND_FUNCTION])
            descriptor = describe(url=self.gateway.url, aws_endpoint=endpoint, environment=self.environment)
            add_descriptor_page(self.console, descriptor)
            self.gateway.start()
            write_descriptor(self.state_dir, descriptor)
        except BaseException:
            self.stop()
            raise
        self.ready_seconds = time.monotonic() - started
        if self.warm:
            threading.Thread(target=api.prewarm, name="api-prewarm", daemon=True).start()
        return self

    def stop(self) -> None:
        """The gateway first, so that no request reaches a stopped moto; then the functions' environments
        (the events in progress finish); then moto; then this process's environment."""
        remove_descriptor(self.state_dir)
        if self.inbound is not None:  # no more mail in
            self.inbound.stop()
            self.inbound = None
        if self.gateway is not None:
            self.gateway.stop()
            self.gateway = None
        closing = [
            threading.Thread(target=function.close, name=f"close-{name}")
            for name, function in self.functions.items()
        ]
        for thread in closing:
            thread.start()
        for thread in closing:
            thread.join()
        self.functions = {}
        self.aws.stop()
        self._restore_environment()

    def _save_environment(self, names: list[str]) -> None:
        self._saved_environment = {name: os.environ.get(name) for name in names}

    def _restore_environment(self) -> None:
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_environment = {}

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
