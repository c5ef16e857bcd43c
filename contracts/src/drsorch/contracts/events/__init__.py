"""Every drsorch event, in its current version, and the registry consumers parse them with.

A new major version of an event is a change of its model here with `event_version`
raised, after the published model is frozen as it was in `events/v<N>/` and
registered beside it, never an edit of a published model: `tests/unit/contracts`
fails when a committed schema changes in place. The registry upcasts older versions
to the current one, so handlers see only the current models.
"""

from typing import Any

from drsorch.contracts.events.approval import ApprovalStatement, SignedApproval, signed_message
from drsorch.contracts.events.cancel import CancelRequested, CancelState, RequestCancelled
from drsorch.contracts.events.common import (
    Chunk,
    Problem,
    ProblemKind,
    Record,
    ServerRef,
    TargetRef,
)
from drsorch.contracts.events.configuration import (
    ConfigurationOutcome,
    ConfigurationResult,
    SlotPipeline,
    TargetConfigured,
)
from drsorch.contracts.events.discovery import (
    CandidateTarget,
    DiscoveredServer,
    FailbackServerInfo,
    LineageClaim,
    LineageInstance,
    RecoveryInstanceInfo,
    ServersDiscovered,
)
from drsorch.contracts.events.drill import (
    CleanedInstance,
    DrillCleanedUp,
    DrillCleanupRequested,
    DrillInstance,
    DrillRequested,
    DrillVerified,
    RecoveryPoint,
)
from drsorch.contracts.events.jobs import JobCompleted, JobStarted, ServerLaunch
from drsorch.contracts.events.launch import LaunchConfiguration, LaunchSettings
from drsorch.contracts.events.matching import (
    Ambiguous,
    Pair,
    PairsMatched,
    Suggestion,
    Unmatched,
)
from drsorch.contracts.events.report import (
    JobRecord,
    RequestCompleted,
    RequestStatus,
    ServerOutcome,
    ServerReport,
)
from drsorch.contracts.events.requests import (
    Accounts,
    FailbackRequested,
    FailoverRequested,
    RequestOptions,
    RequestSpec,
    Scope,
    Spoke,
    TargetOverride,
)
from drsorch.contracts.events.restore import (
    LaunchSettingsRestored,
    RestoreOutcome,
    RestoreRequested,
    RestoreResult,
)
from drsorch.contracts.events.roundtrip import (
    RetireAction,
    Retired,
    RetirePlanned,
    RetireRequested,
    RetireResult,
    ReversedServer,
    ReverseReplicationReported,
    ReverseReplicationRequested,
)
from drsorch.contracts.events.v1 import V1_EVENTS
from drsorch.contracts.events.v2 import V2_EVENTS
from drsorch.contracts.events.v3 import V3_EVENTS
from drsorch.contracts.events.v4 import V4_EVENTS
from drsorch.contracts.registry import EventRegistry


def _pairs_matched_v1_v2(payload: dict[str, Any]) -> dict[str, Any]:
    """v2 names the matcher's hash `match_hash`: the approved hash is the configurator's."""
    lifted = dict(payload)
    lifted["match_hash"] = lifted.pop("plan_hash")
    return lifted


def _pairs_matched_v2_v3(payload: dict[str, Any]) -> dict[str, Any]:
    """v3 pairs may carry the `awsInstanceID` they rest on; a v2 pair carries none."""
    return payload


def _retire_requested_v1_v2(payload: dict[str, Any]) -> dict[str, Any]:
    """A v1 retire never asked to remove the launch-into tag: it keeps it."""
    return {**payload, "launch_tag": "keep"}


def _restore_requested_v1_v2(payload: dict[str, Any]) -> dict[str, Any]:
    """A v1 restore carried no approval: it reads as a plan, which writes nothing."""
    return {**payload, "plan_only": True}


def _unchanged(payload: dict[str, Any]) -> dict[str, Any]:
    """The later version only adds fields with defaults (or, for the retire's events, an
    action kind, `remove_launch_tag`): a payload of the earlier version reads as is."""
    return payload


EVENTS = EventRegistry(
    [
        *V1_EVENTS,
        *V2_EVENTS,
        *V3_EVENTS,
        *V4_EVENTS,
        FailbackRequested,
        FailoverRequested,
        ServersDiscovered,
        PairsMatched,
        TargetConfigured,
        JobStarted,
        JobCompleted,
        RequestCompleted,
        RestoreRequested,
        LaunchSettingsRestored,
        ReverseReplicationRequested,
        ReverseReplicationReported,
        RetireRequested,
        RetirePlanned,
        Retired,
        CancelRequested,
        RequestCancelled,
        DrillRequested,
        DrillVerified,
        DrillCleanupRequested,
        DrillCleanedUp,
    ],
    upcasters={
        ("RetireRequested", 1): _retire_requested_v1_v2,
        ("RetirePlanned", 1): _unchanged,
        ("Retired", 1): _unchanged,
        ("PairsMatched", 1): _pairs_matched_v1_v2,
        ("PairsMatched", 2): _pairs_matched_v2_v3,
        ("RestoreRequested", 1): _restore_requested_v1_v2,
        ("LaunchSettingsRestored", 1): _unchanged,
        ("TargetConfigured", 2): _unchanged,
    },
)
"""Every (type, version) drsorch knows; `EVENTS.parse(raw)` turns bus bytes into an envelope."""

__all__ = [
    "EVENTS",
    "Accounts",
    "Ambiguous",
    "ApprovalStatement",
    "CancelRequested",
    "CancelState",
    "CandidateTarget",
    "Chunk",
    "CleanedInstance",
    "ConfigurationOutcome",
    "ConfigurationResult",
    "DiscoveredServer",
    "DrillCleanedUp",
    "DrillCleanupRequested",
    "DrillInstance",
    "DrillRequested",
    "DrillVerified",
    "FailbackRequested",
    "FailbackServerInfo",
    "FailoverRequested",
    "JobCompleted",
    "JobRecord",
    "JobStarted",
    "LaunchConfiguration",
    "LaunchSettings",
    "LaunchSettingsRestored",
    "LineageClaim",
    "LineageInstance",
    "Pair",
    "PairsMatched",
    "Problem",
    "ProblemKind",
    "Record",
    "RecoveryInstanceInfo",
    "RecoveryPoint",
    "RequestCancelled",
    "RequestCompleted",
    "RequestOptions",
    "RequestSpec",
    "RequestStatus",
    "RestoreOutcome",
    "RestoreRequested",
    "RestoreResult",
    "RetireAction",
    "RetirePlanned",
    "RetireRequested",
    "RetireResult",
    "Retired",
    "ReverseReplicationReported",
    "ReverseReplicationRequested",
    "ReversedServer",
    "Scope",
    "ServerLaunch",
    "ServerOutcome",
    "ServerRef",
    "ServerReport",
    "ServersDiscovered",
    "SignedApproval",
    "SlotPipeline",
    "Spoke",
    "Suggestion",
    "TargetConfigured",
    "TargetOverride",
    "TargetRef",
    "Unmatched",
    "signed_message",
]
