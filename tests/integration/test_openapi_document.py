"""The OpenAPI document says exactly what the JSON API takes and answers, so that a client (or a fuzzer)
can be generated from it: request bodies, each answer's model, the 429 and its Retry-After."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import Stack


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    reference = schema.get("$ref", "")
    return document["components"]["schemas"][reference.rsplit("/", 1)[1]] if reference else schema


def test_a_script_finds_what_to_send_and_what_comes_back_for_a_proposal(stack: Stack) -> None:
    # When a client generator reads /openapi.json
    document = stack.request("GET", "/openapi.json").json()
    propose = document["paths"]["/proposals"]["post"]

    # Then it finds the JSON body, the form and the urlencoded form, with their fields and an example
    bodies = propose["requestBody"]["content"]
    assert set(bodies) == {"application/json", "multipart/form-data", "application/x-www-form-urlencoded"}
    request = _resolve(document, bodies["application/json"]["schema"])
    assert set(request["required"]) == {"text", "kind", "proposer_email"}
    assert request["examples"][0]["kind"] == "prevention"
    assert _resolve(document, request["properties"]["kind"])["enum"][0] == "prevention"
    form = _resolve(document, bodies["multipart/form-data"]["schema"])
    assert form["properties"]["image_1"]["anyOf"][0]["format"] == "binary"

    # And the 201 is {id, status}, each refusal an error document, the 429 with Retry-After
    created = _resolve(document, propose["responses"]["201"]["content"]["application/json"]["schema"])
    assert created["type"] == "object" and set(created["required"]) == {"id", "status"}
    assert set(propose["responses"]) >= {"201", "303", "400", "409", "413", "415", "422", "429"}
    refused = _resolve(document, propose["responses"]["422"]["content"]["application/json"]["schema"])
    assert set(refused["required"]) == {"error", "reason", "message"}
    too_many = propose["responses"]["429"]
    assert "Retry-After" in too_many["headers"]
    assert {"retry_after", "retry_at"} <= set(
        _resolve(document, too_many["content"]["application/json"]["schema"])["required"]
    )


def test_a_script_finds_what_a_link_takes_and_answers(stack: Stack) -> None:
    document = stack.request("GET", "/openapi.json").json()
    link = document["paths"]["/l/{token}"]
    body = _resolve(document, link["post"]["requestBody"]["content"]["application/json"]["schema"])
    assert set(body["properties"]) == {"reason", "comment", "text", "url"}
    described = link["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(_resolve(document, described)["required"]) == {"action", "proposal"}
    done = link["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(_resolve(document, done)["required"]) == {"message", "proposal"}
    assert {"403", "404", "409", "422"} <= set(link["post"]["responses"])
