"""What hassfest and HACS check in the files they read (neither runs offline)."""

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
    # The runtime pins must be what the tests ran with.
    locked = (ROOT / "requirements_test.txt").read_text("utf-8").split()
    assert set(manifest["requirements"]) <= set(locked)


def test_hacs_json() -> None:
    hacs = json.loads((ROOT / "hacs.json").read_text("utf-8"))
    allowed = {
        "name",
        "content_in_root",
        "country",
        "filename",
        "hacs",
        "hide_default_branch",
        "homeassistant",
        "persistent_directory",
        "render_readme",
        "zip_release",
    }
    assert set(hacs) <= allowed
    assert hacs["name"]
    assert hacs["homeassistant"] == "2025.4.0"
    assert (PACKAGE / "brand" / "icon.png").is_file()
    assert [
        p.name
        for p in (ROOT / "custom_components").iterdir()
        if p.is_dir() and not p.name.startswith("__")
    ] == ["twilio_bridge"]


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
