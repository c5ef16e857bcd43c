"""What the handlers work with, wired by `bootstrap` (or by a unit test, with fakes)."""

from __future__ import annotations

from dataclasses import dataclass

from drsorch.configurator.ports import Approvals, Clock, CloudFactory, Store
from drsorch.configurator.settings import ConfiguratorSettings
from drsorch.runtime.chunks import ChunkAssembler


@dataclass(frozen=True)
class Dependencies:
    """The table, AWS per request, the PairsMatched chunk assembler, the clock, the settings,
    and the check of an apply's approvals."""

    store: Store
    cloud: CloudFactory
    assembler: ChunkAssembler
    clock: Clock
    settings: ConfiguratorSettings
    approvals: Approvals
