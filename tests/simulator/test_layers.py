"""The simulator's layers: the account model (calls, rooms, numbers, TwiML, billing) never
reaches the HTTP layer, whether aiohttp itself or the modules built on it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "simulator"
DOMAIN = [
    "billing",
    "clock",
    "conference",
    "engine",
    "errors",
    "forms",
    "listing",
    "models",
    "numbers",
    "resources",
    "scenario",
    "twiml",
]
HTTP = {"aiohttp", "yarl", "multidict"}


def _imports(module: str) -> set[str]:
    """What `module` imports: simulator modules by their short name, others by top level."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # from .engine import ..., from . import x
                found.update([node.module] if node.module else [a.name for a in node.names])
            elif node.module:
                found.add(node.module.split(".")[0])
    return found


def _reach(module: str) -> set[str]:
    """Everything `module` imports, directly or through other simulator modules."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        for name in _imports(todo.pop()):
            if name not in seen:
                seen.add(name)
                if (PACKAGE / f"{name}.py").exists():
                    todo.append(name)
    return seen


@pytest.mark.parametrize("module", DOMAIN)
def test_the_model_never_imports_http(module: str) -> None:
    reached = _reach(module)
    assert not reached & HTTP, f"simulator/{module}.py reaches {sorted(reached & HTTP)}"
    assert not reached & {"http", "server", "conference_routes", "webhooks", "harness"}


def test_the_check_sees_an_http_import() -> None:
    """The check itself: the routes do reach aiohttp."""
    assert "aiohttp" in _reach("conference_routes")
    assert "engine" in _reach("conference_routes")
