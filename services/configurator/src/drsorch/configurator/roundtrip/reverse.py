"""Reverse replication for the landed servers of an earlier request, watched until healthy.

After a failover (`prepare_failback`) each recovered server's recovery-region instance
starts replicating back, so each gets its FAILBACK-direction server in the primary
region. After a failback (`reprotect`) each primary-side recovery instance (the
original, launched into) starts replicating again to the recovery region: DRS
re-points the **same** FAILOVER-direction server at it, which goes STALLED
(AGENT_NOT_SEEN) while the original was down, then RESCAN, then CONTINUOUS. A server
is protected when DRS reports it CONTINUOUS, within the lag, and (re-protecting)
with every disk rescanned; one that is not by its deadline fails with DRS's error.

ReverseReplication is not destructive and DRS answers a repeat with
ConflictException ("already started"), so a redelivered step calls it at most once
more and reads the outcome from DRS.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel

from drsorch.configurator.errors import Refused
from drsorch.configurator.records import PairRecord
from drsorch.configurator.roundtrip.landing import Landings, landings
from drsorch.configurator.roundtrip.ports import (
    RecoveryView,
    ReverseBusy,
    RoundTripDrs,
    ServerView,
)
from drsorch.contracts import (
    Accounts,
    RequestSpec,
    ReversedServer,
    ReverseReplicationRequested,
)
from drsorch.contracts.events.roundtrip import ReverseOutcome, ReversePurpose
from drsorch.contracts.types import Place

LANDED = frozenset({"configured", "unchanged"})
GONE = frozenset({"TERMINATED", "SHUTTING-DOWN", "NOT_FOUND"})


class Track(BaseModel):
    """One server of the earlier request, on its way to being protected the other way."""

    source_server_id: str
    account_id: str
    instance_region: str
    """Where the recovery instance to reverse lives."""
    reversed_region: str
    """Where the reversed server lives (the region replication now goes to)."""
    launching_server_id: str
    """The server whose recovery instance is reversed (FAILBACK one when re-protecting)."""
    expected_ec2: str | None = None
    """Re-protecting: the original the failback launched into."""
    recovery_instance_id: str | None = None
    ec2_instance_id: str | None = None
    reversed_server_id: str | None = None
    reverse_called: bool = False
    outcome: ReverseOutcome = "waiting"
    reason: str | None = None
    state: str | None = None
    lag_seconds: int | None = None
    rescanned_bytes: int = 0
    total_bytes: int = 0

    @property
    def instance_place(self) -> Place:
        return Place(self.account_id, self.instance_region)

    @property
    def reversed_place(self) -> Place:
        return Place(self.account_id, self.reversed_region)

    def report(self) -> ReversedServer:
        return ReversedServer.model_validate(
            {
                "source_server_id": self.source_server_id,
                "account_id": self.account_id,
                "region": self.reversed_region,
                "recovery_instance_id": self.recovery_instance_id,
                "ec2_instance_id": self.ec2_instance_id,
                "reversed_server_id": self.reversed_server_id,
                "replication_state": self.state,
                "lag_seconds": self.lag_seconds,
                "rescanned_bytes": self.rescanned_bytes,
                "total_bytes": self.total_bytes,
                "outcome": self.outcome,
                "reason": (self.reason or "")[:1024] or None,
            }
        )


class ReverseRecord(BaseModel):
    """A reverse-replication request in progress, kept between its timer messages."""

    of_request_id: str
    purpose: ReversePurpose
    accounts: Accounts
    max_lag_seconds: int
    deadline: AwareDatetime
    step: int = 0
    tracks: list[Track]

    @property
    def final(self) -> bool:
        return all(track.outcome != "waiting" for track in self.tracks)


def start(
    request: ReverseReplicationRequested,
    spec: RequestSpec,
    pairs: Sequence[PairRecord],
    now: datetime,
) -> ReverseRecord | str:
    """The record to work through, or why there is nothing to reverse."""
    purpose = request.purpose
    wanted = "failover" if purpose == "prepare_failback" else "failback"
    if spec.operation != wanted or spec.drill:
        return (
            f"{request.of_request_id} is a {'drill ' if spec.drill else ''}{spec.operation}: "
            f"{purpose} follows a {wanted}"
        )
    tracks = [_track(purpose, spec, record) for record in pairs]
    landed = [track for track in tracks if track is not None]
    if not landed:
        return f"no server of {request.of_request_id} was configured to launch"
    return ReverseRecord(
        of_request_id=request.of_request_id,
        purpose=purpose,
        accounts=spec.accounts,
        max_lag_seconds=request.max_replication_lag_seconds,
        deadline=now + timedelta(seconds=request.deadline_seconds),
        tracks=sorted(landed, key=lambda t: t.source_server_id),
    )


def _track(purpose: ReversePurpose, spec: RequestSpec, record: PairRecord) -> Track | None:
    result = record.result
    if result is None or result.outcome not in LANDED or result.launching_server_id is None:
        return None
    reprotect = purpose == "reprotect"
    return Track(
        source_server_id=record.server_id,
        account_id=result.account_id,
        instance_region=spec.primary_region if reprotect else spec.recovery_region,
        reversed_region=spec.recovery_region if reprotect else spec.primary_region,
        launching_server_id=result.launching_server_id,
        expected_ec2=result.target_instance_id if reprotect else None,
    )


async def advance(record: ReverseRecord, drs: RoundTripDrs, now: datetime) -> None:
    """One look at DRS: find instances, start reverse replication, judge health."""
    record.step += 1
    waiting = [t for t in record.tracks if t.outcome == "waiting"]
    await _find_instances(drs, [t for t in waiting if t.recovery_instance_id is None])
    for track in waiting:
        if track.recovery_instance_id is not None and not track.reverse_called:
            await _reverse(drs, track)
    await _judge(drs, record, [t for t in waiting if t.outcome == "waiting"], now)


async def _find_instances(drs: RoundTripDrs, tracks: Sequence[Track]) -> None:
    by_place: defaultdict[Place, list[Track]] = defaultdict(list)
    for track in tracks:
        by_place[track.instance_place].append(track)
    for place, group in by_place.items():
        launching = [t.launching_server_id for t in group]
        found = await drs.recovery_instances(place, launching)
        landed = await _launched_since(drs, place, group, found)
        for track in group:
            chosen = _instance_of(track, found, landed)
            if chosen is None:
                track.outcome = "failed"
                track.reason = _no_instance(track, place, found, landed)
                continue
            track.recovery_instance_id = chosen.recovery_instance_id
            track.ec2_instance_id = chosen.ec2_instance_id
            # Started already (by an earlier step, or by hand): DRS says so on the instance.
            track.reverse_called = chosen.replication_state not in (None, "NOT_STARTED")


async def _launched_since(
    drs: RoundTripDrs, place: Place, tracks: Sequence[Track], found: Sequence[RecoveryView]
) -> Landings | None:
    """For a re-protect, the facts that tell this failback's landing from an earlier round
    trip's (`roundtrip.landing`). None for a failover's servers: their replication restarts whenever
    the original's agent is seen again, so it says nothing about their launch."""
    if not any(t.expected_ec2 is not None for t in tracks):
        return None
    servers = await drs.servers(place, [t.launching_server_id for t in tracks])
    return await landings(drs, place, servers, found)


