"""What the handlers work with, wired by `bootstrap` (or by a unit test, with fakes)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from drsorch.configurator.ports import Clock, CloudFactory, Store
from drsorch.configurator.roundtrip.ports import RoundTripDrs, RoundTripStore
from drsorch.configurator.settings import ConfiguratorSettings
from drsorch.contracts import Accounts
from drsorch.runtime.chunks import ChunkAssembler


@dataclass(frozen=True)
class RoundTrip:
    """The round trip's items in the table, and DRS for a request's accounts (with a count)."""

    store: RoundTripStore
    drs: Callable[[Accounts], tuple[RoundTripDrs, Counter[str]]]


@dataclass(frozen=True)
class Dependencies:
    """The table, AWS per request, the PairsMatched chunk assembler, the clock, the settings."""

    store: Store
    cloud: CloudFactory
    assembler: ChunkAssembler
    clock: Clock
    settings: ConfiguratorSettings
    round_trip: RoundTrip | None = None
    """Reverse replication after a launch, and retire; unset in tests of configuration only."""
