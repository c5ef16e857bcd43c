"""Hand-written fakes of the configurator's ports: a tiny DRS and EC2 in memory, a store, a clock.

The fakes keep every change they are asked to make (`updates`, `reversed`, `tagged`),
so a test can say "nothing was changed" by looking at three lists.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from drsorch.configurator.domain import SourceServer, TargetInstance, failback_server_of
from drsorch.configurator.errors import RecoveryInstanceBusy, Refused, Transient
from drsorch.configurator.records import PairRecord, PreviousSettings, RequestRecord
from drsorch.contracts import Accounts, LaunchConfiguration
from drsorch.contracts.types import LAUNCH_INTO_TAG_KEY, LAUNCH_INTO_TAG_VALUE, Place
from drsorch.runtime.accounts import AccountUnreachable


@dataclass
class FakeDrs:
    """DRS servers and launch configurations by (place, server ID)."""

    servers: dict[tuple[Place, str], SourceServer] = field(default_factory=dict)
    configurations: dict[tuple[Place, str], LaunchConfiguration] = field(default_factory=dict)
    recovery_instances: dict[tuple[Place, str], str] = field(default_factory=dict)
    """Recovery instance ID → its EC2 instance ID."""
    reverse_creates: dict[str, SourceServer] = field(default_factory=dict)
    """What ReverseReplication on a recovery instance creates (its FAILBACK server)."""
    busy: Counter[str] = field(default_factory=Counter)
    """ReverseReplication answers ConflictException this many more times per instance."""
    throttled: Counter[str] = field(default_factory=Counter)
    """Operations that fail `Transient` this many more times."""
    retry_after: float = 1
    """The Retry-After a throttled call carries."""
    unreachable: set[str] = field(default_factory=set)
    reversed: list[tuple[Place, str]] = field(default_factory=list)
    updates: list[tuple[Place, str, LaunchConfiguration]] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    listings: list[Place] = field(default_factory=list)
    """The places whose FAILBACK servers were listed whole."""
    listing_error: Exception | None = None
    """What listing a place's servers raises, if anything (lookups by instance still work)."""
    answers: dict[str, str] = field(default_factory=dict)
    """ReverseReplication's answer (the reversed server's ARN) by recovery instance, where a
    test wants another than the server it creates."""
    unapplied: set[str] = field(default_factory=set)
    """Launch configuration fields an update leaves as they were (and says so in its answer)."""

    def add_server(self, server: SourceServer, configuration: LaunchConfiguration) -> None:
        self.servers[server.place, server.source_server_id] = server
        self.configurations[server.place, server.source_server_id] = configuration

    def _enter(self, place: Place, operation: str) -> None:
        self.calls[operation] += 1
        if place.account_id in self.unreachable:
            raise AccountUnreachable(place.account_id, "AccessDenied: not authorized")
        if self.throttled[operation] > 0:
            self.throttled[operation] -= 1
            raise Transient(
                f"{operation} in {place}: ThrottlingException", retry_after=self.retry_after
            )

    async def source_servers(self, place: Place, ids: Sequence[str]) -> dict[str, SourceServer]:
        self._enter(place, "DescribeSourceServers")
        return {i: self.servers[place, i] for i in ids if (place, i) in self.servers}

    async def failback_server(self, place: Place, ec2_instance_id: str) -> SourceServer | None:
        self._enter(place, "DescribeSourceServers")
        return failback_server_of(self._failback_servers(place), ec2_instance_id)

    async def failback_servers(self, place: Place) -> list[SourceServer]:
        self._enter(place, "DescribeSourceServers")
        if self.listing_error is not None:
            raise self.listing_error
        self.listings.append(place)
        return self._failback_servers(place)

    def _failback_servers(self, place: Place) -> list[SourceServer]:
        return [
            server
            for (where, _), server in self.servers.items()
            if where == place and server.direction == "FAILBACK"
        ]

    async def recovery_ec2_instance(self, place: Place, recovery_instance_id: str) -> str | None:
        self._enter(place, "DescribeRecoveryInstances")
        return self.recovery_instances.get((place, recovery_instance_id))

    async def reverse_replication(self, place: Place, recovery_instance_id: str) -> str:
        self._enter(place, "ReverseReplication")
        if self.busy[recovery_instance_id] > 0:
            self.busy[recovery_instance_id] -= 1
            raise RecoveryInstanceBusy(f"{recovery_instance_id} is still initializing")
        created = self.reverse_creates[recovery_instance_id]
        self.reversed.append((place, recovery_instance_id))
        self.add_server(created, LaunchConfiguration(copy_private_ip=True, copy_tags=True))
        where, new_id = created.place, created.source_server_id
        arn = f"arn:aws:drs:{where.region}:{where.account_id}:source-server/{new_id}"
        return self.answers.get(recovery_instance_id, arn)

    async def launch_configuration(self, place: Place, server_id: str) -> LaunchConfiguration:
        self._enter(place, "GetLaunchConfiguration")
        if (place, server_id) not in self.configurations:
            raise Refused(f"GetLaunchConfiguration in {place}: ResourceNotFoundException")
        return self.configurations[place, server_id]

    async def update_launch_configuration(
        self, place: Place, server_id: str, configuration: LaunchConfiguration
    ) -> LaunchConfiguration:
        """As DRS: the fields named are set (the launch-into target always), the others
        kept, and the whole configuration is answered; `unapplied` fields stay as they were."""
        self._enter(place, "UpdateLaunchConfiguration")
        self.updates.append((place, server_id, configuration))
        before = self.configurations.get((place, server_id), LaunchConfiguration())
        named = {
            name: value
            for name, value in configuration.model_dump().items()
            if (value is not None or name == "launch_into_instance_id")
            and name not in self.unapplied
        }
        after = before.model_copy(update=named)
        self.configurations[place, server_id] = after
        return after


