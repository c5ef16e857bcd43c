"""Every drsorch event, version 1, and the registry consumers parse them with.

A new major version of an event is a new class (e.g. `PairsMatchedV2` with
`event_version = 2`) registered beside the old one, never an edit of a published
model: `tests/unit/contracts` fails when a committed schema changes in place.
"""

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
    TargetConfigured,
)
from drsorch.contracts.events.discovery import (
    CandidateTarget,
    DiscoveredServer,
    FailbackServerInfo,
    RecoveryInstanceInfo,
    ServersDiscovered,
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
)
from drsorch.contracts.events.restore import (
    LaunchSettingsRestored,
    RestoreOutcome,
    RestoreRequested,
    RestoreResult,
)
from drsorch.contracts.registry import EventRegistry

EVENTS = EventRegistry(
    [
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
    ]
)
"""Every (type, version) drsorch knows; `EVENTS.parse(raw)` turns bus bytes into an envelope."""

__all__ = [
    "EVENTS",
    "Accounts",
    "Ambiguous",
    "CandidateTarget",
    "Chunk",
    "ConfigurationOutcome",
    "ConfigurationResult",
    "DiscoveredServer",
    "FailbackRequested",
    "FailbackServerInfo",
    "FailoverRequested",
    "JobCompleted",
    "JobRecord",
    "JobStarted",
    "LaunchConfiguration",
    "LaunchSettings",
    "LaunchSettingsRestored",
    "Pair",
    "PairsMatched",
    "Problem",
    "ProblemKind",
    "Record",
    "RecoveryInstanceInfo",
    "RequestCompleted",
    "RequestOptions",
    "RequestSpec",
    "RequestStatus",
    "RestoreOutcome",
    "RestoreRequested",
    "RestoreResult",
    "Scope",
    "ServerLaunch",
    "ServerOutcome",
    "ServerRef",
    "ServerReport",
    "ServersDiscovered",
    "Spoke",
    "Suggestion",
    "TargetConfigured",
    "TargetRef",
    "Unmatched",
]
