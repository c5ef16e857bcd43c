"""Wiring: the process's emulator on moto's EC2 backend, with its event handlers."""

from __future__ import annotations

from drsorch.local.drs import jobs, replication, terminate
from drsorch.local.drs.ec2_moto import MotoEc2
from drsorch.local.drs.emulator import Emulator, EventHandler
from drsorch.local.drs.settings import EmulatorSettings


def event_handlers() -> dict[str, EventHandler]:
    """What runs when each kind of scheduled event falls due."""
    return {
        replication.EVENT_KIND: replication.on_phase_end,
        jobs.EVENT_KIND: jobs.on_event,
        terminate.EXPIRY_KIND: terminate.on_expiry,
    }


def build_emulator(settings: EmulatorSettings | None = None) -> Emulator:
    """An emulator acting on moto's EC2 state in this process."""
    return Emulator(settings, ec2=MotoEc2(), handlers=event_handlers())
