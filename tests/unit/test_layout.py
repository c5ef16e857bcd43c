"""The layout rules of design.md §8: a service never imports another service."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("discovery", "matcher", "configurator", "monitor")


def _imported_modules(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(), filename=str(source))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_service(service: str) -> None:
    others = {f"drsorch.{other}" for other in SERVICES if other != service}
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted((ROOT / "services" / service / "src").rglob("*.py"))
        for module in _imported_modules(path)
        if any(module == o or module.startswith(o + ".") for o in others)
    ]
    assert offenders == []


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_depends_on_contracts_and_runtime_only_among_drsorch_parts(service: str) -> None:
    project = tomllib.loads((ROOT / "services" / service / "pyproject.toml").read_text())
    drsorch_deps = {
        dep.split("[")[0].split("=")[0].split(">")[0].strip()
        for dep in project["project"]["dependencies"]
        if dep.startswith("drsorch-")
    }
    assert drsorch_deps <= {"drsorch-contracts", "drsorch-runtime"}
    assert project["project"]["name"] == f"drsorch-{service}"


def test_every_distribution_is_a_workspace_member() -> None:
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    members = set(root["tool"]["uv"]["workspace"]["members"])
    distributions = {
        str(p.parent.relative_to(ROOT)) for p in ROOT.glob("**/pyproject.toml") if p.parent != ROOT
    }
    distributions = {d for d in distributions if not d.startswith((".venv", "node_modules"))}
    assert distributions == members
