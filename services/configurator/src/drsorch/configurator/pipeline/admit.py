"""One step of the failback pipeline: free the slots of landed servers, then give free slots
to the waiting pairs, earlier waves first.

Runs before the pairs are configured, in every step of an approved failback. Per primary
account and region it reads every source server DRS holds there (the request's and anyone
else's), so the count of what replicates is DRS's own. When pairs wait for more slots
than are free, the request's landed servers give theirs back: the retire order's first
step, StopReplication of the FAILBACK server, recorded as an intent before the call and
finished after a crash. A server DRS and EC2 do not show landed keeps its slot.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from drsorch.configurator.dependencies import Dependencies
from drsorch.configurator.errors import Refused, Transient
from drsorch.configurator.pipeline import domain
from drsorch.configurator.pipeline.ports import (
    Held,
    Ledger,
    PipelineCloud,
    Reservation,
    SlotLedger,
)
from drsorch.configurator.records import PairRecord, RequestRecord, SlotRelease
from drsorch.contracts import ConfigurationResult
from drsorch.contracts.types import Place
from drsorch.runtime.accounts import AccountUnreachable

LEDGER_ATTEMPTS = 4
"""Counts of one place in one step before its pairs wait for the next step."""


async def admit(
    request_id: str,
    request: RequestRecord,
    deps: Dependencies,
    now: datetime,
    records: list[PairRecord],
    *,
    unsettled: list[PairRecord],
) -> tuple[list[PairRecord], list[PairRecord]]:
    """The records after this step of the pipeline, and the unsettled pairs to configure now."""
    spec = request.spec
    if deps.pipeline is None or spec.operation != "failback" or spec.plan_only:
        return records, unsettled
    region = spec.primary_region
    places = {domain.primary_place(r, region) for r in unsettled if domain.needs_slot(r)}
    places |= {domain.primary_place(r, region) for r in records if r.release and not r.release.done}
    if not places:
        return records, unsettled
    cloud, calls = deps.pipeline.cloud(spec.accounts)
    step = _Step(request_id, request, deps, cloud, ledger=deps.pipeline.ledger, now=now)
    try:
        by_place: defaultdict[Place, list[PairRecord]] = defaultdict(list)
        for record in records:
            by_place[domain.primary_place(record, region)].append(record)
        for place in sorted(places):
            await step.place(place, by_place[place])
    finally:
        await deps.store.add_calls(request_id, calls)
    changed = step.changed
    merged = [changed.get(r.server_id, r) for r in records]
    go_on = [changed.get(r.server_id, r) for r in unsettled]
    return merged, [r for r in go_on if r.result is None and not r.slot_waiting]


class _Step:
    """The pipeline's work in one step, place by place; what it changed, by server."""

    def __init__(
        self,
        request_id: str,
        request: RequestRecord,
        deps: Dependencies,
        cloud: PipelineCloud,
        *,
        ledger: SlotLedger,
        now: datetime,
    ) -> None:
        self.request_id = request_id
        self.request = request
        self.deps = deps
        self.cloud = cloud
        self.ledger = ledger
        self.now = now
        self.changed: dict[str, PairRecord] = {}
        self.known: dict[str, PairRecord] = {}

    async def _save(self, records: Sequence[PairRecord]) -> None:
        updated = [r for r in records if r != self.known.get(r.server_id)]
        if updated:
            await self.deps.store.save_pairs(self.request_id, list(updated))
            self.changed |= {r.server_id: r for r in updated}
            self.known |= {r.server_id: r for r in updated}

    def _current(self, record: PairRecord) -> PairRecord:
        return self.changed.get(record.server_id, record)

    def _place_of(self, record: PairRecord) -> Place:
        return domain.primary_place(record, self.request.spec.primary_region)

    async def place(self, place: Place, here: list[PairRecord]) -> None:
        self.known |= {r.server_id: r for r in here}
        try:
            await self._count(place, here)
        except Transient as exc:
            # Nothing is admitted where DRS cannot be read now: its pairs wait for the next step.
            why = f"replication slots in {place} unknown: {exc}"
            await self._save([self._late(place, r, why) for r in map(self._current, here)])
        except (Refused, AccountUnreachable) as exc:
            why = f"replication slots in {place} cannot be read: {exc}"
            rejected = [
                self._rejected(r, why) for r in map(self._current, here) if domain.needs_slot(r)
            ]
            await self._save(rejected)

    async def _count(self, place: Place, here: list[PairRecord]) -> None:
        """Count the place and give its free slots, again while other requests overtake."""
        for _ in range(LEDGER_ATTEMPTS):
            # The ledger before DRS: a reservation dropped in between (its server now
            # replicates) is then seen in DRS, or the conditional write fails.
            ledger = await self.ledger.read(place)
            listing = await self.cloud.servers_in(place)
            stopped = await self._finish_releases(place, here, listing)
            listing = [
                replace(h, state="STOPPED") if h.source_server_id in stopped else h for h in listing
            ]
            here = [self._current(r) for r in here]
            if await self._admit(place, here, listing, ledger):
                return
        raise Transient(f"other requests kept changing the slot ledger of {place}")

    async def _finish_releases(
        self, place: Place, here: list[PairRecord], listing: Sequence[Held]
    ) -> set[str]:
        """Intents recorded before a crash: stop what still replicates, then mark them done."""
        live = {h.source_server_id for h in listing if h.replicating}
        stopped: set[str] = set()
        for record in here:
            release = record.release
            if release is None or release.done:
                continue
            if release.failback_server_id in live:
                await self.cloud.stop_replication(place, release.failback_server_id)
                stopped.add(release.failback_server_id)
            done = release.model_copy(update={"done": True})
            await self._save([record.model_copy(update={"release": done})])
        return stopped

    async def _admit(
        self, place: Place, here: list[PairRecord], listing: Sequence[Held], ledger: Ledger
    ) -> bool:
        """Give free slots to waiting pairs, in the ledger first; False if another request
        wrote the ledger since it was read (nothing was given: count again)."""
        settings = self.deps.settings
        live = domain.live_failbacks(listing)
        # A pair whose FAILBACK server replicates already needs no new slot: it holds one.
        wanting = [
            r
            for r in domain.queue(here)
            if domain.needs_slot(r) and r.pair.recovery_ec2_instance_id not in live
        ]
        held_by_us = {
            r.server_id
            for r in domain.unused(ledger.entries, live, self.now)
            if r.request_id == self.request_id
        }
        # Given in the ledger before a crash, never recorded on the pair: it is still theirs.
        adopted = [r for r in wanting if r.server_id in held_by_us]
        fresh = [r for r in wanting if r.server_id not in held_by_us]
        limit = domain.slot_limit(settings.failback_slots, self.request.spec.options.failback_slots)
        seen = domain.occupancy(
            place,
            settings.replicating_servers_quota,
            limit,
            listing,
            here,
            request_id=self.request_id,
            reservations=ledger.entries,
            now=self.now,
        )
        free = seen.free
        if len(fresh) > free:
            free += await self._release(place, here, listing, len(fresh) - free)
        given = adopted + fresh[:free]
        if not await self._write_ledger(place, ledger, here, given):
            return False
        admitted = [
            r.model_copy(update={"admitted_at": self.now, "slot_waiting": False, "waiting": None})
            for r in given
        ]
        held = [self._held(place, r, seen, index) for index, r in enumerate(fresh[free:])]
        passing = [r for r in here if r.slot_waiting and r not in wanting]
        await self._save(
            admitted + held + [r.model_copy(update={"slot_waiting": False}) for r in passing]
        )
        return True

    async def _write_ledger(
        self, place: Place, ledger: Ledger, here: list[PairRecord], given: list[PairRecord]
    ) -> bool:
        """The ledger with the slots given now, and without the request's settled pairs'
        and anyone's expired reservations; written only if that changes it."""
        expires = self.now + timedelta(seconds=2 * self.deps.settings.prepare_deadline_seconds)
        keep = reserved_by(self.request_id, here, given)
        entries = [
            r
            for r in ledger.entries
            if r.expires_at > self.now and (r.request_id != self.request_id or r.server_id in keep)
        ]
        mine = {r.server_id for r in entries if r.request_id == self.request_id}
        entries += [
            Reservation(self.request_id, r.server_id, r.pair.recovery_ec2_instance_id, expires)
            for r in given
            if r.server_id not in mine
        ]
        if set(entries) == set(ledger.entries):
            return True
        return await self.ledger.write(place, ledger, entries)

    def _held(
        self, place: Place, record: PairRecord, seen: domain.Occupancy, ahead: int
    ) -> PairRecord:
        """A pair that waits for a slot, saying why."""
        if seen.capacity <= 0:
            why = (
                f"no replication slot in {place} can be given: {seen.replicating} source servers"
                f" replicate there, {seen.outside} slots are held outside this request,"
                f" against a quota of {seen.quota}"
                + (f" and a slot limit of {seen.limit}" if seen.limit is not None else "")
            )
        else:
            why = (
                f"waiting for a replication slot in {place}: {seen.ours + seen.reserved} of the"
                f" request's {seen.capacity} slots in use, {ahead} servers ahead of it"
            )
        return self._late(place, record, why)

    def _late(self, place: Place, record: PairRecord, why: str) -> PairRecord:
        """Waiting for a slot, or rejected once no slot moved in the place for the deadline."""
        if not domain.needs_slot(record):
            return record
        moved = self._last_move(place)
        deadline = moved + timedelta(seconds=self.deps.settings.prepare_deadline_seconds)
        if self.now < deadline:
            return record.model_copy(update={"slot_waiting": True, "waiting": why})
        return self._rejected(
            record,
            f"not prepared: no replication slot was freed for it by {deadline.isoformat()}; {why}",
        )

    def _rejected(self, record: PairRecord, reason: str) -> PairRecord:
        result = ConfigurationResult(
            source_server_id=record.server_id,
            account_id=record.pair.server.account_id,
            launch_region=self.request.spec.launch_region,
            target_instance_id=record.pair.target.instance_id if record.pair.target else None,
            outcome="rejected",
            reason=reason[:1024],
        )
        return record.model_copy(update={"result": result, "slot_waiting": False, "waiting": None})

    def _last_move(self, place: Place) -> datetime:
        """When a slot was last given or freed in this place (or the request arrived)."""
        return max(
            [
                self.request.received_at or self.request.deadline,
                *(r.admitted_at for r in self._mine(place) if r.admitted_at),
                *(r.release.recorded_at for r in self._mine(place) if r.release),
            ]
        )

    def _mine(self, place: Place) -> list[PairRecord]:
        return [self._current(r) for r in self.known.values() if self._place_of(r) == place]

    async def _release(
        self, place: Place, here: list[PairRecord], listing: Sequence[Held], wanted: int
    ) -> int:
        """Free up to `wanted` slots of landed servers of this request; how many were freed."""
        live = {h.source_server_id for h in listing if h.replicating}
        candidates = [
            r
            for r in here
            if r.release is None
            and r.result is not None
            and r.result.outcome in domain.LANDED_OUTCOMES
            and r.result.launching_server_id in live
        ]
        if not candidates:
            return 0
        since = {h.source_server_id: h.replicating_since for h in listing}
        proofs = await self._landed(place, candidates, since)
        freed = 0
        for record in domain.queue(candidates):
            proof = proofs.get(record.server_id)
            if proof is None or freed >= wanted:
                continue
            server_id = record.result.launching_server_id if record.result else None
            assert server_id is not None
            intent = SlotRelease(failback_server_id=server_id, proof=proof, recorded_at=self.now)
            await self._save([record.model_copy(update={"release": intent})])
            await self.cloud.stop_replication(place, server_id)
            done = intent.model_copy(update={"done": True})
            await self._save([record.model_copy(update={"release": done})])
            freed += 1
        return freed

    async def _landed(
        self,
        place: Place,
        candidates: Sequence[PairRecord],
        since: Mapping[str, datetime | None],
    ) -> dict[str, str]:
        """The candidates DRS and EC2 show landed, with the facts that show it (`since`:
        when each FAILBACK server's current replication began, as DRS lists it)."""
        ids = [r.result.launching_server_id for r in candidates if r.result]
        launched = await self.cloud.recovery_instances(place, [i for i in ids if i])
        jobs = await self.cloud.jobs(place, sorted({i.job_id for i in launched if i.job_id}))
        ec2_ids = sorted({i.ec2_instance_id for i in launched if i.ec2_instance_id})
        states = await self.cloud.instance_states(place, ec2_ids) if ec2_ids else {}
        drill = self.request.spec.drill
        proofs = {
            r.server_id: domain.landing_proof(
                r,
                launched,
                jobs,
                states,
                drill=drill,
                since=since.get(r.result.launching_server_id or "") if r.result else None,
            )
            for r in candidates
        }
        return {k: v for k, v in proofs.items() if v is not None}


