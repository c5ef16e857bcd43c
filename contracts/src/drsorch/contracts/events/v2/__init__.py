"""The version 2 events, frozen as they were published.

Version 3 adds signed approvals to the request spec, so every event that carries the
spec moved on; the registry reads a v2 message with these models and lifts it to v3
unchanged (a v2 apply then has no approval, and the services refuse it).
"""

from drsorch.contracts.events.v2.carried import PairsMatched, ServersDiscovered
from drsorch.contracts.events.v2.requests import FailbackRequested, FailoverRequested

V2_EVENTS = (FailbackRequested, FailoverRequested, ServersDiscovered, PairsMatched)
"""The published v2 models of events that have a later version."""
