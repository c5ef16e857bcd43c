"""A request's state kept in the worker between its runs, valid only at one version.

Loading a request reads every one of its records; at a thousand servers that is most
of a run. The summary item carries a `version`, and every write that changes what
`Store.load` returns moves it:

- a run claims a fresh version (a conditional write on the version it read) before
  it writes anything, so a run cut short never leaves a version another worker's
  cache still matches;
- its commit writes the summary at that version only if the version is still its
  own; if someone moved it meanwhile, the commit writes a version nobody holds;
- writers outside the lease (configuration results, a drill's point in time) move
  the version after writing their records.

A worker reuses its copy only when the version it reads is the one its own last
commit wrote (or that its own keeping of configuration results moved on from there,
`advance`); otherwise it loads. A copy is taken out of the cache for the run that
uses it and put back only by that run's successful commit, so a run that fails half
way never leaves a half-changed copy behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable

from drsorch.monitor.domain.records import RequestState

DEFAULT_SIZE = 64


def fresh_version() -> str:
    """A version of a request's records that no worker holds yet."""
    return uuid.uuid4().hex


class StateCache:
    """The last committed state of the requests this worker ran, by request and version."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._size = size
        self._kept: OrderedDict[str, tuple[str, RequestState]] = OrderedDict()
        self._writers: dict[str, tuple[asyncio.Lock, int]] = {}

    def take(self, request_id: str, version: str | None) -> RequestState | None:
        """The kept state if it is at exactly `version`; it leaves the cache either way."""
        kept = self._kept.pop(request_id, None)
        if kept is None or version is None or kept[0] != version:
            return None
        return kept[1]

    def keep(self, request_id: str, version: str, state: RequestState) -> None:
        self._kept[request_id] = (version, state)
        self._kept.move_to_end(request_id)
        while len(self._kept) > self._size:
            self._kept.popitem(last=False)

    def peek(self, request_id: str) -> tuple[str, RequestState] | None:
        """The kept version and state, left in place (for checks, never for a run)."""
        return self._kept.get(request_id)

    def forget(self, request_id: str) -> None:
        self._kept.pop(request_id, None)

    def __contains__(self, request_id: str) -> bool:
        return request_id in self._kept

    def advance(
        self, request_id: str, seen: str, version: str, change: Callable[[RequestState], None]
    ) -> None:
        """The records moved from `seen` to `version` by a write of this worker's outside
        any run: the kept state at `seen` takes the same `change` and is kept at `version`.
        (Kept at any other version, or taken by a run, it is left as it is.)"""
        kept = self._kept.get(request_id)
        if kept is None or kept[0] != seen:
            return
        change(kept[1])
        self._kept[request_id] = (version, kept[1])

    @contextlib.asynccontextmanager
    async def writing(self, request_id: str) -> AsyncIterator[None]:
        """One such write, or run, of a request at a time in this worker, so each moves the
        version on from the one before rather than race it (and lose the kept state)."""
        lock, users = self._writers.get(request_id, (asyncio.Lock(), 0))
        self._writers[request_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._writers[request_id]
            if users == 1:
                del self._writers[request_id]
            else:
                self._writers[request_id] = (lock, users - 1)
