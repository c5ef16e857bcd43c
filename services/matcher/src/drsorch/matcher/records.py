"""The matcher's plain data: what it reads (servers, targets, stored pairs) and what it decides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from drsorch.matcher.names import NameRules

Method = Literal["lineage", "name", "override"]
LaunchInto = Literal["required", "preferred", "never"]
Operation = Literal["failback", "failover"]

# Instances that can never be launched into, whatever matches them.
GONE_STATES = frozenset({"terminated", "shutting-down"})


@dataclass(frozen=True, slots=True)
class SourceServer:
    """A DRS source server in scope, with the lineage DRS keeps for it."""

    source_server_id: str
    account_id: str
    region: str
    name: str | None = None
    hostname: str | None = None
    wave: int = 0
    arn: str | None = None
    origin_instance_id: str | None = None
    """DRS `identificationHints.awsInstanceID`: the instance this server replicates."""
    origin_account_id: str | None = None
    """DRS `sourceCloudProperties.originAccountID`: where that instance lives."""
    origin_region: str | None = None
    """DRS `sourceCloudProperties.originRegion`."""
    reversed_direction_server_arn: str | None = None
    recovery_instance_id: str | None = None
    recovery_ec2_instance_id: str | None = None
    recovery_is_drill: bool = False
    staging_account_id: str | None = None
    """The staging account an extended server replicates in (DRS `stagingArea`)."""
    staging_source_server_arn: str | None = None
    """The server in that staging account: the same server as this one."""

    @property
    def label(self) -> str | None:
        """What the server is matched by Name with: its Name tag, else its hostname."""
        return self.name or self.hostname


@dataclass(frozen=True, slots=True)
class TargetInstance:
    """An EC2 instance a server might be launched into."""

    instance_id: str
    account_id: str
    region: str
    name: str | None = None
    state: str = "stopped"


@dataclass(frozen=True, slots=True)
class LineageState:
    """What EC2 says of an instance lineage names that is no candidate target."""

    instance_id: str
    account_id: str
    region: str
    state: str
    """An EC2 state name, or `not_found` when EC2 does not know the instance."""


@dataclass(frozen=True, slots=True)
class FailoverPair:
    """A pair drsorch applied at failover, kept so a later failback can trace it back.

    After a launch into `target_instance_id`, that instance is the server's recovery
    instance; `origin_instance_id` is the original the failback returns to.
    """

    source_server_id: str
    account_id: str
    target_instance_id: str
    origin_instance_id: str | None
    request_id: str


@dataclass(frozen=True, slots=True)
class MatchRules:
    """What a request says about matching: where it launches, how, and how names compare."""

    operation: Operation
    launch_region: str
    launch_into: LaunchInto
    names: NameRules = field(default_factory=NameRules)
    launch_settings: Mapping[str, object] = field(default_factory=dict)
    """The launch settings the request applies; part of the plan hash."""
    primary_region: str = ""
    """Where originals live: a failback's lineage must lead there."""
    accounts: frozenset[str] = frozenset()
    """The request's accounts: lineage leading elsewhere is named as outside the request."""
    overrides: Mapping[str, str] = field(default_factory=dict)
    """Server ID -> the instance the operator chose for it (`--target`)."""


# The decisions are named tuples: immutable like the frozen dataclasses above, and
# the cheapest records Python makes, which counts at one or more per server.


class Pair(NamedTuple):
    """A server to recover, and the instance it lands in (None: a standard launch)."""

    server: SourceServer
    target: TargetInstance | None
    method: Method | None
    evidence: tuple[str, ...]
    lineage_instance_id: str | None = None
    """The one instance the server's lineage names, when it names exactly one."""


class Unmatched(NamedTuple):
    """A server that is not recovered in this request, and why."""

    server: SourceServer
    reason: str


class Ambiguous(NamedTuple):
    """A server with several equally good targets: reported, never guessed."""

    server: SourceServer
    candidate_instance_ids: tuple[str, ...]
    reason: str


class Suggestion(NamedTuple):
    """A target whose name is similar to an unmatched server's: an operator may approve it."""

    source_server_id: str
    target_instance_id: str
    score: float
    reason: str


Decision = Pair | Unmatched | Ambiguous
"""What matching decided for one server."""


@dataclass(frozen=True, slots=True)
class Plan:
    """The matcher's result for one request; `plan_hash` covers what an apply would do."""

    pairs: tuple[Pair, ...]
    unmatched: tuple[Unmatched, ...]
    ambiguous: tuple[Ambiguous, ...]
    suggestions: tuple[Suggestion, ...]
    plan_hash: str
    notes: tuple[str, ...] = ()
    """Remarks on the request as a whole (an override naming no server in scope)."""


def fact(text: str, limit: int = 256) -> str:
    """`text` cut to the length the contracts allow for one fact or reason."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
