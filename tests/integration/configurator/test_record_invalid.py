"""The configurator's DRS adapter against the local endpoint, on a record DRS reports out of range.

The emulator's test hook makes GetLaunchConfiguration answer a name one character past
DRS's own bound: the adapter refuses that one server, naming it and the field, and the
next server's configuration reads as usual.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session

from drsorch.configurator.adapters.drs import DrsAdapter
from drsorch.configurator.errors import RecordInvalid, Refused
from drsorch.contracts.types import Place
from drsorch.local.drs.emulator import default_emulator
from drsorch.local.drs.raw import RawRecords, inject
from drsorch.local.server import LocalEndpoint
from support.discovery_estates import HUB, RECOVERY, fresh

pytestmark = pytest.mark.integration

ESTATE = """
name: record-invalid
drs: {seed: 61, clock: {scale: 0}}
accounts:
  - kind: hub
    servers:
      - {name: odd-01, tags: {app: odd}}
      - {name: odd-02, tags: {app: odd}}
"""


@pytest.fixture
async def drs(endpoint: LocalEndpoint) -> AsyncIterator[DrsAdapter]:
    config = AioConfig(retries={"mode": "standard", "max_attempts": 1})
    async with get_session().create_client("drs", region_name=RECOVERY, config=config) as client:

        async def client_for(service: str, place: Place) -> Any:
            return client

        yield DrsAdapter(client_for, Counter())
    inject(default_emulator(), RawRecords())


async def test_a_launch_configuration_past_drs_bounds_refuses_that_server_only(
    drs: DrsAdapter,
) -> None:
    odd, fine = (s.source_server_id for s in fresh(ESTATE).servers)
    inject(default_emulator(), RawRecords(launch_configurations={odd: {"name": "n" * 129}}))
    place = Place(HUB, RECOVERY)
    with pytest.raises(RecordInvalid) as refused:
        await drs.launch_configuration(place, odd)
    assert isinstance(refused.value, Refused)  # the pair is rejected, never retried
    said = str(refused.value)
    assert odd in said and "name" in said and "at most 128 characters" in said
    assert (await drs.launch_configuration(place, fine)).name != "n" * 129
