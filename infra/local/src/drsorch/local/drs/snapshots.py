"""Points in time (recovery snapshots) of a source server, and DescribeRecoverySnapshots.

DRS takes a point in time every 10 minutes while a server replicates, and keeps them
on a thinning schedule: every one of the last hour, one an hour for the last day, one a
day for the retention period (7 days by default) [DRS User Guide, "Point in time
states"]. StopReplication deletes them all. The emulator derives them lazily from
`SourceServer.pit_since_ms` (when the server began holding points in time), so no
event is scheduled per snapshot; IDs are derived from the server and the time, so the
same snapshot keeps its ID across calls.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drsorch.local.drs import paging
from drsorch.local.drs.clock import iso, parse_iso
from drsorch.local.drs.context import OpContext, Operation
from drsorch.local.drs.errors import ValidationError
from drsorch.local.drs.state import NOT_REPLICATING, SourceServer

MINUTE_MS = 60_000
EVERY_MS = 10 * MINUTE_MS
HOUR_MS, DAY_MS = 60 * MINUTE_MS, 24 * 60 * MINUTE_MS
RETENTION_MS = 7 * DAY_MS
SEEDED_HISTORY_MS = DAY_MS
"""A server seeded as already protected has held points in time for a day."""
_ALNUM = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class Snapshot:
    """One point in time of one server."""

    snapshot_id: str
    source_server_id: str
    at_ms: int


def snapshot_id(account_id: str, region: str, server_id: str, at_ms: int) -> str:
    """pit-[0-9a-zA-Z]{17}, the same for the same server and time."""
    digest = hashlib.sha256(f"{account_id}/{region}/{server_id}/{at_ms}".encode()).digest()
    number = int.from_bytes(digest[:16], "big")
    chars = []
    for _ in range(17):
        number, rest = divmod(number, len(_ALNUM))
        chars.append(_ALNUM[rest])
    return "pit-" + "".join(chars)


def _kept(age_ms: int, index: int) -> bool:
    """The thinning schedule: all within an hour, hourly within a day, daily within retention."""
    if age_ms <= HOUR_MS:
        return True
    if age_ms <= DAY_MS:
        return index % (HOUR_MS // EVERY_MS) == 0
    return age_ms <= RETENTION_MS and index % (DAY_MS // EVERY_MS) == 0


def of_server(account_id: str, region: str, server: SourceServer, now_ms: int) -> list[Snapshot]:
    """The server's points in time DRS holds now, oldest first."""
    since = server.pit_since_ms
    if since is None:
        return []
    until = now_ms
    if server.agent_lost_ms is not None and server.replication.state not in NOT_REPLICATING:
        until = min(until, server.agent_lost_ms)  # a stalled server takes no new ones
    first = max(1, -(-(now_ms - RETENTION_MS - since) // EVERY_MS))
    found = []
    index = first
    while since + index * EVERY_MS <= until:
        at = since + index * EVERY_MS
        if _kept(now_ms - at, index):
            sid = snapshot_id(account_id, region, server.source_server_id, at)
            found.append(Snapshot(sid, server.source_server_id, at))
        index += 1
    return found


def find(
    account_id: str, region: str, server: SourceServer, wanted: str, now_ms: int
) -> Snapshot | None:
    """The server's snapshot with this ID, if DRS still holds it."""
    for snap in of_server(account_id, region, server, now_ms):
        if snap.snapshot_id == wanted:
            return snap
    return None


def _bound(filters: Mapping[str, Any], name: str) -> int | None:
    text = filters.get(name)
    if not text:
        return None
    try:
        return parse_iso(text)
    except ValueError as error:
        raise ValidationError(
            f"Invalid {name}", fields=[(f"filters.{name}", "is not an ISO-8601 date")]
        ) from error


def view(snap: Snapshot) -> dict[str, Any]:
    """A RecoverySnapshot as the API shows it."""
    return {
        "snapshotID": snap.snapshot_id,
        "sourceServerID": snap.source_server_id,
        "expectedTimestamp": iso(snap.at_ms),
        "timestamp": iso(snap.at_ms),
        "ebsSnapshots": [],
    }


def describe_recovery_snapshots(ctx: OpContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """DescribeRecoverySnapshots: one server's points in time, filtered, ordered, paginated."""
    server = ctx.server(params["sourceServerID"])
    filters = params.get("filters") or {}
    since, until = _bound(filters, "fromDateTime"), _bound(filters, "toDateTime")
    order = params.get("order") or "ASC"
    found = [
        snap
        for snap in of_server(ctx.account_id, ctx.region, server, ctx.now_ms)
        if (since is None or snap.at_ms >= since) and (until is None or snap.at_ms <= until)
    ]
    if order == "DESC":
        found.reverse()
    scope = f"pit:{server.source_server_id}:{since}:{until}:{order}"
    items, token = paging.page(found, params, ctx.emu.settings.paging, scope)
    return {"items": [view(snap) for snap in items]} | ({"nextToken": token} if token else {})


OPERATIONS: dict[str, Operation] = {
    "DescribeRecoverySnapshots": describe_recovery_snapshots,
}
