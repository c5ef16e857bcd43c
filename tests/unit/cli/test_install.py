"""`drsorch` installs as a tool without the local endpoint: no moto, no DRS emulator.

The CLI's distribution names `drsorch-local` only under its `local` extra. Proven three
ways: the locked dependency closure, the built wheel's metadata, and an install of the
CLI alone from the lock (offline, from uv's cache) whose command works and says how to
get `drsorch local`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
LOCAL_ONLY = {"moto", "drsorch-local", "flask", "werkzeug"}
UV = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))


def _closure(name: str, extras: tuple[str, ...] = ()) -> set[str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    packages: dict[str, dict[str, Any]] = {p["name"]: p for p in lock["package"]}
    found: set[str] = set()
    todo = [(name, extras)]
    while todo:
        current, wanted = todo.pop()
        if current in found and not wanted:
            continue
        found.add(current)
        package = packages[current]
        deps = list(package.get("dependencies", []))
        for extra in wanted:
            deps += package.get("optional-dependencies", {}).get(extra, [])
        todo += [(d["name"], tuple(d.get("extra", ()))) for d in deps]
    return found


def _uv(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    if not Path(UV).exists() and shutil.which("uv") is None:
        pytest.fail("uv is needed to build and install the CLI (make setup installs it)")
    return subprocess.run(
        [UV, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env, check=False
    )


def test_the_locked_cli_needs_neither_moto_nor_the_local_endpoint() -> None:
    alone = _closure("drsorch-cli")
    assert alone & LOCAL_ONLY == set(), sorted(alone & LOCAL_ONLY)
    assert {"drsorch-runtime", "aiobotocore", "typer"} <= alone
    # The extra brings them, so the check above can see them when they are there.
    assert {"moto", "drsorch-local"} <= _closure("drsorch-cli", ("local",))


def test_the_cli_wheel_names_the_local_endpoint_only_under_its_extra(tmp_path: Path) -> None:
    built = _uv(
        "build", "--offline", "--package", "drsorch-cli", "--wheel", "--out-dir", str(tmp_path)
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("drsorch_cli-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        requires = [
            line.removeprefix("Requires-Dist:").strip()
            for line in archive.read(name).decode().splitlines()
            if line.startswith("Requires-Dist:")
        ]
    assert not [r for r in requires if "moto" in r]
    assert [r for r in requires if r.startswith("drsorch-local")] == [
        "drsorch-local ; extra == 'local'"
    ]


def test_the_cli_installed_alone_runs_and_points_to_the_extra_for_local(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    synced = _uv(
        "sync", "--frozen", "--offline", "--package", "drsorch-cli", "--no-dev", "-q", env=env
    )
    assert synced.returncode == 0, synced.stderr
    site = next(venv.glob("lib/python*/site-packages"))
    installed = {p.name.split("-")[0].lower() for p in site.iterdir()}
    assert "moto" not in installed
    assert not (site / "drsorch" / "local").exists()
    drsorch = venv / "bin" / "drsorch"
    version = subprocess.run([drsorch, "--version"], capture_output=True, text=True, check=False)
    assert version.returncode == 0 and version.stdout.startswith("drsorch "), version
    local = subprocess.run([drsorch, "local", "up"], capture_output=True, text=True, check=False)
    assert local.returncode == 2
    assert "uv tool install 'drsorch-cli[local]'" in local.stderr
