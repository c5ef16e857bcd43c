"""ServersDiscovered v3: the v4 shape with the v2 request spec (before approvals)."""

from __future__ import annotations

from typing import ClassVar

from drsorch.contracts.events import discovery
from drsorch.contracts.events.v2.requests import RequestSpec


class ServersDiscovered(discovery.ServersDiscovered):
    """Discovery's result for one request: servers in scope, candidate targets, problems.

    `servers` lists every server in scope, those with problems included, so the
    report can name them. Servers are split across chunks by source server ID and
    targets by instance ID; a reader judges matches only once it holds every chunk,
    since a Name is ambiguous only against all targets.
    """

    event_version: ClassVar[int] = 3

    spec: RequestSpec  # type: ignore[assignment]
