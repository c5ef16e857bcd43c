"""The v2 events that carry the request spec forward: the v3 shape with the v2 spec."""

from __future__ import annotations

from typing import ClassVar

from drsorch.contracts.events import discovery, matching
from drsorch.contracts.events.v2.requests import RequestSpec


class ServersDiscovered(discovery.ServersDiscovered):
    """Discovery's result for one request: servers in scope, candidate targets, problems.

    `servers` lists every server in scope, those with problems included, so the
    report can name them. Servers are split across chunks by source server ID and
    targets by instance ID; a reader judges matches only once it holds every chunk,
    since a Name is ambiguous only against all targets.
    """

    event_version: ClassVar[int] = 2

    spec: RequestSpec  # type: ignore[assignment]


class PairsMatched(matching.PairsMatched):
    """The matcher's pairing for one request.

    Discovery's problems are carried forward so the monitor can report them without
    reading discovery's state. `match_hash` covers the whole pairing (every chunk); the
    hash an operator approves is the configurator's, over what an apply would launch.
    """

    event_version: ClassVar[int] = 2

    spec: RequestSpec  # type: ignore[assignment]
