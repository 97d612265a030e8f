"""What hassfest checks in the files it reads (it does not run offline; HACS: test_hacs.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "custom_components" / "twilio_bridge"


def test_manifest_keys_and_pins() -> None:
    manifest = json.loads((PACKAGE / "manifest.json").read_text("utf-8"))
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])  # hassfest: domain, name, then alphabetical
    assert manifest["domain"] == PACKAGE.name
    assert manifest["iot_class"] == "cloud_push"
    assert manifest["dependencies"] == ["http"]
    for key in ("codeowners", "documentation", "issue_tracker", "version", "integration_type"):
        assert manifest[key], key
    assert all(re.fullmatch(r"[\w.-]+==[\w.]+", r) for r in manifest["requirements"])
    assert "twilio==9.13.0" in manifest["requirements"]
    assert not any(r.startswith("voluptuous") for r in manifest["requirements"])
    # The runtime pins must be what the tests ran with, on the oldest and the newest tree.
    for lock in ("requirements_test.txt", "requirements_test_newest.txt"):
        locked = {line.lower() for line in (ROOT / lock).read_text("utf-8").split()}
        assert {r.lower() for r in manifest["requirements"]} <= locked, lock


def test_icons_are_mdi() -> None:
    icons = json.loads((PACKAGE / "icons.json").read_text("utf-8"))

    def values(tree: object) -> list[str]:
        if isinstance(tree, dict):
            return [v for item in tree.values() for v in values(item)]
        return [str(tree)]

    assert values(icons)
    assert all(icon.startswith("mdi:") for icon in values(icons))
    services = set(json.loads((PACKAGE / "translations" / "en.json").read_text())["services"])
    assert set(icons["services"]) == services
