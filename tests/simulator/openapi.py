"""Check REST responses against Twilio's v2010 OpenAPI spec with openapi-schema-validator.

The schemas are validated by the library (its OpenAPI 3.0 validator, jsonschema underneath),
against the vendored subset of the spec (spec/README.md). Twilio's real resources are stricter
than the spec says, so the schemas are tightened before use, never edited in the file:
every declared property is required (Twilio sends null when it knows no value) and no other
property is allowed (`additionalProperties: false` wherever the spec lists properties and is
silent). List pages are objects like any other, so they too carry exactly one records key
plus the meta keys. Error bodies are checked against Twilio's error schema below.
"""

from __future__ import annotations

import copy
import json
import re
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import FormatChecker, ValidationError
from jsonschema.exceptions import best_match
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry
from referencing.jsonschema import DRAFT4

SPEC_PATH = Path(__file__).with_name("spec") / "twilio_api_v2010_subset.json"
SPEC_URI = "urn:twilio:api-v2010"
METHODS = frozenset({"get", "post", "delete"})

# Twilio's error body (the spec does not describe it; reference §6.2). `type`/`title` would
# make twilio-python raise TwilioServiceException instead, so they are refused.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
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
NULLABLE_ENUMS = frozenset({"conference_enum_reason_conference_ended"})


def _null_in_nullable_enums(node: Any) -> None:
    """Let an inline enum marked nullable hold null. The validator reads OpenAPI 3.0.3
    strictly (null passes an enum only when listed), but Twilio means null: the spec's own
    example of a call notification has `request_method: null` beside `nullable: true`."""
    if isinstance(node, dict):
        enum = node.get("enum")
        if node.get("nullable") is True and isinstance(enum, list) and None not in enum:
            node["enum"] = [*enum, None]
        for value in node.values():
            _null_in_nullable_enums(value)
    elif isinstance(node, list):
        for item in node:
            _null_in_nullable_enums(item)


# Formats the checker does not check, and why; every other format in the responses is
# checked (a test holds the two lists against the spec, so a new format is not let through
# silently, as jsonschema would).
UNCHECKED_FORMATS = {
    "uri": "Twilio's uri properties are paths relative to the API host",
    "uri-map": "an object of such paths",
    "http-method": "the spec lists the methods in an enum beside it",
    "phone-number": "E.164, or a client: or sip: address",
    "phone-number-capabilities": "an object of booleans, typed by its schema",
}


class ConformanceError(AssertionError):
    """A response that does not match the spec; `keyword` names the schema rule it broke."""

    def __init__(self, message: str, keyword: str | None = None) -> None:
        super().__init__(message)
        self.keyword = keyword


def _rfc2822_utc(value: object) -> bool:
    """Twilio's dates: RFC 2822, always in UTC (`Tue, 31 Aug 2010 20:36:28 +0000`)."""
    if not isinstance(value, str):
        return True  # the type keyword reports wrong types
    return value.endswith(" +0000") and parsedate_to_datetime(value).utcoffset() is not None


def _iso_4217(value: object) -> bool:
    """Twilio's price_unit: an upper-case ISO 4217 code (`USD`, `JPY`)."""
    return not isinstance(value, str) or re.fullmatch(r"[A-Z]{3}", value) is not None


# The library's OpenAPI 3.0 formats (int32, int64, date-time, ...) plus Twilio's own.
FORMATS = FormatChecker(formats=())
FORMATS.checkers = dict(oas30_format_checker.checkers)
FORMATS.checks("date-time-rfc-2822", raises=(TypeError, ValueError))(_rfc2822_utc)
FORMATS.checks("currency")(_iso_4217)


@cache
def spec() -> dict[str, Any]:
    """The vendored spec, exactly as in the file, loaded once per test session."""
    data: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return data


def strict(schema: Any) -> Any:
    """A copy of schema in which every object requires all its properties and allows no other."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    tightened = {key: strict(value) for key, value in schema.items()}
    properties = schema.get("properties")
    if isinstance(properties, dict) and properties:
        tightened["required"] = sorted(set(schema.get("required", ())) | set(properties))
        tightened.setdefault("additionalProperties", False)
    return tightened


@cache
def _registry() -> Registry[Any]:
    document = strict(copy.deepcopy(spec()))
    _null_in_nullable_enums(document)
    for name in NULLABLE_ENUMS:
        enum = document["components"]["schemas"][name]
        enum["nullable"] = True
        enum["enum"] = [*enum["enum"], None]
    return Registry().with_resource(SPEC_URI, DRAFT4.create_resource(document))


def _validate(value: Any, schema: dict[str, Any], where: str) -> None:
    validator = OAS30Validator(schema, registry=_registry(), format_checker=FORMATS)
    error: ValidationError | None = best_match(validator.iter_errors(value))
    if error is not None:
        place = "".join(f"[{part!r}]" for part in error.absolute_path)
        raise ConformanceError(f"{where}{place}: {error.message}", keyword=str(error.validator))


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


@cache
def _operations() -> list[tuple[re.Pattern[str], str, str]]:
    found = []
    for template, item in spec()["paths"].items():
        regex = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
        found += [(regex, method, template) for method in item if method in METHODS]
    return found


def _template_for(method: str, path: str) -> str:
    for regex, op_method, template in _operations():
        if op_method == method.lower() and regex.match(path):
            return template
    raise ConformanceError(f"no operation in the spec for {method} {path}")


def operation_for(method: str, path: str) -> dict[str, Any]:
    """The spec's operation (as in the file) that serves `method path`."""
    operation: dict[str, Any] = spec()["paths"][_template_for(method, path)][method.lower()]
    return operation


def check_response(method: str, path: str, status: int, body: str) -> dict[str, Any] | None:
    """Validate one REST response against the spec; return the parsed JSON (None if no body).

    Error statuses must carry Twilio's error body; success statuses must be one the spec
    declares for the operation, with a body matching its schema.
    """
    template = _template_for(method, path)
    operation = operation_for(method, path)
    where = f"{operation['operationId']} {status}"
    if status >= 400:
        data = json.loads(body)
        _validate(data, strict(ERROR_SCHEMA), where)
        if data["status"] != status:
            raise ConformanceError(f"error body status {data['status']} != HTTP {status}")
        return dict(data)
    responses = operation["responses"]
    if str(status) not in responses:
        raise ConformanceError(f"{where}: the spec allows only {sorted(responses)}")
    if "content" not in responses[str(status)]:
        if body.strip():
            raise ConformanceError(f"{where}: must have no body")
        return None
    data = json.loads(body)
    response = _pointer("", "paths", template, method.lower(), "responses", str(status))
    _validate(data, {"$ref": f"{SPEC_URI}#{response}/content/application~1json/schema"}, where)
    return dict(data)
