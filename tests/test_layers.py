"""The layer rules, at run time: what importing core/ or simulator/ really loads.

Ruff refuses a banned import written in core/ or simulator/ (their ruff.toml files); this
catches one that arrives indirectly, through another module. Each check runs in a fresh
interpreter, so nothing the test session already imported can hide or fake a result.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "custom_components" / "twilio_bridge"

PROBE = """
import importlib, json, pkgutil, sys
package = importlib.import_module(sys.argv[1])
for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    if module.name.rsplit(".", 1)[-1] != "__main__":
        importlib.import_module(module.name)
print(json.dumps(sorted(sys.modules)))
"""


def loaded_modules(package: str, path: Path) -> set[str]:
    """Every module loaded by importing `package` and all its submodules from `path`."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, package],
        cwd=path,
        env={"PYTHONPATH": str(path), "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return set(json.loads(result.stdout))


def roots(modules: set[str]) -> set[str]:
    return {name.split(".", 1)[0] for name in modules}


def test_core_loads_neither_home_assistant_nor_aiohttp() -> None:
    # Loaded as a top-level package: as custom_components.twilio_bridge.core, Python would
    # first run the integration's __init__.py, which needs Home Assistant by design.
    modules = loaded_modules("core", PACKAGE)
    assert {"core.calls", "core.numbers", "core.pricing", "core.totals", "core.twiml"} <= modules
    leaked = roots(modules) & {"homeassistant", "aiohttp", "custom_components"}
    assert leaked == set()


def test_simulator_loads_neither_the_integration_nor_home_assistant() -> None:
    modules = loaded_modules("simulator", ROOT)
    assert {"simulator.server", "simulator.engine", "simulator.harness"} <= modules
    leaked = roots(modules) & {"homeassistant", "custom_components"}
    assert leaked == set()


RUFF = Path(sys.executable).with_name("ruff")


def ruff_findings(path: Path, source: str) -> list[str]:
    """What `ruff check` (as scripts/test runs it) says of `source` placed at `path`."""
    result = subprocess.run(
        [RUFF, "check", "--output-format", "json", "--stdin-filename", path, "-"],
        cwd=ROOT,
        input=source,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return [f"{item['code']} {item['message']}" for item in json.loads(result.stdout)]


@pytest.mark.parametrize(
    ("directory", "source"),
    [
        (PACKAGE / "core", "import homeassistant.core\n"),
        (PACKAGE / "core", "from aiohttp import web\n"),
        (PACKAGE / "core", "from ..const import DOMAIN\n"),
        (ROOT / "simulator", "from custom_components.twilio_bridge.core import numbers\n"),
        (ROOT / "simulator", "from homeassistant.const import Platform\n"),
    ],
)
def test_ruff_refuses_a_banned_import(directory: Path, source: str) -> None:
    findings = ruff_findings(directory / "probe.py", f"{source}\n__all__ = []\n")
    assert findings
    assert all(finding.startswith(("TID251", "TID252", "F401")) for finding in findings)
    assert any(finding.startswith(("TID251", "TID252")) for finding in findings)


def test_ruff_allows_the_layers_own_imports() -> None:
    assert not ruff_findings(
        PACKAGE / "core" / "probe.py", 'from .numbers import RateClass\n\n__all__ = ["RateClass"]\n'
    )
    assert not ruff_findings(
        ROOT / "simulator" / "probe.py", 'import aiohttp\n\n__all__ = ["aiohttp"]\n'
    )
    # Outside the layers the same imports are fine.
    assert not ruff_findings(
        PACKAGE / "probe.py", 'import homeassistant.core\n\n__all__ = ["homeassistant"]\n'
    )
