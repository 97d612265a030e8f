"""The HACS validation rules that can be checked without GitHub (hacs/action needs its API).

The rules are those of hacs/integration's validators (custom_components/hacs/validate/) and
its publishing docs (hacs.xyz/docs/publish/integration). The ones only GitHub can answer
(repository description, topics, issues enabled, not archived, the brands repository
fallback) are listed in README.md under "HACS".
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import struct
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import voluptuous as vol
from awesomeversion import AwesomeVersion
from homeassistant.helpers import config_validation as cv

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "custom_components" / "twilio_bridge"

# hacs.json: HACS refuses unknown keys (custom_components/hacs/utils/validate.py).
HACS_JSON = vol.Schema(
    {
        vol.Required("name"): str,
        vol.Optional("content_in_root"): bool,
        vol.Optional("country"): vol.Any(str, [str]),
        vol.Optional("filename"): str,
        vol.Optional("hacs"): str,
        vol.Optional("hide_default_branch"): bool,
        vol.Optional("homeassistant"): str,
        vol.Optional("persistent_directory"): str,
        vol.Optional("render_readme"): bool,
        vol.Optional("zip_release"): bool,
    }
)


def _version(value: object) -> AwesomeVersion:
    version = AwesomeVersion(str(value))
    if not version.valid:
        raise vol.Invalid(f"{value!r} is not a version")
    return version


# manifest.json: the keys HACS requires of a custom integration; others are hassfest's.
MANIFEST = vol.Schema(
    {
        vol.Required("codeowners"): vol.All(list, vol.Length(min=1), [vol.Match(r"^@[\w-]+$")]),
        vol.Required("documentation"): cv.url,
        vol.Required("domain"): str,
        vol.Required("issue_tracker"): cv.url,
        vol.Required("name"): str,
        vol.Required("version"): _version,
    },
    extra=vol.ALLOW_EXTRA,
)


def _json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def test_hacs_json_passes_hacs_schema() -> None:
    hacs = _json(ROOT / "hacs.json")
    HACS_JSON(hacs)
    assert not hacs.get("zip_release")  # would need `filename` and release assets
    assert not hacs.get("content_in_root")  # the integration lives in custom_components/
    # The minimum Home Assistant HACS enforces is the oldest one the tests run on.
    oldest = re.search(r"^homeassistant==([\d.]+)$", _lock_text(), re.MULTILINE)
    assert oldest is not None
    assert AwesomeVersion(str(hacs["homeassistant"])) == AwesomeVersion("2025.4.0")
    assert AwesomeVersion(oldest[1]) >= AwesomeVersion(str(hacs["homeassistant"]))


def _lock_text() -> str:
    return (ROOT / "requirements_test.txt").read_text("utf-8")


def test_manifest_passes_hacs_schema() -> None:
    manifest = _json(PACKAGE / "manifest.json")
    MANIFEST(manifest)
    assert manifest["domain"] == PACKAGE.name
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert manifest["version"] == project["version"]  # one version for the one release


def test_one_integration_in_custom_components() -> None:
    """HACS manages the first directory under custom_components/ (in Git's order) only."""
    tracked = subprocess.run(
        ["git", "ls-files", "custom_components"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    directories = sorted({path.split("/")[1] for path in tracked if path.count("/") >= 2})
    assert directories == [PACKAGE.name]
    assert "custom_components/twilio_bridge/manifest.json" in tracked
    assert "custom_components/twilio_bridge/brand/icon.png" in tracked


def _imports(path: Path) -> set[str]:
    """The top-level names of the absolute imports in one module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_everything_the_integration_imports_ships_with_it() -> None:
    """HACS copies only custom_components/twilio_bridge/: nothing else of this repository
    (the simulator, tests, demo) may be imported, and third-party code comes from Home
    Assistant or the manifest's requirements."""
    manifest = _json(PACKAGE / "manifest.json")
    requirements = {str(r).split("==")[0] for r in manifest["requirements"]}
    allowed = (
        set(sys.stdlib_module_names)
        | requirements
        | {
            "homeassistant",
            "voluptuous",  # Home Assistant's own dependencies
            "aiohttp",
            "multidict",  # aiohttp's own (the form a webhook's signature covers)
            "yarl",
            "custom_components",
        }
    )
    imported: dict[str, set[str]] = {}
    for module in PACKAGE.rglob("*.py"):
        for name in _imports(module):
            imported.setdefault(name, set()).add(str(module.relative_to(PACKAGE)))
    assert {"homeassistant", "twilio", "phonenumbers"} <= set(imported)
    assert set(imported) <= allowed, {name: imported[name] for name in set(imported) - allowed}
    own = {path.stem if path.is_file() else path.name for path in ROOT.iterdir()}
    assert not (set(imported) - {"custom_components"}) & own
    for module in PACKAGE.rglob("*.py"):
        text = module.read_text("utf-8")
        assert not re.search(r"custom_components\.(?!twilio_bridge)\w", text), module


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_brand_icons() -> None:
    """HACS's brands check: brand/icon.png inside the integration (Home Assistant >= 2026.3
    shows it), in the sizes Home Assistant's brand images use."""
    assert _png_size(PACKAGE / "brand" / "icon.png") == (256, 256)
    assert _png_size(PACKAGE / "brand" / "icon@2x.png") == (512, 512)


def test_readme_is_the_information_file() -> None:
    hacs = _json(ROOT / "hacs.json")
    assert hacs["render_readme"] is True
    readme = (ROOT / "README.md").read_text("utf-8")
    assert readme.startswith("# Twilio Bridge")


# The standard MIT text below the copyright line (whitespace collapsed): GitHub identifies the
# licence by its text, and HACS asks GitHub.
MIT_BODY_SHA256 = "fe2a9817987f862eaced948f0468c7f51d2fedfc48c5c505b246a49a3870e9a5"


def test_licence_is_mit() -> None:
    """HACS refuses a repository without an OSI-approved licence that GitHub can identify."""
    lines = (ROOT / "LICENSE").read_text("utf-8").splitlines()
    assert lines[0] == "MIT License"
    assert re.fullmatch(r"Copyright \(c\) 20\d\d twilio_bridge contributors", lines[2])
    body = " ".join(" ".join(lines[3:]).split())
    assert hashlib.sha256(body.encode()).hexdigest() == MIT_BODY_SHA256
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["license"] == "MIT"
