"""The version 3 events, frozen as they were published.

PairsMatched v3 (pairs carrying the `awsInstanceID` they rest on) moved on to v4 when
the request spec it carries gained signed approvals, and so did ServersDiscovered v3
(its extended lineage); each reads as v4 with no approval. The requests' v3 moved on to
v4 when the spec gained the failback slot options; a v3 request reads as v4 with none.
"""

from drsorch.contracts.events.v3.discovery import ServersDiscovered
from drsorch.contracts.events.v3.matching import PairsMatched
from drsorch.contracts.events.v3.requests import FailbackRequested, FailoverRequested

V3_EVENTS = (FailbackRequested, FailoverRequested, ServersDiscovered, PairsMatched)
"""The published v3 models of events that have a later version."""
