"""A step keeps every pair's previous settings in one call, before any launch
configuration is written (and the targets it tags, before any tag)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from drsorch.configurator.records import PreviousSettings
from drsorch.contracts import RequestOptions
from drsorch.contracts.types import Place
from support.configurator_fakes import FakeCloud, MemoryStore
from support.configurator_scenario import Scenario, results, spec


@dataclass
class WatchingStore(MemoryStore):
    """The memory store, noting how many writes to DRS and EC2 each keep came after."""

    cloud: FakeCloud = field(default_factory=FakeCloud)
    keeps: list[tuple[int, int, int]] = field(default_factory=list)
    tag_keeps: list[tuple[int, int]] = field(default_factory=list)

    async def keep_previous(
        self, request_id: str, previous: Sequence[PreviousSettings]
    ) -> list[PreviousSettings]:
        self.keeps.append((len(previous), len(self.cloud.drs.updates), len(self.cloud.ec2.tagged)))
        return await super().keep_previous(request_id, previous)

    async def keep_tagged(self, request_id: str, instances: Sequence[tuple[Place, str]]) -> None:
        self.tag_keeps.append((len(instances), len(self.cloud.ec2.tagged)))
        await super().keep_tagged(request_id, instances)


async def test_a_step_keeps_all_its_pairs_previous_settings_at_once_before_writing() -> None:
    cloud = FakeCloud()
    scenario = Scenario(cloud=cloud, store=WatchingStore(cloud=cloud))
    pairs = [scenario.failback(tagged=n % 2 == 0) for n in range(6)]
    request = spec(options=RequestOptions(tag_lineage_targets=True))
    got = results(await scenario.send(*pairs, request_spec=request))
    assert {r.outcome for r in got.values()} == {"configured"}
    store = scenario.store
    assert isinstance(store, WatchingStore)
    assert store.keeps == [(6, 0, 0)]
    assert store.tag_keeps == [(3, 0)]
    assert len(cloud.drs.updates) == 6
    assert len(cloud.ec2.tagged) == 3
    assert len(store.tags_kept["req-unit-0001"]) == 3


async def test_servers_read_before_writing_get_their_baselines_kept_in_the_same_pass() -> None:
    cloud = FakeCloud()
    scenario = Scenario(cloud=cloud, store=WatchingStore(cloud=cloud))
    pairs = [scenario.failback(reversed_already=True) for _ in range(4)]
    got = results(await scenario.send(*pairs))
    assert {r.outcome for r in got.values()} == {"configured"}
    store = scenario.store
    assert isinstance(store, WatchingStore)
    assert store.keeps == [(4, 0, 0)]
    assert len(store.baselines) == 4
    assert len(cloud.drs.updates) == 4
