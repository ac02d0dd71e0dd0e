"""Proposal images in S3. They are tagged unconfirmed on upload, so that the bucket's lifecycle rule
removes the images of proposals nobody ever confirmed; confirming a proposal flips the tag."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3

from postdesk.aws import AWS_TIMEOUTS

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CONFIRMED_TAG = "postdesk-confirmed"


class MediaStore:
    def __init__(self, bucket: str, client: S3Client | None = None) -> None:
        self._bucket = bucket
        self._client = client or boto3.client("s3", config=AWS_TIMEOUTS)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._client.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            Tagging=f"{CONFIRMED_TAG}=false",
        )

    def mark_confirmed(self, keys: list[str]) -> None:
        for key in keys:
            self._client.put_object_tagging(
                Bucket=self._bucket,
                Key=key,
                Tagging={"TagSet": [{"Key": CONFIRMED_TAG, "Value": "true"}]},
            )

    def read(self, key: str) -> bytes:
        return self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()

    def url(self, key: str, seconds: int = 3600) -> str:
        """A short-lived address for showing the image to someone holding a valid link."""
        return self._client.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=seconds
        )
