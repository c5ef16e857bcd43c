"""What the handlers work with, wired by `bootstrap` (or by a unit test, with fakes)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from drsorch.configurator.drill.ports import DrillAws
from drsorch.configurator.pipeline.ports import PipelineCloud, SlotLedger
from drsorch.configurator.ports import Approvals, Clock, CloudFactory, Store
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
class Drill:
    """A drill's items in the table, and DRS and EC2 for a request's accounts (with a count)."""

    store: RoundTripStore
    aws: Callable[[Accounts], tuple[DrillAws, Counter[str]]]


@dataclass(frozen=True)
class Pipeline:
    """DRS and EC2 for a failback's slots (with a count), and the deployment's slot ledger."""

    cloud: Callable[[Accounts], tuple[PipelineCloud, Counter[str]]]
    ledger: SlotLedger


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
    round_trip: RoundTrip | None = None
    """Reverse replication after a launch, and retire; unset in tests of configuration only."""
    pipeline: Pipeline | None = None
    """A failback's slots of the replicating-servers quota; unset: no admission (tests of
    configuration only)."""
    drill: Drill | None = None
    """A drill's evidence and clean-up; unset in tests of configuration only."""
