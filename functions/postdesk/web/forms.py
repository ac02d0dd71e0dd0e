"""Reading what a browser or a script posts: multipart form data, urlencoded forms and JSON.

The multipart parser is the standard library's email package (the same MIME grammar), so a malformed
body is a clear 400, not a crash. JSON is read within limits that no request of ours comes near: a
document nested deeper than MAX_JSON_DEPTH, or a number longer than MAX_NUMBER_LENGTH, is a 400 before
the parser could recurse out of stack or spend seconds converting digits; a string holding a lone
UTF-16 surrogate (which JSON can spell and nothing can store or mail) is a 422 naming its field."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qsl

from postdesk.domain.proposal import ImageUpload
from postdesk.domain.validation import field_error
from postdesk.errors import BadRequest, FieldError, InvalidProposal, UnsupportedMediaType

MAX_JSON_DEPTH = 32  # a proposal is 3 deep (the object, its images, an image)
MAX_NUMBER_LENGTH = 32  # characters of one JSON number: nothing we read needs more
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_JSON_BRACKET = re.compile(r"[\[\]{}]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class _NumberTooLong(ValueError):
    pass


class _NotJsonConstant(ValueError):
    pass


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


def _number(text: str) -> str:
    if len(text) > MAX_NUMBER_LENGTH:
        raise _NumberTooLong(text)
    return text


def _refuse_constant(name: str) -> None:
    raise _NotJsonConstant(name)


def _nesting_depth_exceeds(text: str, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than `limit` (stops counting once they do)."""
    depth = 0
    for bracket in _JSON_BRACKET.finditer(_JSON_STRING.sub("", text)):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > limit:
            return True
    return False


def _broken_strings(value: object, path: str) -> list[FieldError]:
    """A field error for each string (or key) under `path` holding a lone surrogate."""
    if isinstance(value, str):
        return [field_error(path or "body", "broken_characters")] if _SURROGATE.search(value) else []
    if isinstance(value, list):
        return [error for n, item in enumerate(value) for error in _broken_strings(item, f"{path}[{n}]")]
    if isinstance(value, dict):
        found: list[FieldError] = []
        for key, item in value.items():
            name = f"{path}.{key}" if path else key
            if _SURROGATE.search(key):
                found.append(field_error(path or "body", "broken_characters"))
            else:
                found += _broken_strings(item, name)
        return found
    return []


def parse_json_object(body: bytes) -> dict[str, Any]:
    try:
        text = body.decode(json.detect_encoding(body))
    except (UnicodeDecodeError, LookupError):
        raise BadRequest("body: is not UTF-8 text", "body_not_utf8") from None
    if _nesting_depth_exceeds(text, MAX_JSON_DEPTH):
        raise BadRequest(
            f"body: JSON nested deeper than {MAX_JSON_DEPTH} levels", "json_too_deep", max=MAX_JSON_DEPTH
        )
    try:
        document = json.loads(
            text.removeprefix("\ufeff"),
            parse_int=lambda digits: int(_number(digits)),
            parse_float=lambda digits: float(_number(digits)),
            parse_constant=_refuse_constant,
        )
    except json.JSONDecodeError as error:
        raise BadRequest(
            f"body: malformed JSON ({error.msg} at line {error.lineno} column {error.colno})",
            "malformed_json",
            detail=error.msg,
            line=error.lineno,
            column=error.colno,
        ) from None
    except _NumberTooLong:
        raise BadRequest(
            f"body: a number longer than {MAX_NUMBER_LENGTH} characters",
            "json_number_too_long",
            max=MAX_NUMBER_LENGTH,
        ) from None
    except _NotJsonConstant as constant:
        raise BadRequest(
            f"body: {constant} is not JSON (a number must be finite)", "json_not_finite", name=constant
        ) from None
    except RecursionError:  # the depth check above keeps the parser far from this; never a 500
        raise BadRequest(
            f"body: JSON nested deeper than {MAX_JSON_DEPTH} levels", "json_too_deep", max=MAX_JSON_DEPTH
        ) from None
    if not isinstance(document, dict):
        raise BadRequest("body: must be a JSON object", "not_an_object")
    broken = _broken_strings(document, "")
    if broken:
        raise InvalidProposal(broken)
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
        content_type, alt = item.get("content_type") or "", item.get("alt") or ""
        if not isinstance(content_type, str) or not isinstance(alt, str):
            problems += [
                field_error(f"{field}.{name}", "not_string")
                for name, value in (("content_type", content_type), ("alt", alt))
                if not isinstance(value, str)
            ]
            continue
        images.append(
            ImageUpload(
                data=data,
                content_type=content_type,
                alt=alt,
                field=field,
                alt_field=f"{field}.alt",
            )
        )
    if problems:
        raise InvalidProposal(problems)
    return images
