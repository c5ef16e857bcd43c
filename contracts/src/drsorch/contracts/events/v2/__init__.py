"""The version 2 events, frozen as they were published.

As with `drsorch.contracts.events.v1`: consumers in the field validate v2 messages against
`contracts/schemas/*.v2.schema.json`, so these models never change again, and the registry
upcasts a v2 message to the current version before any handler sees it. Only the events
whose shape moved on past version 2 live here. The requests moved on when the request
spec gained signed approvals (v3): a v2 request reads as a v3 one with no approval, and
the services refuse it as an apply. TargetConfigured moved on when it gained the
failback pipeline's slot counts (v3): a v2 one reads as v3 with no pipeline.
"""

from drsorch.contracts.events.v2.configuration import TargetConfigured
from drsorch.contracts.events.v2.discovery import ServersDiscovered
from drsorch.contracts.events.v2.matching import PairsMatched
from drsorch.contracts.events.v2.requests import FailbackRequested, FailoverRequested

V2_EVENTS = (
    FailbackRequested,
    FailoverRequested,
    ServersDiscovered,
    PairsMatched,
    TargetConfigured,
)
"""The published v2 models of events that have a later version."""
