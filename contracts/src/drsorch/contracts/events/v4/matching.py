"""PairsMatched v4: the v5 shape with the v3 request spec
(before the failback slot options)."""

from __future__ import annotations

from typing import ClassVar

from drsorch.contracts.events import matching
from drsorch.contracts.events.v3.requests import RequestSpec


class PairsMatched(matching.PairsMatched):
    """The matcher's pairing for one request.

    Discovery's problems are carried forward so the monitor can report them without
    reading discovery's state. `match_hash` covers the whole pairing (every chunk); the
    hash an operator approves is the configurator's, over what an apply would launch.
    """

    event_version: ClassVar[int] = 4

    spec: RequestSpec