def _instance_of(
    track: Track, found: Sequence[RecoveryView], landed: Landings | None
) -> RecoveryView | None:
    """The recovery instance of the launching server that the earlier request landed."""
    for view in found:  # newest first
        if view.source_server_id != track.launching_server_id or view.is_drill:
            continue
        if view.ec2_state in GONE:
            continue
        if track.expected_ec2 is not None and view.ec2_instance_id != track.expected_ec2:
            continue
        if landed is not None and not landed.fresh(view):
            continue
        return view
    return None


def _no_instance(
    track: Track, place: Place, found: Sequence[RecoveryView], landed: Landings | None
) -> str:
    if track.expected_ec2 is None:
        return f"no running recovery instance of {track.launching_server_id} in {place}"
    reason = (
        f"no recovery instance of FAILBACK server {track.launching_server_id} in "
        f"{track.expected_ec2} in {place}: the failback did not land there"
    )
    older = [
        v
        for v in found
        if v.source_server_id == track.launching_server_id
        and v.ec2_instance_id == track.expected_ec2
        and not v.is_drill
        and v.ec2_state not in GONE
    ]
    why = [landed.why_not(v) for v in older] if landed is not None else []
    return "; ".join([reason, *(w for w in why if w)])


async def _reverse(drs: RoundTripDrs, track: Track) -> None:
    instance = track.recovery_instance_id or ""
    try:
        arn = await drs.reverse_replication(track.instance_place, instance)
    except ReverseBusy as exc:
        if "already started" in str(exc):
            track.reverse_called = True
        else:  # still initializing: DRS's ConflictException, retried on the next step
            track.reason = f"ReverseReplication on {instance}: {exc}"
        return
    except Refused as exc:
        if "ServiceQuotaExceeded" in str(exc):  # the replicating-servers quota: wait for room
            track.reason = str(exc)
            return
        track.outcome, track.reason = "failed", str(exc)
        return
    track.reverse_called = True
    track.reversed_server_id = arn.rsplit("/", 1)[-1] or None


