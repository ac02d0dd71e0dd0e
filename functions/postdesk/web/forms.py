"""Reading what a browser or a script posts: multipart form data, urlencoded forms and JSON.

The multipart parser is the standard library's email package (the same MIME grammar), so a malformed
body is a clear 400, not a crash."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qsl

from postdesk.domain.proposal import ImageUpload
from postdesk.errors import BadRequest, FieldError, InvalidProposal, UnsupportedMediaType


@dataclass
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


@dataclass
class PostedForm:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse_json_object(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except UnicodeDecodeError:
        raise BadRequest("body: is not UTF-8 text", "body_not_utf8") from None
    except json.JSONDecodeError as error:
        raise BadRequest(
            f"body: malformed JSON ({error.msg} at line {error.lineno} column {error.colno})",
            "malformed_json",
            detail=error.msg,
            line=error.lineno,
            column=error.colno,
        ) from None
    if not isinstance(document, dict):
        raise BadRequest("body: must be a JSON object", "not_an_object")
    return document


def parse_form(body: bytes, content_type: str) -> PostedForm:
    kind = media_type(content_type)
    if kind == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            raise BadRequest("body: is not UTF-8 text", "body_not_utf8") from None
        return PostedForm(fields=dict(pairs))
    if kind != "multipart/form-data":
        raise UnsupportedMediaType(
            "Content-Type: send application/json, multipart/form-data or application/x-www-form-urlencoded",
            "unsupported_type",
        )
    if "boundary=" not in content_type:
        raise BadRequest("Content-Type: multipart/form-data needs a boundary", "no_boundary")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=policy.default).parsebytes(head + body)
    if not message.is_multipart() or message.defects:
        raise BadRequest("body: malformed multipart/form-data", "malformed_multipart")
    form = PostedForm()
    for part in message.iter_parts():
        if not isinstance(part, EmailMessage):
            continue
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            if data:  # an empty file input posts an empty part: nothing was attached
                form.files[name] = UploadedFile(filename, part.get_content_type(), data)
            continue
        charset = part.get_content_charset() or "utf-8"
        try:
            form.fields[name] = data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            raise BadRequest(f"{name}: is not UTF-8 text", "field_not_utf8", field=name) from None
    return form


def json_images(value: object) -> list[ImageUpload]:
    """JSON images: [{"content_type", "data" (base64), "alt"}]."""
    if value is None:
        return []
    problems: list[FieldError] = []
    if not isinstance(value, list):
        raise InvalidProposal([FieldError("images", "must be a list", "not_list")])
    images: list[ImageUpload] = []
    for index, item in enumerate(value):
        field = f"images[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("data"), str):
            problems.append(FieldError(field, "must be an object with base64 data, content_type and alt"))
            continue
        try:
            data = base64.b64decode(item["data"], validate=True)
        except ValueError:
            problems.append(FieldError(f"{field}.data", "is not base64"))
            continue
        images.append(
            ImageUpload(
                data=data,
                content_type=str(item.get("content_type", "")),
                alt=str(item.get("alt") or ""),
                field=field,
                alt_field=f"{field}.alt",
            )
        )
    if problems:
        raise InvalidProposal(problems)
    return images
