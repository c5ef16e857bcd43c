"""One step of a request: plan every pair, check the approval, then configure and report.

First every pair is planned without changing anything (outcome `planned` when it
would launch, `rejected` with the reason when not), and what an apply would launch
is hashed. A plan-only request reports that plan; an apply without valid signed
approvals of exactly that hash (`drsorch.runtime.approvals`) is refused whole,
before any write. An approved apply then configures the
pairs that would launch, and every step reports the pairs it settled, so a slow pair
never holds back the others. Pairs still waiting past the deadline are rejected.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from drsorch.configurator import domain
from drsorch.configurator.configure import (
    Change,
    Progress,
    RequestContext,
    Waiting,
    configure_pair,
    keep,
    write,
)
from drsorch.configurator.dependencies import Dependencies
from drsorch.configurator.domain import SourceServer, TargetInstance
from drsorch.configurator.errors import Refused, Transient
from drsorch.configurator.pipeline.admit import admit, return_slots
from drsorch.configurator.pipeline.plan import pipeline, plan_slots
from drsorch.configurator.plan import drift_reason, launch_hash, managed
from drsorch.configurator.ports import Cloud
from drsorch.configurator.records import PairRecord, PreviousSettings, RequestRecord
from drsorch.contracts import (
    Chunk,
    ConfigurationResult,
    Pair,
    RequestSpec,
    SlotPipeline,
    TargetConfigured,
)
from drsorch.contracts.types import Place
from drsorch.runtime.accounts import AccountUnreachable
from drsorch.runtime.chunks import split

DESCRIBE_BATCH = 200  # DescribeSourceServers takes at most 200 IDs per filter
LISTING_MIN_PAIRS = 10  # from this many failback pairs in a place, list its servers once
MAX_RETRY_SECONDS = 900  # SQS's longest delay: past it the runtime forwards the timer anyway
NEXT_WAVE_NOW = timedelta(0)


@dataclass(frozen=True)
class StepResult:
    """What a step produced: results to report now, and when to try again (if ever)."""

    configured: list[TargetConfigured]
    retry_in: timedelta | None = None


async def advance(
    request_id: str, request: RequestRecord, deps: Dependencies, now: datetime, step: int
) -> StepResult:
    """Plan the pairs not planned yet, then configure the unsettled ones; report the settled."""
    records = await deps.store.pairs(request_id)
    hints: list[float] = []
    reads = _Reads()
    unplanned = [r for r in records if r.planned is None]
    if unplanned:
        records = await _step(
            request_id,
            request,
            deps,
            now,
            records,
            unplanned,
            hints,
            dry=True,
            reads=reads,
            save=False,
        )
        new = {r.server_id for r in unplanned}
        records = await plan_slots(request_id, request, deps, records, new=new, save=False)
        # The plan and its slots, in one write per pair.
        await deps.store.save_pairs(request_id, [r for r in records if r.server_id in new])
    if any(r.planned is None for r in records):
        return StepResult([], _retry(deps, hints))
    plan_hash = launch_hash(request.spec, [(r.pair, _planned(r)) for r in records])
    refusal = drift_reason(request.spec, plan_hash)
    if refusal is None and any(r.result is None for r in records):
        # Before any write: the services' own check of the signed approvals.
        started = request.received_at or now
        refusal = await deps.approvals.refusal(request.spec, request_id, [plan_hash], started)
    settled = [_settled_by_plan(request, r, refusal) for r in records]
    changed = [r for r, s in zip(records, settled, strict=True) if r is not s]
    if changed:
        await deps.store.save_pairs(request_id, changed)
        records = settled
    unsettled = [r for r in records if r.result is None]
    if unsettled:
        # A failback starts reverse replication only into free replication slots.
        records, unsettled = await admit(
            request_id, request, deps, now, records, unsettled=unsettled
        )
    unsettled, more_now = this_step(unsettled)
    if unsettled:
        records = await _step(
            request_id,
            request,
            deps,
            now,
            records,
            unsettled,
            hints,
            dry=False,
            reads=reads,
            sent_in=step,
        )
    records = await _mark_sent(deps, request_id, records, step)
    # A failback pair that settled gives back the slot the ledger kept for it.
    await return_slots(request_id, request, deps, [r for r in records if r.sent_in == step])
    sent = [r.result for r in records if r.sent_in == step and r.result is not None]
    events: list[TargetConfigured] = []
    if sent:
        calls = (await deps.store.request(request_id) or request).calls
        events = target_configured(sent, calls, plan_hash, pipeline(request.spec, records))
    if any(r.result is None for r in records):
        # Untried pairs of later waves go on at once, unless DRS asked for a pause.
        return StepResult(events, NEXT_WAVE_NOW if more_now and not hints else _retry(deps, hints))
    return StepResult(events)


def this_step(unsettled: list[PairRecord]) -> tuple[list[PairRecord], bool]:
    """The pairs a step configures, and whether others are left for the next step at once.

    Every pair tried before and still waiting, and the untried pairs of the earliest wave
    that has any: each wave is reported as soon as it is configured, so the monitor
    launches it while the next one is configured, rather than after the last one.
    """
    untried = [r for r in unsettled if r.waiting is None]
    if not untried:
        return unsettled, False
    first = min(r.pair.server.wave for r in untried)
    now = [r for r in unsettled if r.waiting is not None or r.pair.server.wave == first]
    return now, len(now) < len(unsettled)


def _planned(record: PairRecord) -> ConfigurationResult:
    assert record.planned is not None
    return record.planned


def _settled_by_plan(request: RequestRecord, record: PairRecord, refusal: str | None) -> PairRecord:
    """A pair the plan alone settles: every pair of a plan-only request or a refused apply,
    and a pair the plan found would not launch."""
    if record.result is not None:
        return record
    planned = _planned(record)
    if refusal is not None:
        return _rejected(request, record, refusal)
    if request.spec.plan_only or planned.outcome != "planned":
        return record.model_copy(update={"result": planned, "waiting": None})
    return record


async def _mark_sent(
    deps: Dependencies, request_id: str, records: list[PairRecord], step: int
) -> list[PairRecord]:
    """Settled results not reported yet go out in this step (again, if it is retried)."""
    due = [r for r in records if r.result is not None and r.sent_in is None]
    if not due:
        return records
    marked = {r.server_id: r.model_copy(update={"sent_in": step}) for r in due}
    await deps.store.save_pairs(request_id, list(marked.values()))
    return [marked.get(r.server_id, r) for r in records]


def _retry(deps: Dependencies, hints: list[float]) -> timedelta:
    # DRS's Retry-After, when it asked for longer than the configured pause.
    delay = min(max([deps.settings.retry_seconds, *hints]), MAX_RETRY_SECONDS)
    return timedelta(seconds=math.ceil(delay))


async def _step(  # noqa: PLR0917 - one pass, its inputs passed on together
    request_id: str,
    request: RequestRecord,
    deps: Dependencies,
    now: datetime,
    records: list[PairRecord],
    waiting: list[PairRecord],
    hints: list[float],
    *,
    dry: bool,
    reads: _Reads,
    sent_in: int | None = None,
    save: bool = True,
) -> list[PairRecord]:
    """One pass over the waiting pairs, saved in one write per pair (unless the caller
    saves them): with `sent_in`, the results it settles are marked reported in that step
    in the same write."""
    updated = await _configure(request_id, request, waiting, deps, hints, dry=dry, reads=reads)
    grace = timedelta(seconds=deps.settings.prepare_deadline_seconds)
    updated = [_settle_late(request, record, now, grace, dry=dry) for record in updated]
    if sent_in is not None:
        updated = [
            r.model_copy(update={"sent_in": sent_in})
            if r.result is not None and r.sent_in is None
            else r
            for r in updated
        ]
    if save:
        await deps.store.save_pairs(request_id, updated)
    by_id = {record.server_id: record for record in updated}
    return [by_id.get(record.server_id, record) for record in records]


def target_configured(
    results: Sequence[ConfigurationResult],
    calls: dict[str, int],
    plan_hash: str,
    slots: tuple[SlotPipeline, ...] = (),
) -> list[TargetConfigured]:
    """Results in chunks, sorted by server; the call counts and a failback's pipeline ride
    in chunk 0 only."""

    def build(items: Sequence[ConfigurationResult], chunk: Chunk) -> TargetConfigured:
        first = chunk.index == 0
        return TargetConfigured(
            plan_hash=plan_hash,
            results=tuple(items),
            api_calls=calls if first else {},
            pipeline=slots if first else (),
            chunk=chunk,
        )

    ordered = sorted(results, key=lambda result: result.source_server_id)
    return split(build, ordered)


async def _configure(
    request_id: str,
    request: RequestRecord,
    waiting: list[PairRecord],
    deps: Dependencies,
    retry_hints: list[float],
    *,
    dry: bool,
    reads: _Reads,
) -> list[PairRecord]:
    """Plan (dry) or configure the waiting pairs at once (bounded)."""
    cloud = deps.cloud(request.spec.accounts)
    try:
        pairs = [r.pair for r in waiting]
        if not reads.covers(pairs):
            await reads.read(cloud, request.spec, pairs)
        ctx = RequestContext(
            request_id,
            request.spec,
            cloud,
            deps.store,
            reads.servers,
            request.contested,
            reads.failbacks,
            dry=dry or request.spec.plan_only,
            read={
                r.planned.launching_server_id: r.planned.previous
                for r in waiting
                if r.planned is not None
                and r.planned.launching_server_id is not None
                and r.planned.previous is not None
            },
            targets=reads.targets,
        )
        gate = asyncio.Semaphore(deps.settings.concurrency)

        async def one(record: PairRecord) -> PairRecord | Change:
            problem = reads.unreadable.get(record.server_id)
            if isinstance(problem, Waiting):
                return _waiting(record, problem, retry_hints)
            if problem is not None:
                return _rejected(request, record, problem, dry=dry)
            async with gate:
                progress = await configure_pair(ctx, record)
            if isinstance(progress, Change):
                return progress
            return _progressed(record, progress, retry_hints, dry=dry)

        async def written(change: Change, kept: PreviousSettings) -> PairRecord:
            async with gate:
                progress = await write(ctx, change, kept)
            return _progressed(change.trail.record, progress, retry_hints, dry=dry)

        first = await asyncio.gather(*(one(record) for record in waiting))
        # Every change's previous settings are kept before any change is written, in a
        # few table writes for the whole step rather than one per pair.
        changes = [each for each in first if isinstance(each, Change)]
        kept = await keep(ctx, changes)
        then = iter(
            await asyncio.gather(*map(written, changes, kept))  # in the order of `changes`
        )
        return [next(then) if isinstance(each, Change) else each for each in first]
    finally:
        await deps.store.add_calls(request_id, cloud.calls)


@dataclass
class _Reads:
    """What a step read of DRS and EC2 for its pairs, before it wrote anything.

    The step that plans a request's pairs and then applies them reads once: the apply
    starts from the plan's reads of a moment ago (the paired servers and their lineage,
    the FAILBACK servers, the launch targets), as it starts from the plan's launch
    configurations. They are still this step's, read before any write; the monitor checks
    every launch-into target again right before its job starts.
    """

    servers: dict[str, SourceServer] = field(default_factory=dict)
    unreadable: dict[str, Waiting | str] = field(default_factory=dict)
    failbacks: dict[Place, dict[str, list[SourceServer]]] = field(default_factory=dict)
    targets: dict[Place, dict[str, TargetInstance]] = field(default_factory=dict)
    read_for: set[str] = field(default_factory=set)

    def covers(self, pairs: Sequence[Pair]) -> bool:
        return bool(self.read_for) and all(
            p.server.source_server_id in self.read_for for p in pairs
        )

    async def read(self, cloud: Cloud, spec: RequestSpec, pairs: Sequence[Pair]) -> None:
        # Reads only, none depending on another: all at once.
        (self.servers, self.unreadable), self.failbacks, self.targets = await asyncio.gather(
            _paired_servers(cloud, pairs),
            _failback_listings(cloud, spec, pairs),
            _launch_targets(cloud, spec, pairs),
        )
        whole = (
            not self.unreadable
            and _listing_places(spec, pairs) <= self.failbacks.keys()
            and _target_places(spec, pairs) <= self.targets.keys()
        )
        # A read that failed somewhere is made again by the next pass, not reused.
        self.read_for = {p.server.source_server_id for p in pairs} if whole else set()


def _as_planned(record: PairRecord, result: ConfigurationResult) -> ConfigurationResult:
    """The result, unless it launches otherwise than the plan the approval covers."""
    planned = record.planned
    if result.outcome not in ("configured", "unchanged") or planned is None:
        return result
    # Bound: the target, and every field the plan said it would change, to that value.
    # A field the request leaves to DRS may read otherwise on a FAILBACK server that did
    # not exist yet when the plan was made.
    bound = {"launch_into_instance_id", *planned.changes}
    was, now = managed(planned.desired), managed(result.desired)
    if result.target_instance_id == planned.target_instance_id and all(
        was.get(name) == now.get(name) for name in bound if name in was
    ):
        return result
    reason = (
        f"its launch would differ from the plan that was hashed (target "
        f"{planned.target_instance_id or 'a new instance'} planned, "
        f"{result.target_instance_id or 'a new instance'} now): not launched"
    )
    return result.model_copy(update={"outcome": "rejected", "reason": reason})


async def _paired_servers(
    cloud: Cloud, pairs: Sequence[Pair]
) -> tuple[dict[str, SourceServer], dict[str, Waiting | str]]:
    """The paired servers as DRS sees them, in a few calls; and why some could not be read.

    A throttled read makes its servers wait; an unreachable account or a refusal
    rejects them (a reason), and the other accounts go on.
    """
    by_place: dict[Place, list[str]] = defaultdict(list)
    for pair in pairs:
        by_place[Place(pair.server.account_id, pair.server.region)].append(
            pair.server.source_server_id
        )
    found: dict[str, SourceServer] = {}
    unreadable: dict[str, Waiting | str] = {}

    async def read(place: Place, batch: list[str]) -> None:
        try:
            found.update(await cloud.drs.source_servers(place, batch))
        except Transient as exc:
            unreadable.update(dict.fromkeys(batch, Waiting(str(exc), exc.retry_after)))
        except (Refused, AccountUnreachable) as exc:
            unreadable.update(dict.fromkeys(batch, f"cannot read servers in {place}: {exc}"))

    await asyncio.gather(
        *(
            read(place, ids[start : start + DESCRIBE_BATCH])
            for place, ids in by_place.items()
            for start in range(0, len(ids), DESCRIBE_BATCH)
        )
    )
    return found, unreadable


async def _failback_listings(
    cloud: Cloud, spec: RequestSpec, pairs: Sequence[Pair]
) -> dict[Place, dict[str, list[SourceServer]]]:
    """The live FAILBACK servers of each primary place with many pairs, by EC2 instance.

    One listing (200 servers a call) replaces a lookup per pair where a place has at
    least `LISTING_MIN_PAIRS` of them. A place that cannot be listed is left out: its
    pairs look their server up one by one and meet the error there, pair by pair.
    """
    listings: dict[Place, dict[str, list[SourceServer]]] = {}

    async def listing(place: Place) -> None:
        try:
            listed = await cloud.drs.failback_servers(place)
        except (Transient, Refused, AccountUnreachable):
            return
        by_instance: dict[str, list[SourceServer]] = defaultdict(list)
        for server in listed:
            if server.aws_instance_id:
                by_instance[server.aws_instance_id].append(server)
        listings[place] = by_instance

    await asyncio.gather(*map(listing, sorted(_listing_places(spec, pairs))))
    return listings


def _listing_places(spec: RequestSpec, pairs: Sequence[Pair]) -> set[Place]:
    """The primary places of a failback with enough pairs to list their FAILBACK servers."""
    if spec.operation == "failover":
        return set()
    counts = Counter(Place(pair.server.account_id, spec.primary_region) for pair in pairs)
    return {place for place, count in counts.items() if count >= LISTING_MIN_PAIRS}


def _target_places(spec: RequestSpec, pairs: Sequence[Pair]) -> set[Place]:
    return {
        Place(pair.server.account_id, spec.launch_region)
        for pair in pairs
        if pair.target is not None and domain.launch_kind(spec, pair) == "launch_into"
    }


async def _launch_targets(
    cloud: Cloud, spec: RequestSpec, pairs: Sequence[Pair]
) -> dict[Place, dict[str, TargetInstance]]:
    """The pairs' launch-into targets as EC2 reports them now, read per launch place in
    batches (not once per pair), every place at once. A place that cannot be read is left
    out: its pairs read their target one by one and meet the error there, pair by pair."""
    wanted: dict[Place, list[str]] = defaultdict(list)
    for pair in pairs:
        if pair.target is not None and domain.launch_kind(spec, pair) == "launch_into":
            wanted[Place(pair.server.account_id, spec.launch_region)].append(
                pair.target.instance_id
            )
    seen: dict[Place, dict[str, TargetInstance]] = {}

    async def read(place: Place, ids: list[str]) -> None:
        try:
            seen[place] = await cloud.ec2.instances(place, ids)
        except (Transient, Refused, AccountUnreachable):
            return

    await asyncio.gather(*(read(place, ids) for place, ids in wanted.items()))
    return seen


def _progressed(
    record: PairRecord, progress: Progress, retry_hints: list[float], *, dry: bool
) -> PairRecord:
    if isinstance(progress, Waiting):
        return _waiting(record, progress, retry_hints)
    if dry:
        return record.model_copy(update={"planned": progress, "waiting": None})
    # Kept on the record too: a retry of a lost result must know that this
    # request's reverse replication made the FAILBACK server (nothing to keep).
    started = record.reverse_replication_started or progress.reverse_replication_started
    return record.model_copy(
        update={
            "result": _as_planned(record, progress),
            "waiting": None,
            "reverse_replication_started": started,
        }
    )


def _waiting(record: PairRecord, progress: Waiting, retry_hints: list[float]) -> PairRecord:
    if progress.retry_after is not None:
        retry_hints.append(progress.retry_after)
    started = record.reverse_replication_started or progress.reverse_replication_started
    return record.model_copy(
        update={"waiting": progress.reason, "reverse_replication_started": started}
    )


def _settle_late(
    request: RequestRecord, record: PairRecord, now: datetime, grace: timedelta, *, dry: bool
) -> PairRecord:
    """A pair still waiting after the deadline is reported not prepared (or not planned).

    A pair given a replication slot late in a pipelined failback has the whole deadline
    from then on.
    """
    settled = record.planned if dry else record.result
    admitted = record.admitted_at + grace if record.admitted_at and not dry else request.deadline
    if settled is not None or now < max(request.deadline, admitted):
        return record
    what = "planned" if dry else "prepared"
    return _rejected(request, record, f"not {what} by the deadline: {record.waiting}", dry=dry)


def _rejected(
    request: RequestRecord, record: PairRecord, reason: str, *, dry: bool = False
) -> PairRecord:
    pair = record.pair
    result = ConfigurationResult(
        source_server_id=pair.server.source_server_id,
        account_id=pair.server.account_id,
        launch_region=request.spec.launch_region,
        target_instance_id=pair.target.instance_id if pair.target else None,
        outcome="rejected",
        reason=reason[:1024],
        reverse_replication_started=record.reverse_replication_started,
    )
    field = "planned" if dry else "result"
    return record.model_copy(update={field: result, "waiting": None})
