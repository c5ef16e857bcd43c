"""The full hostile-message suite (`make hostile`, and in `make chaos`): at least 1,000
hostile messages of every kind during a 60-server failback, three hostile applies of each
approval kind among them (see support/forgery.py for the kinds, and which only AWS's
policies refuse)."""

from __future__ import annotations

from pathlib import Path

import pytest

from drsorch.local.server import LocalEndpoint
from support.forgery_run import Raid, run_raid

pytestmark = pytest.mark.chaos

FULL = Raid(name="hostilefull", servers=60, messages=1200, within=600, applies_each=3)


async def test_a_thousand_hostile_messages_change_nothing_but_the_dead_letter_queues(
    endpoint: LocalEndpoint, tmp_path: Path
) -> None:
    outcome = await run_raid(endpoint, FULL, tmp_path)
    print(f"hostile full: {outcome}")
    assert outcome["sent"] >= 1000
