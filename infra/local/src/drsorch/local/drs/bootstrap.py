"""Wiring: the process's emulator on moto's EC2 backend, with its event handlers.

Settings at start-up come from `DRSORCH_DRS_SETTINGS` when it is set: either an
inline JSON document or the path of a JSON or YAML file holding an
`EmulatorSettings` (the same document as an estate file's `drs:` section). An
estate file or the admin routes can replace them later.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml

from drsorch.local.drs import jobs, launch, replication, terminate
from drsorch.local.drs.core import Emulator, EventHandler
from drsorch.local.drs.ec2_moto import MotoEc2
from drsorch.local.drs.settings import EmulatorSettings

SETTINGS_VARIABLE = "DRSORCH_DRS_SETTINGS"


def event_handlers() -> dict[str, EventHandler]:
    """What runs when each kind of scheduled event falls due."""
    return {
        replication.EVENT_KIND: replication.on_phase_end,
        jobs.EVENT_KIND: jobs.handler({"LAUNCH": launch.STEPS, "TERMINATE": terminate.STEPS}),
        terminate.EXPIRY_KIND: terminate.on_expiry,
    }


def settings_from_environment(environ: dict[str, str] | None = None) -> EmulatorSettings:
    """The start-up settings named by DRSORCH_DRS_SETTINGS (defaults when unset)."""
    value = (os.environ if environ is None else environ).get(SETTINGS_VARIABLE, "").strip()
    if not value:
        return EmulatorSettings()
    if value.startswith("{"):
        return EmulatorSettings.model_validate(json.loads(value))
    document = yaml.safe_load(Path(value).read_text(encoding="utf-8")) or {}
    return EmulatorSettings.model_validate(document)


def build_emulator(settings: EmulatorSettings | None = None) -> Emulator:
    """An emulator acting on moto's EC2 state in this process."""
    chosen = settings if settings is not None else settings_from_environment()
    return Emulator(chosen, ec2=MotoEc2(), handlers=event_handlers())
