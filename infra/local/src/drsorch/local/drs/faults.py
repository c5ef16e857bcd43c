"""Injected per-operation faults: throttling (429 with Retry-After) and internal errors."""

from __future__ import annotations

from drsorch.local.drs.core import Emulator
from drsorch.local.drs.errors import DrsError, InternalServerError, ThrottlingError
from drsorch.local.drs.ids import chance

QUOTA_API_RATE = "L-DRSAPI00"


def injected(emu: Emulator, operation: str) -> DrsError | None:
    """The fault this call gets, if any.

    Per key (the operation's name, then "*"): the first `throttle_first` calls after
    the settings were applied are throttled, the next `internal_error_first` fail
    with InternalServerException; later calls fail at the configured (seeded) rates.
    """
    configured = emu.settings.faults.operations
    for key in (operation, "*"):
        fault = configured.get(key)
        if fault is None:
            continue
        emu.fault_counts[key, "calls"] += 1
        number = emu.fault_counts[key, "calls"]
        seed = emu.settings.seed
        if number <= fault.throttle_first or chance(
            seed, fault.throttle_rate, key, "throttle", number
        ):
            return ThrottlingError(
                "Rate exceeded",
                retry_after_seconds=fault.retry_after_seconds,
                quota_code=QUOTA_API_RATE,
            )
        internal_until = fault.throttle_first + fault.internal_error_first
        if number <= internal_until or chance(
            seed, fault.internal_error_rate, key, "internal", number
        ):
            return InternalServerError(
                "Internal error (injected by drsorch)",
                retry_after_seconds=fault.retry_after_seconds,
            )
    return None
