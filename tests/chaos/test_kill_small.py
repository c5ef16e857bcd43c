"""The kill storm, small enough for `make test`: the monitor (and another service)
SIGKILLed mid-failback with the runtime's default inbox lease, and every server still
launches exactly once into its own instance.

The queues' visibility timeout is the template's parameter set to 10 s and the
monitor's request lease to 10 s, so a kill costs seconds, not minutes; the inbox lease
is not set: the runtime derives it from the queue, as in a deployment.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from drsorch.local.server import LocalEndpoint
from support.chaos import Storm, run_storm

pytestmark = pytest.mark.chaos

SMALL = Storm(
    name="chaossmall",
    servers=30,
    waves=(1, 2),
    anyone=1,
    monitor=2,
    every=6,
    within=150,
    throttle_rate=0.1,
    queue={"VisibilityTimeoutSeconds": 10},
    env={"DRSORCH_MONITOR_LEASE_SECONDS": "10"},
)


async def test_a_failback_survives_its_monitor_killed_with_the_default_lease(
    endpoint: LocalEndpoint, tmp_path: Path
) -> None:
    outcome = await run_storm(endpoint, SMALL, tmp_path)
    print(f"chaos small: {outcome}")
    assert sum(outcome["kills"].values()) >= 1, outcome  # type: ignore[attr-defined]
