"""AWS for the local stack: moto's server on 127.0.0.1, its state kept in the state directory.

moto runs as a child process (see moto_process for why not a thread): the child restores the snapshot
and replays the recording kept in the state directory, then records every request that may change
state, so the state survives a restart of `make run`, and a crash. The template's resources are created
only when the restore did not bring them back, so an existing signing key, and the links signed with it,
stay valid."""

from __future__ import annotations

import json
import logging
import queue
import subprocess
import sys
import threading
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any, TextIO

import boto3
from botocore.exceptions import ClientError

from postdesk_tools.local_stack.environment import DUMMY_CREDENTIALS, REGION
from postdesk_tools.local_stack.moto_process import DEFAULT_SNAPSHOT_EVERY_WRITES
from postdesk_tools.local_stack.template_resources import LocalNames, create_resources

if TYPE_CHECKING:
    from pathlib import Path

    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_ses import SESClient
    from mypy_boto3_ssm import SSMClient

log = logging.getLogger("local_stack.aws")

RECORDING_FILE = "aws-recording.jsonl"
LOG_FILE = "moto.log"
# A clean stop writes a snapshot (a second or two for a large state); a full replay, after moto was
# upgraded, can take a while for a large recording.
STOP_GRACE_SECONDS = 30.0


class AwsStartError(RuntimeError):
    """moto's server could not start; the message says why and where its log is."""


class LocalAws:
    """moto's server for this process: `start()` answers its endpoint once the recorded state is back."""

    def __init__(
        self,
        state_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 4566,
        start_timeout: float = 120.0,
        snapshot_every: int = DEFAULT_SNAPSHOT_EVERY_WRITES,
    ) -> None:
        self.state_dir = state_dir
        self.host = host
        self.port = port
        self.start_timeout = start_timeout
        self.snapshot_every = snapshot_every
        self.endpoint = ""
        self.replay: dict[str, int] = {}
        self._process: subprocess.Popen[str] | None = None
        self._log: TextIO | None = None
        self._session = boto3.session.Session(
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=REGION,
        )

    @property
    def pid(self) -> int | None:
        """The moto child's process id while it runs."""
        return self._process.pid if self._process is not None else None

    @property
    def recording_path(self) -> Path:
        return self.state_dir / RECORDING_FILE

    @property
    def log_path(self) -> Path:
        return self.state_dir / LOG_FILE

    def start(self) -> str:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("w", encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "postdesk_tools.local_stack.moto_process",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--recording",
            str(self.recording_path),
            "--snapshot-every",
            str(self.snapshot_every),
        ]
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        ready = self._wait_until_listening(self._process)
        self.port = int(ready.pop("port"))
        self.replay = {key: int(value) for key, value in ready.items()}
        self.endpoint = f"http://{self.host}:{self.port}"
        return self.endpoint

    def _wait_until_listening(self, process: subprocess.Popen[str]) -> dict[str, Any]:
        lines: queue.Queue[str] = queue.Queue()
        stdout = process.stdout
        assert stdout is not None
        threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
        try:
            line = lines.get(timeout=self.start_timeout)
        except queue.Empty:
            self.stop()
            raise AwsStartError(
                f"moto's server did not start within {self.start_timeout:.0f} s; see {self.log_path}"
            ) from None
        if not line:
            process.wait()
            self.stop()
            raise AwsStartError(
                f"moto's server stopped at start (exit code {process.returncode}): {self._log_tail()}"
                f" (full log: {self.log_path})"
            )
        ready: dict[str, Any] = json.loads(line)
        return ready

    def _log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1] if lines else ""

    def stop(self) -> None:
        """Close the child's stdin, its signal to stop, then wait; terminate it only if it hangs."""
        process, self._process = self._process, None
        if process is not None:
            try:
                if process.stdin is not None:
                    process.stdin.close()
                process.wait(timeout=STOP_GRACE_SECONDS)
            except (OSError, subprocess.TimeoutExpired):
                process.terminate()
                try:
                    process.wait(timeout=STOP_GRACE_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            if process.stdout is not None:
                process.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def client(self, service: str) -> Any:
        """A boto3 client of the local moto, whatever the process environment says."""
        if not self.endpoint:
            raise AwsStartError("moto's server is not started")
        return self._session.client(service, endpoint_url=self.endpoint)  # type: ignore[call-overload]

    def provision(self, template: dict[str, Any], names: LocalNames, sender: str) -> bool:
        """Create the template's resources unless the replay brought them back; verify the sender.

        Answers whether anything was created."""
        dynamodb: DynamoDBClient = self.client("dynamodb")
        s3: S3Client = self.client("s3")
        secretsmanager: SecretsManagerClient = self.client("secretsmanager")
        present = (
            _table_exists(dynamodb, names.table_name)
            and _bucket_exists(s3, names.media_bucket)
            and _secret_exists(secretsmanager, names.signing_keys_secret)
        )
        if not present:
            create_resources(template, names, dynamodb=dynamodb, s3=s3, secretsmanager=secretsmanager)
        else:
            _without_stream(dynamodb, names.table_name)
        verify_sender(self.client("ses"), sender)
        return not present

    def publish_base_url(self, parameter: str, url: str) -> None:
        """Write the gateway's address where the handlers read the links' base URL, as the deployed
        stack writes its API's URL (the address changes with the port, so at every start)."""
        if parameter:
            ssm: SSMClient = self.client("ssm")
            ssm.put_parameter(Name=parameter, Value=url, Type="String", Overwrite=True)


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _table_exists(dynamodb: DynamoDBClient, name: str) -> bool:
    try:
        dynamodb.describe_table(TableName=name)
    except ClientError as error:
        if _code(error) == "ResourceNotFoundException":
            return False
        raise
    return True


def _without_stream(dynamodb: DynamoDBClient, name: str) -> None:
    """A table restored from an older state may still have the stream the template no longer declares
    (nothing consumed it, and moto's stream records kept every old item alive): turn it off."""
    table = dynamodb.describe_table(TableName=name)["Table"]
    if table.get("StreamSpecification", {}).get("StreamEnabled"):
        dynamodb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})


def _bucket_exists(s3: S3Client, name: str) -> bool:
    try:
        s3.head_bucket(Bucket=name)
    except ClientError as error:
        if _code(error) in ("404", "NoSuchBucket", "NotFound"):
            return False
        raise
    return True


def _secret_exists(secretsmanager: SecretsManagerClient, name: str) -> bool:
    try:
        secretsmanager.describe_secret(SecretId=name)
    except ClientError as error:
        if _code(error) == "ResourceNotFoundException":
            return False
        raise
    return True


def verify_sender(ses: SESClient, sender: str) -> None:
    """SES refuses to send from an address that is not verified; moto verifies at once."""
    address = parseaddr(sender)[1] or sender
    attributes = ses.get_identity_verification_attributes(Identities=[address])["VerificationAttributes"]
    verified = address in attributes and attributes[address]["VerificationStatus"] == "Success"
    if not verified:
        ses.verify_email_identity(EmailAddress=address)


def provide_approvers_parameter(ssm: SSMClient, name: str, approvers: str, *, overwrite: bool) -> None:
    """The approvers parameter, as the template creates it, from APPROVERS. Kept across restarts (what
    `postdesk approvers` changed stays), unless APPROVERS was set by hand for this start."""
    try:
        ssm.put_parameter(Name=name, Value=approvers, Type="String", Overwrite=overwrite)
    except ClientError as error:
        if _code(error) != "ParameterAlreadyExists":
            raise