async def _judge(
    drs: RoundTripDrs, record: ReverseRecord, tracks: Sequence[Track], now: datetime
) -> None:
    reprotect = record.purpose == "reprotect"
    by_place: defaultdict[Place, list[Track]] = defaultdict(list)
    for track in tracks:
        by_place[track.reversed_place].append(track)
    for place, group in by_place.items():
        if reprotect:
            ids = [t.source_server_id for t in group]
        else:  # a FAILBACK server started earlier is named by its FAILOVER server
            await _failback_ids(drs, [t for t in group if not t.reversed_server_id])
            ids = [t.reversed_server_id for t in group if t.reversed_server_id]
        seen = await drs.servers(place, ids)
        for track in group:
            _health(record, track, seen.get(track.reversed_server_id or ""), now)


async def _failback_ids(drs: RoundTripDrs, tracks: Sequence[Track]) -> None:
    """A FAILBACK server started earlier: the FAILOVER server's reversed ARN names it."""
    by_place: defaultdict[Place, list[Track]] = defaultdict(list)
    for track in tracks:
        if track.reverse_called:
            by_place[track.instance_place].append(track)
    for place, group in by_place.items():
        seen = await drs.servers(place, [t.source_server_id for t in group])
        for track in group:
            view = seen.get(track.source_server_id)
            if view is not None and view.reversed_arn:
                track.reversed_server_id = view.reversed_arn.rsplit("/", 1)[-1]


def _health(record: ReverseRecord, track: Track, view: ServerView | None, now: datetime) -> None:
    if record.purpose == "reprotect":
        track.reversed_server_id = track.reversed_server_id or track.source_server_id
        if track.reversed_server_id != track.source_server_id:
            track.outcome = "failed"
            track.reason = (
                f"DRS re-protected {track.ec2_instance_id} with {track.reversed_server_id}, "
                f"not with the same FAILOVER server {track.source_server_id}"
            )
            return
    if view is None:
        _late(record, track, now, track.reason or "the reversed server is not there yet")
        return
    track.state, track.lag_seconds = view.state, view.lag_seconds
    track.rescanned_bytes, track.total_bytes = view.rescanned_bytes, view.total_bytes
    problem = _problem(record, track, view)
    if problem is None:
        track.outcome, track.reason = "protected", None
        return
    _late(record, track, now, problem)


def _problem(record: ReverseRecord, track: Track, view: ServerView) -> str | None:
    """Why DRS does not show the server protected yet; None when it does."""
    source = track.expected_ec2 if record.purpose == "reprotect" else track.ec2_instance_id
    if view.aws_instance_id != source:
        return f"{view.source_server_id} replicates {view.aws_instance_id}, not {source}"
    if not track.reverse_called:
        return track.reason or "reverse replication has not started"
    return _unhealthy(record, view)


def _unhealthy(record: ReverseRecord, view: ServerView) -> str | None:
    if view.state != "CONTINUOUS":
        return f"{view.state}" + (f": {view.error}" if view.error else "")
    if view.lag_seconds is None or view.lag_seconds > record.max_lag_seconds:
        return f"CONTINUOUS with a lag of {view.lag_seconds} s (at most {record.max_lag_seconds})"
    if record.purpose == "reprotect" and not view.all_rescanned:
        return f"rescanned {view.rescanned_bytes} of {view.total_bytes} bytes"
    return None


def _late(record: ReverseRecord, track: Track, now: datetime, problem: str) -> None:
    track.reason = problem
    if now >= record.deadline:
        track.outcome = "failed"
        track.reason = f"not healthy by the deadline ({record.deadline.isoformat()}): {problem}"
