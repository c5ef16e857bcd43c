"""Plans kept on disk by hash, so `--approve HASH` can show what drifted since `--plan`.

Folder: `$DRSORCH_PLAN_DIR`, default `.drsorch/plans` under the current directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from drsorch.cli.plan import Plan

PLAN_DIR_ENV = "DRSORCH_PLAN_DIR"


def plan_dir() -> Path:
    configured = os.environ.get(PLAN_DIR_ENV)
    return Path(configured) if configured else Path.cwd() / ".drsorch" / "plans"


def save_plan(plan: Plan, folder: Path | None = None) -> Path:
    """Write the plan as `<hash>.json`; returns the path."""
    target = (folder or plan_dir()) / f"{plan.plan_hash}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(plan.model_dump_json(indent=2), encoding="utf-8")
    return target


def load_plan(plan_hash: str, folder: Path | None = None) -> Plan | None:
    """The plan saved under `plan_hash`, or None when this machine never made it."""
    path = (folder or plan_dir()) / f"{plan_hash}.json"
    try:
        return Plan.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError):
        return None
