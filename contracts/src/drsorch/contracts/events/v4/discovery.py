"""ServersDiscovered v4: the v5 shape with the v3 request spec
(before the failback slot options)."""

from __future__ import annotations

from typing import ClassVar

from drsorch.contracts.events import discovery
from drsorch.contracts.events.v3.requests import RequestSpec


class ServersDiscovered(discovery.ServersDiscovered):
    """Discovery's result for one request: servers in scope, candidate targets, problems.

    `servers` lists every server in scope, those with problems included, so the
    report can name them. Servers are split across chunks by source server ID and
    targets by instance ID; a reader judges matches only once it holds every chunk,
    since a Name is ambiguous only against all targets.
    """

    event_version: ClassVar[int] = 4

    spec: RequestSpec
