"""Hostile messages during a real failback, small enough for `make test`, against the
services' defaults (approvals enforced): forged events of every type to every topic and
queue (the live request's ID included), nested and oversized JSON, unapproved applies and
borrowed spokes sent straight to discovery, and on the requests topic one hostile apply
of each kind (no approval, another plan's, expired, another key's, a forged signature,
one approver of two, a borrowed spoke), each of a bystander server nothing else holds.
No hostile message launches anything (DRS's call log), none reaches the operator as an
outcome, each is parked or refused with its reason, and the real request is correct.

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
