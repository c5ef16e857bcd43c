"""The version 3 events, frozen as they were published.

PairsMatched v3 (pairs carrying the `awsInstanceID` they rest on) moved on to v4 when
the request spec it carries gained signed approvals, and so did ServersDiscovered v3
(its extended lineage); each reads as v4 with no approval.
"""

from drsorch.contracts.events.v3.discovery import ServersDiscovered
from drsorch.contracts.events.v3.matching import PairsMatched

V3_EVENTS = (ServersDiscovered, PairsMatched)
"""The published v3 models of events that have a later version."""
