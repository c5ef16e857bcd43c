"""The version 1 events, frozen as they were published.

Consumers in the field validate v1 messages against `contracts/schemas/*.v1.schema.json`,
so these models never change again; the registry reads a v1 message with them and
upcasts it to the current version (`drsorch.contracts.upcast`) before any handler sees
it. Only the events whose shape moved on live here; the others are still version 1.
"""

from drsorch.contracts.events.v1.configuration import TargetConfigured
from drsorch.contracts.events.v1.discovery import ServersDiscovered
from drsorch.contracts.events.v1.jobs import JobCompleted
from drsorch.contracts.events.v1.matching import PairsMatched
from drsorch.contracts.events.v1.report import RequestCompleted
from drsorch.contracts.events.v1.requests import FailbackRequested, FailoverRequested
from drsorch.contracts.events.v1.restore import LaunchSettingsRestored, RestoreRequested
from drsorch.contracts.events.v1.roundtrip import Retired, RetirePlanned, RetireRequested

V1_EVENTS = (
    FailbackRequested,
    FailoverRequested,
    ServersDiscovered,
    PairsMatched,
    TargetConfigured,
    JobCompleted,
    RequestCompleted,
    RestoreRequested,
    LaunchSettingsRestored,
    RetireRequested,
    RetirePlanned,
    Retired,
)
"""The published v1 models of events that have a later version."""
