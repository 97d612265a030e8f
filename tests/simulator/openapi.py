"""A small OpenAPI 3.0 response checker for the Twilio v2010 spec (jsonschema is not installed).

It resolves `$ref` inside the spec and checks type, nullable, enum, required, pattern,
min/maxLength, and the RFC 2822 date format. Twilio always sends every property of a
resource (null when unknown), so `check_resource` also requires every declared property and
refuses undeclared ones; list pages must carry exactly one records key plus the meta keys.
"""

from __future__ import annotations

import json
import re
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path
from typing import Any

# The project's shared folder sits beside the checkout (as it does in CI's fresh clone).
SPEC_PATH = Path(__file__).resolve().parents[3] / "shared" / "reference" / "twilio_api_v2010.json"

# Twilio's error body (the spec does not describe it; reference §6.2).
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["code", "message", "more_info", "status"],
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string"},
        "more_info": {"type": "string", "pattern": r"^https://www\.twilio\.com/docs/errors/\d+$"},
        "status": {"type": "integer"},
    },
}


# Enum schemas are shared $refs that cannot carry "nullable", yet Twilio sends null for some
# of them: reason_conference_ended is null until the conference ends (its description says
# so, and the spec's own example fetchValidRegionInProgress has it null).
NULLABLE_REFS = frozenset({"#/components/schemas/conference_enum_reason_conference_ended"})


class ConformanceError(AssertionError):
    """A response body that does not match the spec."""


@cache
def spec() -> dict[str, Any]:
    """The spec, loaded once per test session."""
    data: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return data


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ConformanceError(f"external $ref not supported: {ref}")
        target: Any = spec()
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def validate(value: Any, schema: dict[str, Any], where: str = "$", *, strict: bool = False) -> None:
    """Raise ConformanceError where `value` breaks `schema`.

    strict: every declared property must be present and no other property is allowed
    (what Twilio's own resources look like).
    """
    if value is None and schema.get("$ref") in NULLABLE_REFS:
        return
    schema = resolve(schema)
    if value is None:
        if schema.get("nullable") or ("type" not in schema and "enum" not in schema):
            return
        raise ConformanceError(f"{where}: null but not nullable")
    kind = schema.get("type")
    if kind is None and "enum" in schema:
        kind = "string"
    if kind is not None:
        expected = _TYPES[kind]
        if not isinstance(value, expected) or (
            kind in {"integer", "number"} and isinstance(value, bool)
        ):
            raise ConformanceError(f"{where}: {value!r} is not of type {kind}")
    if "enum" in schema and value not in schema["enum"]:
        raise ConformanceError(f"{where}: {value!r} not one of {schema['enum']}")
    if isinstance(value, str):
        _check_string(value, schema, where)
    if isinstance(value, dict):
        _check_object(value, schema, where, strict=strict)
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            validate(item, schema["items"], f"{where}[{index}]", strict=strict)


def _check_string(value: str, schema: dict[str, Any], where: str) -> None:
    if "minLength" in schema and len(value) < schema["minLength"]:
        raise ConformanceError(f"{where}: {value!r} shorter than {schema['minLength']}")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        raise ConformanceError(f"{where}: {value!r} longer than {schema['maxLength']}")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        raise ConformanceError(f"{where}: {value!r} does not match {schema['pattern']}")
    if schema.get("format") == "date-time-rfc-2822":
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError) as err:
            raise ConformanceError(f"{where}: {value!r} is not an RFC 2822 date") from err
        if parsed.utcoffset() is None or not value.endswith("+0000"):
            raise ConformanceError(f"{where}: {value!r} is not in UTC (+0000)")


def _check_object(
    value: dict[str, Any], schema: dict[str, Any], where: str, *, strict: bool
) -> None:
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    if strict and properties:
        required |= set(properties)
        extra = set(value) - set(properties)
        if extra:
            raise ConformanceError(f"{where}: properties not in the spec: {sorted(extra)}")
    missing = required - set(value)
    if missing:
        raise ConformanceError(f"{where}: missing {sorted(missing)}")
    for name, sub in properties.items():
        if name in value:
            validate(value[name], sub, f"{where}.{name}", strict=strict)


@cache
def _operations() -> list[tuple[re.Pattern[str], str, dict[str, Any]]]:
    found = []
    for template, item in spec()["paths"].items():
        regex = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
        for method, operation in item.items():
            if method in {"get", "post", "put", "delete"}:
                found.append((regex, method.upper(), operation))
    return found


def operation_for(method: str, path: str) -> dict[str, Any]:
    for regex, op_method, operation in _operations():
        if op_method == method.upper() and regex.match(path):
            return operation
    raise ConformanceError(f"no operation in the spec for {method} {path}")


def check_response(method: str, path: str, status: int, body: str) -> dict[str, Any] | None:
    """Validate one REST response against the spec; return the parsed JSON (None if no body).

    Error statuses must carry Twilio's error body; success statuses must be one the spec
    declares for the operation, with a body matching its schema.
    """
    operation = operation_for(method, path)
    if status >= 400:
        data = json.loads(body)
        validate(data, ERROR_SCHEMA, f"{operation['operationId']} {status}", strict=True)
        if data["status"] != status:
            raise ConformanceError(f"error body status {data['status']} != HTTP {status}")
        return dict(data)
    responses = operation["responses"]
    if str(status) not in responses:
        raise ConformanceError(
            f"{operation['operationId']}: HTTP {status}, spec allows {sorted(responses)}"
        )
    content = responses[str(status)].get("content")
    if content is None:
        if body.strip():
            raise ConformanceError(f"{operation['operationId']}: {status} must have no body")
        return None
    schema = content["application/json"]["schema"]
    data = json.loads(body)
    validate(data, schema, operation["operationId"], strict=False)
    _check_resources(data, resolve(schema), operation["operationId"])
    return dict(data)


def _check_resources(data: dict[str, Any], schema: dict[str, Any], where: str) -> None:
    """Resources strictly (every property, nothing else); pages with one records key only."""
    properties = schema.get("properties", {})
    arrays = [name for name, sub in properties.items() if resolve(sub).get("type") == "array"]
    if schema.get("title", "").startswith("List") and arrays:
        extra = set(data) - set(properties)
        if extra:
            raise ConformanceError(f"{where}: unexpected page keys {sorted(extra)}")
        if set(properties) - set(data):
            raise ConformanceError(f"{where}: page misses {sorted(set(properties) - set(data))}")
        for name in arrays:
            for index, item in enumerate(data[name]):
                validate(
                    item,
                    resolve(properties[name])["items"],
                    f"{where}.{name}[{index}]",
                    strict=True,
                )
    else:
        validate(data, schema, where, strict=True)
