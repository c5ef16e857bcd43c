"""The full kill storm (`make chaos`, not in the CI gate): a 500-server failback in
three waves, 20 SIGKILLs spread over all four services and 20 of the monitor alone,
20% of DRS calls throttled and 10% failing with internal errors, every setting the
runtime's and the monitor's default and the template's own queues.

Every server launches exactly once into its own instance, the request completes, no
dead-lettered message lacks a reason, and the report agrees with EC2.

`DRSORCH_CHAOS_SERVERS`, `DRSORCH_CHAOS_KILLS` (over all four), `DRSORCH_CHAOS_MONITOR_KILLS`
and `DRSORCH_CHAOS_EVERY` (seconds between kills) scale it down for a quicker look.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from drsorch.local.server import LocalEndpoint
from support.chaos import Storm, run_storm

pytestmark = pytest.mark.chaos


def _knob(name: str, default: float) -> float:
    return float(os.environ.get(f"DRSORCH_CHAOS_{name}", default))


FULL = Storm(
    name="chaosfull",
    servers=int(_knob("SERVERS", 500)),
    waves=(1, 2, 3),
    anyone=int(_knob("KILLS", 20)),
    monitor=int(_knob("MONITOR_KILLS", 20)),
    every=_knob("EVERY", 5),
    within=_knob("WITHIN", 7200),
    throttle_rate=0.2,
    internal_error_rate=0.1,
)


@pytest.mark.timeout(int(FULL.within) + 600)
async def test_a_500_server_failback_survives_a_kill_storm_with_default_settings(
    endpoint: LocalEndpoint, tmp_path: Path
) -> None:
    outcome = await run_storm(endpoint, FULL, tmp_path)
    print(f"chaos full: {FULL.servers} servers, {outcome}")
    assert sum(outcome["kills"].values()) >= 1, outcome  # type: ignore[attr-defined]
