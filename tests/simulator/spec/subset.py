"""Cut Twilio's v2010 OpenAPI spec down to the operations the simulator implements.

    python -m tests.simulator.spec.subset path/to/twilio_api_v2010.json

writes tests/simulator/spec/twilio_api_v2010_subset.json: the listed paths, unchanged, with
every component they reference (transitively) and nothing else. Run on the subset itself it
gives the same file back, which the tests check.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SUBSET_PATH = Path(__file__).with_name("twilio_api_v2010_subset.json")

# Every REST path the simulator serves under /2010-04-01 (see simulator/server.py).
PATHS = (
    "/2010-04-01/Accounts/{AccountSid}/Calls.json",
    "/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json",
    "/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Notifications.json",
    "/2010-04-01/Accounts/{AccountSid}/Conferences.json",
    "/2010-04-01/Accounts/{AccountSid}/Conferences/{Sid}.json",
    "/2010-04-01/Accounts/{AccountSid}/Conferences/{ConferenceSid}/Participants.json",
    "/2010-04-01/Accounts/{AccountSid}/Conferences/{ConferenceSid}/Participants/{CallSid}.json",
    "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json",
    "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json",
)

# Apache-2.0 §4(b): a modified file says that it was changed.
NOTICE = (
    "A subset of spec/json/twilio_api_v2010.json from github.com/twilio/twilio-oai "
    "(Apache-2.0), cut by tests/simulator/spec/subset.py: only the paths the simulator "
    "implements and the components they reference; nothing else was changed."
)


def _refs(node: Any) -> set[str]:
    """Every local $ref under node."""
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return {ref for item in node for ref in _refs(item)}
    return set()


def _component(ref: str) -> tuple[str, str]:
    """("schemas", "name") for "#/components/schemas/name"."""
    parts = ref.split("/")
    if len(parts) != 4 or parts[:2] != ["#", "components"]:
        raise ValueError(f"not a local component $ref: {ref}")
    return parts[2], parts[3]


def subset(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with only PATHS and the components they need (raises on a dangling $ref)."""
    paths = {path: spec["paths"][path] for path in PATHS}
    components: dict[str, dict[str, Any]] = {
        "securitySchemes": spec["components"]["securitySchemes"]
    }
    pending = sorted(_refs(paths))
    while pending:
        kind, name = _component(pending.pop())
        if name in components.setdefault(kind, {}):
            continue
        target = spec["components"][kind][name]
        components[kind][name] = target
        pending.extend(sorted(_refs(target)))
    tags = {tag for item in paths.values() for op in item.values() for tag in _tags(op)}
    return {
        "openapi": spec["openapi"],
        "info": {**spec["info"], "x-twilio-bridge-subset": NOTICE},
        "servers": spec["servers"],
        "security": spec["security"],
        "tags": [tag for tag in spec["tags"] if tag["name"] in tags],
        "paths": paths,
        "components": {kind: dict(sorted(found.items())) for kind, found in components.items()},
    }


def _tags(operation: Any) -> list[str]:
    return list(operation.get("tags", ())) if isinstance(operation, dict) else []


def dump(spec: dict[str, Any]) -> str:
    return json.dumps(spec, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    full = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    SUBSET_PATH.write_text(dump(subset(full)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
