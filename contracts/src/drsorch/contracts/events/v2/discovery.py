"""Version 2, frozen as published (see `drsorch.contracts.events.v2`).

What discovery found: source servers, candidate target instances, and problems."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from drsorch.contracts.envelope import Event, Topic
from drsorch.contracts.events.common import Chunk, Problem, Record
from drsorch.contracts.events.discovery import (
    CandidateTarget,
    FailbackServerInfo,
    LineageClaim,
    LineageInstance,
    RecoveryInstanceInfo,
)
from drsorch.contracts.events.v2.requests import RequestSpec
from drsorch.contracts.types import (
    MAX_ITEMS_PER_CHUNK,
    AccountId,
    ApiCalls,
    Architecture,
    DataReplicationState,
    Ec2InstanceId,
    Hostname,
    Name,
    Region,
    ReplicationDirection,
    Seconds,
    SourceServerArn,
    SourceServerId,
    TagMap,
    Wave,
)


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


class ServersDiscovered(Event):
    """Discovery's result for one request: servers in scope, candidate targets, problems.

    `servers` lists every server in scope, those with problems included, so the
    report can name them. Servers are split across chunks by source server ID and
    targets by instance ID; a reader judges matches only once it holds every chunk,
    since a Name is ambiguous only against all targets.
    """

    event_type: ClassVar[str] = "ServersDiscovered"
    event_version: ClassVar[int] = 2
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
