"""What configuring a pair produces, and what every step of it shares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from drsorch.configurator import domain
from drsorch.configurator.domain import SourceServer, TargetInstance
from drsorch.configurator.ports import Cloud, Store
from drsorch.configurator.records import PairRecord
from drsorch.contracts import ConfigurationResult, LaunchConfiguration, Pair, RequestSpec
from drsorch.contracts.events import ConfigurationOutcome
from drsorch.contracts.types import Place


@dataclass(frozen=True)
class Waiting:
    """A pair that is not settled yet, and why."""

    reason: str
    retry_after: float | None = None
    reverse_replication_started: bool = False


Progress = ConfigurationResult | Waiting


@dataclass(frozen=True)
class RequestContext:
    """What every pair of one request shares while it is configured."""

    request_id: str
    spec: RequestSpec
    cloud: Cloud
    store: Store
    servers: dict[str, SourceServer]
    """The paired servers as DRS reports them now, by ID."""
    contested: dict[str, str]
    failbacks: Mapping[Place, Mapping[str, Sequence[SourceServer]]] = field(default_factory=dict)
    """Per primary place listed this step: its live FAILBACK servers by the EC2 instance
    they replicate. A place not here is asked about one instance at a time."""
    dry: bool = False
    """Read only: say what would be done (outcome `planned`) and change nothing."""
    read: Mapping[str, LaunchConfiguration] = field(default_factory=dict)
    """Launch configurations the plan read, by launching server: the apply starts there."""
    targets: Mapping[Place, Mapping[str, TargetInstance]] = field(default_factory=dict)
    """Per launch place read this step: the pairs' launch-into targets as EC2 reports them,
    by instance ID (absent: not found). A place not here is read one target at a time."""


@dataclass
class Trail:
    """What this attempt has done so far for one pair."""

    record: PairRecord
    reversed: bool = False

    @property
    def reverse_started(self) -> bool:
        return self.reversed or self.record.reverse_replication_started


def result(
    ctx: RequestContext,
    pair: Pair,
    outcome: ConfigurationOutcome,
    *,
    trail: Trail,
    reason: str | None = None,
    launching: SourceServer | None = None,
    previous: LaunchConfiguration | None = None,
    desired: LaunchConfiguration | None = None,
    changes: tuple[str, ...] | None = None,
) -> ConfigurationResult:
    """The pair's result; a target is shown when launched into, or when it was refused.

    `changes` defaults to the fields `desired` changes from `previous` (from nothing when
    no previous was read)."""
    launch_into = desired is not None and desired.launch_into_instance_id is not None
    shown = pair.target is not None and (launch_into or outcome == "rejected")
    if changes is None and desired is not None:
        changes = domain.changed_fields(previous or LaunchConfiguration(), desired)
    return ConfigurationResult(
        source_server_id=pair.server.source_server_id,
        launching_server_id=launching.source_server_id if launching else None,
        account_id=pair.server.account_id,
        launch_region=ctx.spec.launch_region,
        target_instance_id=pair.target.instance_id if pair.target and shown else None,
        outcome=outcome,
        reason=reason[:1024] if reason else None,
        reverse_replication_started=trail.reverse_started,
        previous=previous,
        desired=desired,
        changes=changes or (),
    )
