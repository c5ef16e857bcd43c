"""Pure decisions of the failback pipeline: who holds a slot, how many are free, who is next,
and whether DRS and EC2 show a server landed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from drsorch.configurator.pipeline.ports import Held, JobOutcome, Launched, Reservation
from drsorch.configurator.records import PairRecord
from drsorch.contracts.types import Place

LANDED_OUTCOMES = frozenset({"configured", "unchanged"})
GONE = frozenset({"terminated", "shutting-down", "TERMINATED", "SHUTTING-DOWN"})
LANDED_EC2_STATES = frozenset({"running", "stopped"})


@dataclass(frozen=True)
class Occupancy:
    """The replicating-servers quota of one account and region, as DRS shows it now."""

    place: Place
    quota: int
    limit: int | None
    """The request's own slot limit, lower than the quota (None: the quota alone)."""
    replicating: int
    """Every replicating server of the place, the request's and anyone else's."""
    ours: int
    """Of those, the FAILBACK servers of this request's pairs."""
    reserved: int
    """Slots given to this request's pairs whose FAILBACK server does not replicate yet."""
    others_reserved: int = 0
    """Slots given to other requests' pairs whose FAILBACK server does not replicate yet."""

    @property
    def free(self) -> int:
        by_quota = self.quota - self.replicating - self.reserved - self.others_reserved
        if self.limit is None:
            return max(0, by_quota)
        return max(0, min(by_quota, self.limit - self.ours - self.reserved))

    @property
    def outside(self) -> int:
        """Slots others hold: their replicating servers and their slots given, not used yet."""
        return self.replicating - self.ours + self.others_reserved

    @property
    def capacity(self) -> int:
        """Slots the request can hold at once: the limit, and what others leave of the quota."""
        room = self.quota - self.outside
        return max(0, room if self.limit is None else min(room, self.limit))


def slot_limit(deployment: int | None, request: int | None) -> int | None:
    """The lower of the deployment's and the request's slot limits (None: the quota alone)."""
    given = [limit for limit in (deployment, request) if limit is not None]
    return min(given) if given else None


def primary_place(record: PairRecord, primary_region: str) -> Place:
    """Where the pair's FAILBACK server replicates: its account, the primary region."""
    return Place(record.pair.server.account_id, primary_region)


def queue(records: Iterable[PairRecord]) -> list[PairRecord]:
    """Pairs in the order they get slots: earlier waves first, then by server."""
    return sorted(records, key=lambda r: (r.pair.server.wave, r.server_id))


def live_failbacks(listing: Iterable[Held]) -> dict[str, Held]:
    """The replicating FAILBACK servers of a place, by the recovery EC2 instance they replicate."""
    return {
        held.aws_instance_id: held
        for held in listing
        if held.direction == "FAILBACK" and held.replicating and held.aws_instance_id
    }


def needs_slot(record: PairRecord) -> bool:
    """A pair still to start reverse replication that has no slot yet."""
    return (
        record.result is None
        and record.admitted_at is None
        and not record.reverse_replication_started
    )


def occupancy(
    place: Place,
    quota: int,
    limit: int | None,
    listing: Sequence[Held],
    records: Sequence[PairRecord],
    *,
    request_id: str,
    reservations: Sequence[Reservation] = (),
    now: datetime,
) -> Occupancy:
    """How the place's slots are taken: by DRS's listing, plus the ledger's slots given and
    not yet used (by any request; a reservation whose FAILBACK server already replicates is
    counted once, by DRS; an expired one not at all)."""
    live = live_failbacks(listing)
    instances = {r.pair.recovery_ec2_instance_id for r in records}
    ours = sum(1 for ec2 in live if ec2 in instances)
    held = unused(reservations, live, now)
    # The request's own: in the ledger, or recorded on its pairs (should the ledger have
    # lost them, the request still does not give them twice).
    mine = {r.server_id for r in held if r.request_id == request_id} | {
        r.server_id
        for r in records
        if r.admitted_at is not None
        and r.result is None
        and r.pair.recovery_ec2_instance_id not in live
    }
    others = sum(1 for r in held if r.request_id != request_id)
    replicating = sum(1 for h in listing if h.replicating)
    return Occupancy(place, quota, limit, replicating, ours, len(mine), others)


def unused(
    reservations: Iterable[Reservation], live: Mapping[str, Held], now: datetime
) -> list[Reservation]:
    """The reservations that still hold a slot: not expired, FAILBACK server not replicating."""
    return [r for r in reservations if r.expires_at > now and r.instance_id not in live]


def landing_proof(
    record: PairRecord,
    launched: Iterable[Launched],
    jobs: Mapping[str, JobOutcome],
    ec2_states: Mapping[str, str],
    *,
    drill: bool,
    since: datetime | None,
) -> str | None:
    """The DRS and EC2 facts that show the pair's server landed; None when they do not.

    Landed means: a recovery instance of its FAILBACK server (of the request's kind, drill
    or not) in the approved target (any instance for a standard launch), made by a job DRS
    reports COMPLETED with the server LAUNCHED and created no earlier than the server's
    current replication began (`since`, both DRS's own times: an earlier round trip's
    landing in the same target, never retired, is not this one), and EC2 shows that
    instance running or stopped. Anything less, and its slot is not freed.
    """
    result = record.result
    if result is None or result.outcome not in LANDED_OUTCOMES or since is None:
        return None
    server_id = result.launching_server_id
    expected = result.target_instance_id
    for instance in launched:
        if instance.source_server_id != server_id or instance.is_drill != drill:
            continue
        if instance.ec2_state in GONE or instance.ec2_instance_id is None:
            continue
        if expected is not None and instance.ec2_instance_id != expected:
            continue
        job = jobs.get(instance.job_id or "")
        if job is None or job.status != "COMPLETED" or server_id not in job.launched:
            continue
        if job.created is None or job.created < since:
            continue
        state = ec2_states.get(instance.ec2_instance_id)
        if state not in LANDED_EC2_STATES:
            continue
        return (
            f"DRS: recovery instance {instance.recovery_instance_id} of {server_id} is EC2 "
            f"{instance.ec2_instance_id}, launched by job {job.job_id} (COMPLETED, LAUNCHED; "
            f"created {job.created.isoformat()}, replication began "
            f"{since.isoformat()}); EC2: {instance.ec2_instance_id} is {state}"
        )[:1024]
    return None


def batches(servers: int, capacity: int) -> int | None:
    """How many rounds of slots `servers` need at `capacity` at once; None when none fit."""
    if servers == 0:
        return 0
    return None if capacity <= 0 else math.ceil(servers / capacity)
