"""Put back the launch configurations a request changed, from the previous settings kept.

Each launching server gets back the configuration it had before drsorch first
changed it for that request (launch-into target included: cleared when there was
none). A restore writes the very settings a launch runs with, so it is planned and
approved like any apply: a plan-only restore reads each server's configuration and
answers with what it would put back and the hash of exactly that (`restore_hash`);
an apply re-reads, is refused before any write when that hash drifted or its signed
approvals do not verify (the same rules as a failback's, `Approvals.apply_refusal`),
and only then writes. A server whose configuration already matches is left alone;
one DRS refuses (in an active job, deleted) is reported failed and the others go on.
Throttling that outlasts the client's retries fails the message, which returns:
restoring again is harmless, as servers already restored read `unchanged`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from drsorch.configurator.domain import unmet_fields
from drsorch.configurator.errors import RecoveryInstanceBusy, Refused
from drsorch.configurator.ports import Approvals, Cloud, CloudFactory, Store
from drsorch.configurator.records import PreviousSettings
from drsorch.contracts import Chunk, LaunchSettingsRestored, RestoreRequested, RestoreResult
from drsorch.runtime.accounts import AccountUnreachable
from drsorch.runtime.chunks import split


@dataclass(frozen=True)
class Restore:
    """What a restore is given: its request, under its own request ID, and when it runs."""

    request: RestoreRequested
    request_id: str
    now: datetime


@dataclass(frozen=True)
class Read:
    """One kept server, read back from DRS: whether restoring it changes anything."""

    previous: PreviousSettings
    changes: bool
    failure: str | None = None


def restore_hash(reads: Sequence[Read]) -> str:
    """What an approval of a restore binds: each server it changes, where, and to what."""
    body = [
        [
            r.previous.launching_server_id,
            r.previous.account_id,
            r.previous.region,
            r.previous.configuration.model_dump(mode="json"),
        ]
        for r in sorted(reads, key=lambda r: r.previous.launching_server_id)
        if r.changes and r.failure is None
    ]
    encoded = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


async def restore(
    given: Restore, store: Store, cloud_factory: CloudFactory, approvals: Approvals
) -> list[LaunchSettingsRestored]:
    """Plan, or apply once approved, the restore of every kept configuration of the request
    (or of the servers named)."""
    request = given.request
    target = request.restore_request_id
    every = await store.previous(target)
    kept = _selected(every, request.source_server_ids)
    stored = await store.request(target)
    if not kept or stored is None:
        reason = f"no launch settings were kept for request {target}"
        if every and stored is not None:
            # Settings were kept, only not for the servers asked for: say so, not "none".
            asked = ", ".join(request.source_server_ids or ())
            reason = (
                f"request {target} kept no launch settings for {asked}; it kept them for"
                f" {len(every)} other server{'s' if len(every) != 1 else ''}"
            )[:1024]
        return [LaunchSettingsRestored(restore_request_id=target, reason=reason)]
    cloud = cloud_factory(stored.spec.accounts)
    reads = [await _read(cloud, previous) for previous in kept]
    plan_hash = restore_hash(reads)
    if request.plan_only:
        return _events(target, [_planned(r) for r in reads], dict(cloud.calls), plan_hash)
    refusal = await _refusal(given, plan_hash, approvals)
    if refusal is not None:
        return [
            LaunchSettingsRestored(
                restore_request_id=target,
                reason=refusal[:1024],
                plan_hash=plan_hash,
                refused=True,
                api_calls=dict(cloud.calls),
            )
        ]
    results = [await _write(cloud, r) for r in reads]
    return _events(target, results, dict(cloud.calls), plan_hash)


async def _refusal(given: Restore, plan_hash: str, approvals: Approvals) -> str | None:
    """Why the apply may not write: drift first (what changed), then its approvals."""
    approved = given.request.approved_plan_hash
    if approved != plan_hash:
        return (
            f"plan drift: what this restore would put back now hashes to {plan_hash}, not the "
            f"approved {approved}: plan the restore again"
        )
    return await approvals.apply_refusal(
        given.request.approvals, given.request_id, [plan_hash], given.now
    )


def _selected(
    kept: Sequence[PreviousSettings], only: Sequence[str] | None
) -> list[PreviousSettings]:
    ordered = sorted(kept, key=lambda item: item.launching_server_id)
    if only is None:
        return ordered
    wanted = set(only)
    return [
        item
        for item in ordered
        if item.source_server_id in wanted or item.launching_server_id in wanted
    ]


async def restore_one(cloud: Cloud, previous: PreviousSettings) -> RestoreResult:
    """Put back one kept configuration unless it is already in place; the result."""
    return await _write(cloud, await _read(cloud, previous))


async def _read(cloud: Cloud, previous: PreviousSettings) -> Read:
    try:
        current = await cloud.drs.launch_configuration(previous.place, previous.launching_server_id)
    except (Refused, RecoveryInstanceBusy, AccountUnreachable) as exc:
        return Read(previous, changes=False, failure=str(exc)[:1024])
    # Only what the update would set counts: a field kept empty is left as it is.
    return Read(previous, changes=bool(unmet_fields(previous.configuration, current)))


def _planned(read: Read) -> RestoreResult:
    if read.failure is not None:
        return _result(read.previous, "failed", reason=read.failure)
    return _result(read.previous, "planned" if read.changes else "unchanged")


async def _write(cloud: Cloud, read: Read) -> RestoreResult:
    previous = read.previous
    if read.failure is not None or not read.changes:
        return _planned(read)
    try:
        await cloud.drs.update_launch_configuration(
            previous.place, previous.launching_server_id, previous.configuration
        )
    except (Refused, RecoveryInstanceBusy, AccountUnreachable) as exc:
        return _result(previous, "failed", reason=str(exc)[:1024])
    return _result(previous, "restored")


def _result(previous: PreviousSettings, outcome: str, reason: str | None = None) -> RestoreResult:
    return RestoreResult.model_validate(
        {
            "source_server_id": previous.source_server_id,
            "launching_server_id": previous.launching_server_id,
            "account_id": previous.account_id,
            "region": previous.region,
            "outcome": outcome,
            "reason": reason,
            "restored": previous.configuration if outcome != "failed" else None,
        }
    )


def _events(
    target: str, results: Sequence[RestoreResult], calls: dict[str, int], plan_hash: str
) -> list[LaunchSettingsRestored]:
    def build(items: Sequence[RestoreResult], chunk: Chunk) -> LaunchSettingsRestored:
        return LaunchSettingsRestored(
            restore_request_id=target,
            results=tuple(items),
            api_calls=calls if chunk.index == 0 else {},
            plan_hash=plan_hash,
            chunk=chunk,
        )

    return split(build, results)
