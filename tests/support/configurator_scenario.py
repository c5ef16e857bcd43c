"""Scenarios for the configurator's unit tests: servers and targets laid into the fakes.

`Scenario.failback(...)` lays a failed-over server: its FAILOVER server in the
recovery region, a recovery instance, the original instance in the primary region
(the target), and the FAILBACK server ReverseReplication would create. Every knob
a validation rule looks at is a keyword.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from drsorch.configurator.dependencies import Dependencies
from drsorch.configurator.domain import SourceServer, TargetInstance
from drsorch.configurator.events import REGISTRY
from drsorch.configurator.handlers import handlers
from drsorch.configurator.ports import Approvals
from drsorch.configurator.settings import ConfiguratorSettings
from drsorch.contracts import (
    Accounts,
    Envelope,
    Event,
    LaunchConfiguration,
    Pair,
    PairsMatched,
    RequestSpec,
    Scope,
    ServerRef,
    Spoke,
    TargetConfigured,
    TargetRef,
)
from drsorch.contracts.types import LAUNCH_INTO_TAG_KEY, LAUNCH_INTO_TAG_VALUE, Place
from drsorch.runtime import Handler, Outbox
from drsorch.runtime.chunks import ChunkAssembler, MemoryChunkStore
from support.approval_fakes import ApprovedAlready
from support.configurator_fakes import FakeClock, FakeCloud, MemoryStore

HUB, SPOKE = "111122223333", "444455556666"
PRIMARY, RECOVERY = "eu-west-2", "us-east-1"
PLAN_HASH = "a" * 64
_ids = itertools.count(1)


def server_id() -> str:
    return f"s-{next(_ids):017d}"


def instance_id() -> str:
    return f"i-{next(_ids):017x}"


def spec(operation: str = "failback", **changes: Any) -> RequestSpec:
    fields: dict[str, Any] = {
        "operation": operation,
        "scope": Scope(selector={"app": "payments"}),
        "accounts": Accounts(hub=HUB, spokes=(Spoke(account_id=SPOKE),)),
        "primary_region": PRIMARY,
        "recovery_region": RECOVERY,
        "requested_by": "unit-test",
    }
    return RequestSpec.model_validate({**fields, **changes})


@dataclass
class Scenario:
    """The fakes, the handlers over them, and helpers to lay servers and send events."""

    settings: ConfiguratorSettings = field(
        default_factory=lambda: ConfiguratorSettings(retry_seconds=5, prepare_deadline_seconds=600)
    )
    cloud: FakeCloud = field(default_factory=FakeCloud)
    store: MemoryStore = field(default_factory=MemoryStore)
    clock: FakeClock = field(default_factory=FakeClock)
    chunks: MemoryChunkStore = field(default_factory=MemoryChunkStore)
    published: dict[str, Any] = field(default_factory=dict)
    approvals: Approvals = field(default_factory=ApprovedAlready)
    """Every result published so far, by paired server (the latest wins)."""

    @property
    def handlers(self) -> dict[str, Handler]:
        return handlers(
            Dependencies(
                store=self.store,
                cloud=self.cloud,
                assembler=ChunkAssembler(self.chunks, REGISTRY),
                clock=self.clock,
                settings=self.settings,
                approvals=self.approvals,
            )
        )

    def failback(
        self,
        *,
        account: str = HUB,
        state: str = "stopped",
        tagged: bool = True,
        architecture: str = "x86_64",
        target_architecture: str | None = None,
        platform: str = "linux",
        target_platform: str = "linux",
        method: str = "lineage",
        reversed_already: bool = False,
        back_configuration: LaunchConfiguration | None = None,
        target_at: Place | None = None,
        target_ref: Mapping[str, str] | None = None,
        server_tags: Mapping[str, str] | None = None,
        with_target: bool = True,
    ) -> Pair:
        """A failed-over server, its original instance and its (future) FAILBACK server."""
        forward = SourceServer(
            server_id(),
            Place(account, RECOVERY),
            architecture,
            platform,
            dict(server_tags or {}),
            "FAILOVER",
            instance_id(),
        )
        self.cloud.drs.add_server(forward, LaunchConfiguration(copy_private_ip=True))
        recovery_id, recovery_ec2 = instance_id(), instance_id()
        self.cloud.drs.recovery_instances[Place(account, RECOVERY), recovery_id] = recovery_ec2
        back = SourceServer(
            server_id(),
            Place(account, PRIMARY),
            architecture,
            platform,
            {},
            "FAILBACK",
            recovery_ec2,
        )
        self.cloud.drs.reverse_creates[recovery_id] = back
        if reversed_already:
            configuration = back_configuration or LaunchConfiguration(copy_private_ip=True)
            self.cloud.drs.add_server(back, configuration)
        original = forward.aws_instance_id or instance_id()
        where = target_at or Place(account, PRIMARY)
        tags = {"Name": "app"} | ({LAUNCH_INTO_TAG_KEY: LAUNCH_INTO_TAG_VALUE} if tagged else {})
        self.cloud.ec2.add(
            TargetInstance(
                original, where, state, target_architecture or architecture, target_platform, tags
            )
        )
        ref = {"instance_id": original, "account_id": account, "region": PRIMARY}
        return Pair(
            server=ServerRef(
                source_server_id=forward.source_server_id, account_id=account, region=RECOVERY
            ),
            target=TargetRef.model_validate({**ref, **(target_ref or {})}) if with_target else None,
            method=method if with_target else None,  # type: ignore[arg-type]
            architecture=architecture,  # type: ignore[arg-type]
            replication_direction="FAILOVER",
            recovery_instance_id=recovery_id,
            recovery_ec2_instance_id=recovery_ec2,
        )

    def failover(
        self,
        *,
        with_target: bool = True,
        server_tags: Mapping[str, str] | None = None,
        stale_target: str | None = "i-0123456789abcdef0",
    ) -> Pair:
        """A protected server and, with a target, a pre-provisioned stopped instance.

        Its launch configuration still names `stale_target` from an earlier run.
        """
        place = Place(HUB, RECOVERY)
        server = SourceServer(
            server_id(),
            place,
            "x86_64",
            "linux",
            dict(server_tags or {}),
            "FAILOVER",
            instance_id(),
        )
        stale = LaunchConfiguration(copy_private_ip=False, launch_into_instance_id=stale_target)
        self.cloud.drs.add_server(server, stale)
        target = None
        if with_target:
            target = TargetRef(instance_id=instance_id(), account_id=HUB, region=RECOVERY)
            self.cloud.ec2.add(
                TargetInstance(
                    target.instance_id,
                    place,
                    "stopped",
                    "x86_64",
                    "linux",
                    {LAUNCH_INTO_TAG_KEY: LAUNCH_INTO_TAG_VALUE},
                )
            )
        return Pair(
            server=ServerRef(
                source_server_id=server.source_server_id, account_id=HUB, region=RECOVERY
            ),
            target=target,
            method="name" if target else None,
            architecture="x86_64",
            replication_direction="FAILOVER",
        )

    def failback_server_of(self, pair: Pair) -> SourceServer:
        assert pair.recovery_instance_id is not None
        return self.cloud.drs.reverse_creates[pair.recovery_instance_id]

    async def send(
        self,
        *pairs: Pair,
        request_spec: RequestSpec | None = None,
        request_id: str = "req-unit-0001",
        plan_hash: str = PLAN_HASH,
        **event: Any,
    ) -> Outbox:
        matched = PairsMatched(
            spec=request_spec or spec(), match_hash=plan_hash, pairs=pairs, **event
        )
        envelope = Envelope.wrap(matched, request_id=request_id, step="m", producer="matcher")
        return await self.deliver(envelope)

    async def deliver(self, envelope: Envelope[Event]) -> Outbox:
        outbox = Outbox()
        await self.handlers[envelope.type](envelope, outbox)
        self.published.update(results(outbox))
        return outbox

    async def plan_hash(self, *pairs: Pair, request_spec: RequestSpec | None = None) -> str:
        """The hash a plan-only request of these pairs reports (what an operator approves)."""
        base = request_spec or spec()
        outbox = await self.send(
            *pairs,
            request_spec=base.model_copy(update={"plan_only": True}),
            request_id=f"req-plan-{len(self.published):04d}",
        )
        hashes = {
            e.payload.plan_hash for e in outbox.events if isinstance(e.payload, TargetConfigured)
        }
        [found] = hashes
        assert found is not None
        return found

    async def fire_timers(self, outbox: Outbox) -> Outbox:
        """Deliver the outbox's timers (as SQS would, once their delay has passed)."""
        [timer] = outbox.timers
        self.clock.advance(timer.delay.total_seconds())
        return await self.deliver(timer.envelope)


def results(outbox: Outbox) -> dict[str, Any]:
    """The TargetConfigured results in an outbox, by paired server ID."""
    found = {}
    for envelope in outbox.events:
        if not isinstance(envelope.payload, TargetConfigured):
            continue
        found.update({r.source_server_id: r for r in envelope.payload.results})
    return found
