"""The version 4 events, frozen as they were published.

ServersDiscovered v4 and PairsMatched v4 moved on to v5 when the request spec they carry
gained the failback slot options (the requests went from v3 to v4); each reads as v5
with no slot limit.
"""

from drsorch.contracts.events.v4.discovery import ServersDiscovered
from drsorch.contracts.events.v4.matching import PairsMatched

V4_EVENTS = (ServersDiscovered, PairsMatched)
"""The published v4 models of events that have a later version."""
