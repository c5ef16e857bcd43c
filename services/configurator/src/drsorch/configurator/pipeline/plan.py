"""The failback pipeline as the plan shows it, per server: the replication slots its FAILBACK
server will take a turn in, or why it cannot be placed at all.

Read from DRS when the pairs are planned: what replicates in each primary account and
region now, outside the request too. A place where no slot can be given to the request
(others fill the quota, or the slot limit leaves none) cannot take its servers: they are
planned not to launch, named with the reason, and the approval covers exactly that.
"""

from __future__ import annotations

import math
from collections import defaultdict

from drsorch.configurator.dependencies import Dependencies
from drsorch.configurator.errors import Refused, Transient
from drsorch.configurator.pipeline import domain
from drsorch.configurator.records import PairRecord, PlannedSlots, RequestRecord
from drsorch.contracts import RequestSpec, SlotPipeline
from drsorch.contracts.types import Place
from drsorch.runtime.accounts import AccountUnreachable


async def plan_slots(
    request_id: str,
    request: RequestRecord,
    deps: Dependencies,
    records: list[PairRecord],
    *,
    new: set[str],
    save: bool = True,
) -> list[PairRecord]:
    """The records, the newly planned (`new`) each saying its slot round, or rejected when
    none can be had; what changed is saved (unless the caller saves it)."""
    spec = request.spec
    planned = [r for r in records if r.server_id in new and r.planned is not None]
    if deps.pipeline is None or spec.operation != "failback" or not planned:
        return records
    cloud, calls = deps.pipeline.cloud(spec.accounts)
    by_place: defaultdict[Place, list[PairRecord]] = defaultdict(list)
    for record in planned:
        by_place[domain.primary_place(record, spec.primary_region)].append(record)
    limit = domain.slot_limit(deps.settings.failback_slots, spec.options.failback_slots)
    out: dict[str, PairRecord] = {}
    try:
        for place, here in sorted(by_place.items()):
            try:
                ledger = await deps.pipeline.ledger.read(place)
                listing = await cloud.servers_in(place)
            except (Transient, Refused, AccountUnreachable):
                continue  # the apply counts again; the plan just cannot say
            seen = domain.occupancy(
                place,
                deps.settings.replicating_servers_quota,
                limit,
                listing,
                here,
                request_id=request_id,
                reservations=ledger.entries,
                now=deps.clock.now(),
            )
            live = domain.live_failbacks(listing)
            queued = [
                r
                for r in domain.queue(here)
                if r.planned is not None
                and r.planned.outcome == "planned"
                and r.pair.recovery_ec2_instance_id not in live
            ]
            out |= {r.server_id: _annotated(r, seen, index) for index, r in enumerate(queued)}
    finally:
        await deps.store.add_calls(request_id, calls)
    if out and save:
        await deps.store.save_pairs(request_id, list(out.values()))
    return [out.get(r.server_id, r) for r in records]


def _annotated(record: PairRecord, seen: domain.Occupancy, index: int) -> PairRecord:
    assert record.planned is not None
    kept = PlannedSlots(
        account_id=seen.place.account_id,
        region=seen.place.region,
        quota=seen.quota,
        limit=seen.limit,
        outside=seen.outside,
        capacity=seen.capacity,
    )
    slots = (
        f"{seen.capacity} replication slots in {seen.place} (quota {seen.quota}"
        + (f", slot limit {seen.limit}" if seen.limit is not None else "")
        + f", {seen.outside} held outside the request)"
    )
    if seen.capacity <= 0:
        reason = f"cannot be placed: no replication slot for its FAILBACK server; {slots}"
        planned = record.planned.model_copy(
            update={"outcome": "rejected", "reason": reason, "unplaced": True}
        )
    else:
        turn = math.floor(index / seen.capacity) + 1
        reason = f"{record.planned.reason or 'planned'}; slot round {turn} of {slots}"
        planned = record.planned.model_copy(update={"reason": reason[:1024]})
    return record.model_copy(update={"planned": planned, "slots": kept})


def pipeline(spec: RequestSpec, records: list[PairRecord]) -> tuple[SlotPipeline, ...]:
    """The plan's pipeline per primary place, from the slots each pair was planned with."""
    by_place: defaultdict[Place, list[PlannedSlots]] = defaultdict(list)
    for record in records:
        if record.slots is not None:
            by_place[Place(record.slots.account_id, record.slots.region)].append(record.slots)
    sync = spec.options.assumed_sync_seconds
    out = []
    for place, kept in sorted(by_place.items()):
        # Planned over several steps (some pairs waited to be read): the fewest slots seen.
        seen = min(kept, key=lambda k: (k.capacity, -k.outside))
        unplaced = sum(1 for k in kept if k.capacity <= 0)
        placed = len(kept) - unplaced
        batches = domain.batches(placed, seen.capacity) or 0
        out.append(
            SlotPipeline(
                account_id=place.account_id,
                region=place.region,
                quota=seen.quota,
                slot_limit=seen.limit,
                replicating_outside=seen.outside,
                slots=seen.capacity,
                servers=len(kept),
                batches=batches,
                assumed_sync_seconds=sync,
                estimate_seconds=batches * sync,
                unplaced=unplaced,
            )
        )
    return tuple(out)