def reserved_by(
    request_id: str, here: Sequence[PairRecord], given: Sequence[PairRecord]
) -> set[str]:
    """The request's pairs that keep their reservation: given a slot and not settled yet."""
    return {r.server_id for r in here if r.result is None and r.admitted_at is not None} | {
        r.server_id for r in given
    }


async def return_slots(
    request_id: str, request: RequestRecord, deps: Dependencies, settled: Sequence[PairRecord]
) -> None:
    """Take the reservations of pairs that settled in this step out of the ledger.

    A pair that settled either replicates (DRS counts its slot now) or never will; either
    way its reservation must not hold a slot any more. A ledger that cannot be written now
    keeps them until the request's next count of the place, or until they expire.
    """
    if deps.pipeline is None or request.spec.operation != "failback" or request.spec.plan_only:
        return
    region = request.spec.primary_region
    gone: defaultdict[Place, set[str]] = defaultdict(set)
    for record in settled:
        if record.admitted_at is not None and record.result is not None:
            gone[domain.primary_place(record, region)].add(record.server_id)
    for place, servers in sorted(gone.items()):
        for _ in range(LEDGER_ATTEMPTS):
            try:
                ledger = await deps.pipeline.ledger.read(place)
                entries = [
                    r
                    for r in ledger.entries
                    if not (r.request_id == request_id and r.server_id in servers)
                ]
                if len(entries) == len(ledger.entries):
                    break
                if await deps.pipeline.ledger.write(place, ledger, entries):
                    break
            except Transient:
                break