@dataclass
class FakeEc2:
    instances_by_place: dict[tuple[Place, str], TargetInstance] = field(default_factory=dict)
    tagged: list[tuple[Place, str]] = field(default_factory=list)
    untagged: list[tuple[Place, str]] = field(default_factory=list)
    looked_up: list[tuple[Place, str]] = field(default_factory=list)
    reads: int = 0
    """DescribeInstances calls (one per place and batch)."""
    read_error: Exception | None = None
    """What the next DescribeInstances raises (once)."""

    def add(self, instance: TargetInstance) -> None:
        self.instances_by_place[instance.place, instance.instance_id] = instance

    async def instances(self, place: Place, ids: Sequence[str]) -> dict[str, TargetInstance]:
        self.reads += 1
        if self.read_error is not None:
            error, self.read_error = self.read_error, None
            raise error
        self.looked_up.extend((place, i) for i in ids)
        return {
            i: self.instances_by_place[place, i]
            for i in ids
            if (place, i) in self.instances_by_place
        }

    async def tag_launch_into(self, place: Place, instance_id: str) -> None:
        self.tagged.append((place, instance_id))
        instance = self.instances_by_place[place, instance_id]
        tags = {**instance.tags, LAUNCH_INTO_TAG_KEY: LAUNCH_INTO_TAG_VALUE}
        self.add(TargetInstance(**{**instance.__dict__, "tags": tags}))

    async def untag_launch_into(self, place: Place, instance_id: str) -> None:
        self.untagged.append((place, instance_id))
        instance = self.instances_by_place[place, instance_id]
        tags = {k: v for k, v in instance.tags.items() if k != LAUNCH_INTO_TAG_KEY}
        self.add(TargetInstance(**{**instance.__dict__, "tags": tags}))


@dataclass
class FakeCloud:
    """One DRS and one EC2 for every request; `opened` says which accounts each request had."""

    drs: FakeDrs = field(default_factory=FakeDrs)
    ec2: FakeEc2 = field(default_factory=FakeEc2)
    opened: list[Accounts] = field(default_factory=list)

    @property
    def calls(self) -> Counter[str]:
        return self.drs.calls

    def __call__(self, accounts: Accounts) -> FakeCloud:
        self.opened.append(accounts)
        self.drs.calls = Counter()  # each request counts its own calls
        return self


@dataclass
class MemoryStore:
    """The configurator's table in memory, with the same write-once rule for previous settings."""

    requests: dict[str, RequestRecord] = field(default_factory=dict)
    pair_records: dict[str, dict[str, PairRecord]] = field(default_factory=dict)
    kept: dict[str, dict[tuple[str, str, str], PreviousSettings]] = field(default_factory=dict)
    counted: dict[str, Counter[str]] = field(default_factory=dict)
    baselines: dict[tuple[str, str, str], PreviousSettings] = field(default_factory=dict)
    tags_kept: dict[str, list[tuple[Place, str]]] = field(default_factory=dict)

    async def request(self, request_id: str) -> RequestRecord | None:
        record = self.requests.get(request_id)
        if record is None:
            return None
        return record.model_copy(update={"calls": dict(self.counted.get(request_id, {}))})

    async def start_request(
        self, request_id: str, request: RequestRecord, pairs: Sequence[PairRecord]
    ) -> None:
        await self.save_pairs(request_id, pairs)
        self.requests.setdefault(request_id, request)

    async def pairs(self, request_id: str) -> list[PairRecord]:
        return list(self.pair_records.get(request_id, {}).values())

    async def save_pairs(self, request_id: str, pairs: Sequence[PairRecord]) -> None:
        held = self.pair_records.setdefault(request_id, {})
        held.update({record.server_id: record for record in pairs})

    async def add_calls(self, request_id: str, calls: Counter[str]) -> None:
        self.counted.setdefault(request_id, Counter()).update(calls)

    async def keep_previous(
        self, request_id: str, previous: Sequence[PreviousSettings]
    ) -> list[PreviousSettings]:
        held = self.kept.setdefault(request_id, {})
        return [
            held.setdefault((each.account_id, each.region, each.launching_server_id), each)
            for each in previous
        ]

    async def previous(self, request_id: str) -> list[PreviousSettings]:
        return list(self.kept.get(request_id, {}).values())

    async def keep_baselines(self, previous: Sequence[PreviousSettings]) -> None:
        for each in previous:
            key = (each.account_id, each.region, each.launching_server_id)
            self.baselines.setdefault(key, each)

    async def baseline(self, place: Place, server_id: str) -> PreviousSettings | None:
        return self.baselines.get((place.account_id, place.region, server_id))

    async def forget_baseline(self, place: Place, server_id: str) -> None:
        self.baselines.pop((place.account_id, place.region, server_id), None)

    async def keep_tagged(self, request_id: str, instances: Sequence[tuple[Place, str]]) -> None:
        held = self.tags_kept.setdefault(request_id, [])
        held.extend(each for each in dict.fromkeys(instances) if each not in held)

    async def tagged(self, request_id: str) -> list[tuple[Place, str]]:
        return list(self.tags_kept.get(request_id, []))


@dataclass
class FakeClock:
    at: datetime = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)
