"""What the matcher decided: which server lands in which instance, and why (or why not)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Self

from pydantic import Field, model_validator

from drsorch.contracts.envelope import Event, Topic
from drsorch.contracts.events.common import Chunk, Problem, Record, ServerRef, TargetRef
from drsorch.contracts.events.requests import RequestSpec
from drsorch.contracts.types import (
    MAX_ITEMS_PER_CHUNK,
    UNIQUE_ITEMS,
    ApiCalls,
    Architecture,
    Ec2InstanceId,
    Fact,
    PairMethod,
    PlanHash,
    Ratio,
    Reason,
    RecoveryInstanceId,
    ReplicationDirection,
    SourceServerId,
    Unique,
)

MAX_EVIDENCE = 10
MAX_CANDIDATES = 20

Evidence = Annotated[tuple[Fact, ...], Field(max_length=MAX_EVIDENCE)]


class Pair(Record):
    """A server drsorch will recover, and the instance it lands in.

    `target` is unset for a standard launch (a drill, launch-into `never`, or
    `preferred` with no match); `evidence` then says why. `method` and `target` are
    set together. The server-side fields are what the configurator and the monitor
    need without reading discovery's state.
    """

    server: ServerRef
    target: TargetRef | None = None
    method: PairMethod | None = None
    evidence: Evidence = ()
    """Short facts behind the decision, e.g. `awsInstanceID=i-0abc… matches`."""
    lineage_instance_id: Ec2InstanceId | None = None
    """The instance the server's lineage names (DRS's record or drsorch's stored failover
    pair), whatever the target: the monitor proves a landing against DRS's own record."""
    origin_instance_id: Ec2InstanceId | None = None
    """DRS's `awsInstanceID` for the server when it was paired: the monitor checks that DRS
    still records it when the server lands (a lineage chain leads on from it)."""
    architecture: Architecture | None = None
    replication_direction: ReplicationDirection | None = None
    recovery_instance_id: RecoveryInstanceId | None = None
    """The recovery instance a failback reverses (recovery region)."""
    recovery_ec2_instance_id: Ec2InstanceId | None = None
    failback_server_id: SourceServerId | None = None
    """The FAILBACK-direction server, when reverse replication has already started."""

    @model_validator(mode="after")
    def _method_with_target(self) -> Self:
        if (self.target is None) != (self.method is None):
            raise ValueError("pair: target and method are set together or not at all")
        return self


class Unmatched(Record):
    """A server that will not be recovered in this request, and why."""

    server: ServerRef
    reason: Reason


class Ambiguous(Record):
    """A server with more than one equally good target; reported, never guessed."""

    server: ServerRef
    candidate_instance_ids: Annotated[
        tuple[Ec2InstanceId, ...],
        Field(min_length=2, max_length=MAX_CANDIDATES),
        Unique,
        UNIQUE_ITEMS,
    ]
    reason: Reason


class Suggestion(Record):
    """A fuzzy match an operator may approve; drsorch never applies one by itself."""

    source_server_id: SourceServerId
    target_instance_id: Ec2InstanceId
    score: Ratio
    reason: Reason | None = None


class PairsMatched(Event):
    """The matcher's pairing for one request.

    Discovery's problems are carried forward so the monitor can report them without
    reading discovery's state. `match_hash` covers the whole pairing (every chunk); the
    hash an operator approves is the configurator's, over what an apply would launch.
    """

    event_type: ClassVar[str] = "PairsMatched"
    event_version: ClassVar[int] = 5
    topic: ClassVar[Topic] = Topic.EVENTS
    producers: ClassVar[tuple[str, ...]] = ("matcher",)

    spec: RequestSpec
    match_hash: PlanHash
    pairs: Annotated[tuple[Pair, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    unmatched: Annotated[tuple[Unmatched, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    ambiguous: Annotated[tuple[Ambiguous, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    suggestions: Annotated[tuple[Suggestion, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    problems: Annotated[tuple[Problem, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    notes: Annotated[tuple[Reason, ...], Field(max_length=MAX_EVIDENCE)] = ()
    """Remarks on the request as a whole, e.g. an override naming no server in scope."""
    api_calls: ApiCalls = Field(default_factory=dict)
    """DRS API calls made so far (discovery's), carried forward for the report."""
    chunk: Chunk = Chunk()
