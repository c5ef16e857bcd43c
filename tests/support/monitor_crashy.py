"""A monitor worker that dies at one chosen point, as `kill -9` would: no cleanup, no
settling of the message in hand.

    PYTHONPATH=tests python -m support.monitor_crashy after-intent
    PYTHONPATH=tests python -m support.monitor_crashy after-start

`after-intent` dies right after the first batch's intent is recorded, before its
StartRecovery; `after-start` right after StartRecovery created the job, before the
monitor recorded it. Either way the process exits with code 137.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, cast

from drsorch.contracts import Accounts
from drsorch.contracts.types import Place
from drsorch.monitor.bootstrap import NAME, dependencies, service
from drsorch.monitor.domain.facts import RecoveryJob
from drsorch.monitor.domain.records import BatchRecord
from drsorch.monitor.ports import Cloud, CloudFactory, Drs, Store
from drsorch.monitor.settings import MonitorSettings
from drsorch.runtime import Resources, Service, run_worker

KILLED = 137


def die() -> None:
    sys.stderr.write("monitor_crashy: dying on purpose\n")
    sys.stderr.flush()
    os._exit(KILLED)


class DieAfterIntent:
    """The real store; the process dies once an intent is recorded."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def record_intent(self, request_id: str, batch: BatchRecord) -> bool:
        recorded = await self.inner.record_intent(request_id, batch)
        if recorded:
            die()
        return recorded


class _DieAfterStartDrs:
    def __init__(self, inner: Drs) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def start_recovery(
        self, server_ids: Sequence[str], *, drill: bool, snapshots: Mapping[str, str] | None = None
    ) -> RecoveryJob:
        await self.inner.start_recovery(server_ids, drill=drill, snapshots=snapshots)
        die()
        raise AssertionError("unreachable")


class _DieAfterStartCloud:
    def __init__(self, inner: Cloud) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def drs(self, place: Place) -> Drs:
        return cast(Drs, _DieAfterStartDrs(self.inner.drs(place)))


def die_after_start(inner: CloudFactory) -> CloudFactory:
    def make(accounts: Accounts) -> Cloud:
        return cast(Cloud, _DieAfterStartCloud(inner(accounts)))

    return make


def crashing(point: str) -> Any:
    async def build(resources: Resources) -> Service:
        deps = await dependencies(resources, MonitorSettings())
        if point == "after-intent":
            deps = replace(deps, store=cast(Store, DieAfterIntent(deps.store)))
        elif point == "after-start":
            deps = replace(deps, cloud=die_after_start(deps.cloud))
        else:
            raise SystemExit(f"unknown point {point!r}: after-intent or after-start")
        return service(deps)

    return build


if __name__ == "__main__":
    run_worker(NAME, crashing(sys.argv[1]))
