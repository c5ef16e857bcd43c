"""What discovery found: source servers, candidate target instances, and problems."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from drsorch.contracts.envelope import Event, Topic
from drsorch.contracts.events.common import Chunk, Problem, Record
from drsorch.contracts.events.requests import RequestSpec
from drsorch.contracts.types import (
    MAX_ITEMS_PER_CHUNK,
    AccountId,
    ApiCalls,
    Architecture,
    AvailabilityZone,
    BootMode,
    DataReplicationState,
    Ec2InstanceId,
    Fact,
    FailbackState,
    Hostname,
    InstanceState,
    IPv4,
    Name,
    Platform,
    RecoveryEc2State,
    RecoveryInstanceId,
    Region,
    ReplicationDirection,
    Seconds,
    SourceServerArn,
    SourceServerId,
    SubnetId,
    TagMap,
    Wave,
)


class RecoveryInstanceInfo(Record):
    """The server's DRS recovery instance (from a failover), which a failback replicates back."""

    recovery_instance_id: RecoveryInstanceId
    ec2_instance_id: Ec2InstanceId | None = None
    ec2_state: RecoveryEc2State | None = None
    is_drill: bool = False
    failback_state: FailbackState | None = None


class FailbackServerInfo(Record):
    """The FAILBACK-direction source server replicating the recovery instance back.

    Found by lineage (its `identificationHints.awsInstanceID` is the recovery
    instance's EC2 instance), not by `reversedDirectionSourceServerArn` alone, which
    DRS leaves stale across repeated cycles. Its replication state and lag say
    whether it is ready to launch.
    """

    source_server_id: SourceServerId
    account_id: AccountId
    region: Region
    replication_state: DataReplicationState | None = None
    lag_seconds: Seconds | None = None


class DiscoveredServer(Record):
    """One DRS source server in scope, with the lineage that ties it to its origin."""

    source_server_id: SourceServerId
    arn: SourceServerArn | None = None
    account_id: AccountId
    region: Region
    hostname: Hostname | None = None
    name: Name | None = None
    """The server's `Name` tag."""
    tags: TagMap = Field(default_factory=dict)
    wave: Wave = 0
    architecture: Architecture | None = None
    replication_direction: ReplicationDirection | None = None
    replication_state: DataReplicationState | None = None
    lag_seconds: Seconds | None = None
    origin_instance_id: Ec2InstanceId | None = None
    """Lineage: `sourceProperties.identificationHints.awsInstanceID`."""
    origin_account_id: AccountId | None = None
    """Lineage: `sourceCloudProperties.originAccountID`."""
    origin_region: Region | None = None
    """Lineage: `sourceCloudProperties.originRegion`."""
    reversed_direction_server_arn: SourceServerArn | None = None
    recovery_instance: RecoveryInstanceInfo | None = None
    failback_server: FailbackServerInfo | None = None
    staging_account_id: AccountId | None = None
    """Lineage (v3): the staging account the server replicates in, when DRS shows it
    extended into its own account (`stagingArea.status` EXTENDED). The staging account's
    server and this one are the same server: it is recovered here, never there too."""
    staging_source_server_arn: SourceServerArn | None = None
    """Lineage (v3): `stagingArea.stagingSourceServerArn`, the server in the staging account."""


class CandidateTarget(Record):
    """An EC2 instance a server might be launched into."""

    instance_id: Ec2InstanceId
    account_id: AccountId
    region: Region
    name: Name | None = None
    """The instance's `Name` tag."""
    state: InstanceState
    tags: TagMap = Field(default_factory=dict)
    """All user tags, `AWSDRS` among them."""
    availability_zone: AvailabilityZone | None = None
    subnet_id: SubnetId | None = None
    architecture: Architecture | None = None
    platform: Platform | None = None
    boot_mode: BootMode | None = None
    private_ip: IPv4 | None = None


class LineageInstance(Record):
    """An instance a server's lineage names, as EC2 reports it, when it is no candidate.

    Candidate targets are live instances of the launch region. An instance lineage names
    that is terminated, that EC2 does not know (`not_found`), or that stands elsewhere
    is listed here, so the matcher can say exactly why the server is left alone instead
    of pairing it by Name.
    """

    instance_id: Ec2InstanceId
    account_id: AccountId
    region: Region
    state: InstanceState | Literal["not_found"]
    name: Name | None = None


class LineageClaim(Record):
    """A candidate target that a source server outside the request's scope claims.

    Its lineage names the instance (DRS's `awsInstanceID`, or its recovery instance), so
    no other server may be paired with it by Name. Claims of servers in scope are read
    from the servers themselves.
    """

    instance_id: Ec2InstanceId
    source_server_id: SourceServerId
    account_id: AccountId
    """The claiming server's account."""
    region: Region
    """The claiming server's region."""
    fact: Fact
    """How it claims the instance, e.g. `awsInstanceID of s-… (out of scope)`."""


class ServersDiscovered(Event):
    """Discovery's result for one request: servers in scope, candidate targets, problems.

    `servers` lists every server in scope, those with problems included, so the
    report can name them. Servers are split across chunks by source server ID and
    targets by instance ID; a reader judges matches only once it holds every chunk,
    since a Name is ambiguous only against all targets.
    """

    event_type: ClassVar[str] = "ServersDiscovered"
    event_version: ClassVar[int] = 5
    topic: ClassVar[Topic] = Topic.EVENTS
    producers: ClassVar[tuple[str, ...]] = ("discovery",)

    spec: RequestSpec
    servers: Annotated[tuple[DiscoveredServer, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    targets: Annotated[tuple[CandidateTarget, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    problems: Annotated[tuple[Problem, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    lineage: Annotated[tuple[LineageInstance, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    """Instances lineage names that are not candidate targets, and what EC2 says of them."""
    claims: Annotated[tuple[LineageClaim, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    """Candidate targets claimed by the lineage of servers outside the scope."""
    api_calls: ApiCalls = Field(default_factory=dict)
    """DRS API calls discovery made for this request."""
    chunk: Chunk = Chunk()
