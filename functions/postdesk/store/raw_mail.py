"""The raw messages SES keeps: the receipt rule's S3 action writes each under the rule's prefix and
the SES message id, before the inbound function runs, and nothing here ever deletes one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import ClientError

from postdesk.aws import AWS_TIMEOUTS

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MB = 1024 * 1024


class RawMailMissing(Exception):
    """No raw message under the key: the receipt rule's S3 action did not run, or wrote elsewhere."""


class RawMailTooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes")
        self.size = size


class RawMailStore:
    def __init__(self, bucket: str, prefix: str, client: S3Client | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self._client = client or boto3.client("s3", config=AWS_TIMEOUTS)

    def key(self, message_id: str) -> str:
        return f"{self.prefix}{message_id}"

    def read(self, message_id: str, max_bytes: int) -> bytes:
        """The raw message, unless it is over `max_bytes` (RawMailTooLarge, read no further)."""
        try:
            answer = self._client.get_object(Bucket=self.bucket, Key=self.key(message_id))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise RawMailMissing(self.key(message_id)) from None
            raise
        body = answer["Body"]
        try:
            if answer.get("ContentLength", 0) > max_bytes:
                raise RawMailTooLarge(answer["ContentLength"])
            return body.read()
        finally:
            body.close()

    def put(self, message_id: str, raw: bytes) -> str:
        """What SES's S3 action does (the local stack plays it); answers the key."""
        key = self.key(message_id)
        self._client.put_object(Bucket=self.bucket, Key=key, Body=raw, ContentType="message/rfc822")
        return key
