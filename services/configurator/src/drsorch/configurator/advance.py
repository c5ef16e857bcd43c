"""One step of a request: configure its unsettled pairs, then report or wait again.

A request is settled when every pair has a result. Until then each step retries
the pairs still waiting (and only those: settled pairs keep their stored result);
once the deadline has passed, the waiting ones are rejected as not prepared. The
whole result goes out as one TargetConfigured, split into chunks.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from drsorch.configurator.configure import RequestContext, Waiting, configure_pair
from drsorch.configurator.dependencies import Dependencies
from drsorch.configurator.domain import SourceServer
from drsorch.configurator.errors import Refused, Transient
from drsorch.configurator.plan import drift_reason
from drsorch.configurator.ports import Cloud
from drsorch.configurator.records import PairRecord, RequestRecord
from drsorch.contracts import Chunk, ConfigurationResult, Pair, RequestSpec, TargetConfigured
from drsorch.contracts.types import Place
from drsorch.runtime.accounts import AccountUnreachable
from drsorch.runtime.chunks import split

DESCRIBE_BATCH = 200  # DescribeSourceServers takes at most 200 IDs per filter
LISTING_MIN_PAIRS = 10  # from this many failback pairs in a place, list its servers once
MAX_RETRY_SECONDS = 900  # SQS's longest delay: past it the runtime forwards the timer anyway


@dataclass(frozen=True)
class StepResult:
    """What a step produced: the whole result once settled, else when to try again."""

    configured: list[TargetConfigured]
    retry_in: timedelta | None = None


async def advance(
    request_id: str, request: RequestRecord, deps: Dependencies, now: datetime
) -> StepResult:
    """Configure the pairs not settled yet; report when all are."""
    store = deps.store
    records = await store.pairs(request_id)
    waiting = [record for record in records if record.result is None]
    hints: list[float] = []
    if waiting:
        updated = await _configure(request_id, request, waiting, deps, hints)
        updated = [_settle_late(request, record, now) for record in updated]
        await store.save_pairs(request_id, updated)
        by_id = {record.server_id: record for record in updated}
        records = [by_id.get(record.server_id, record) for record in records]
    still = [record for record in records if record.result is None]
    if still:
        # DRS's Retry-After, when it asked for longer than the configured pause.
        delay = min(max([deps.settings.retry_seconds, *hints]), MAX_RETRY_SECONDS)
        return StepResult([], timedelta(seconds=math.ceil(delay)))
    calls = (await store.request(request_id) or request).calls
    results = [record.result for record in records if record.result is not None]
    return StepResult(target_configured(results, calls))


def target_configured(
    results: Sequence[ConfigurationResult], calls: dict[str, int]
) -> list[TargetConfigured]:
    """The result in chunks, sorted by server; the call counts ride in chunk 0 only."""

    def build(items: Sequence[ConfigurationResult], chunk: Chunk) -> TargetConfigured:
        counted = calls if chunk.index == 0 else {}
        return TargetConfigured(results=tuple(items), api_calls=counted, chunk=chunk)

    ordered = sorted(results, key=lambda result: result.source_server_id)
    return split(build, ordered)


async def _configure(
    request_id: str,
    request: RequestRecord,
    waiting: list[PairRecord],
    deps: Dependencies,
    retry_hints: list[float],
) -> list[PairRecord]:
    """Configure the waiting pairs at once (bounded); Retry-After hints go to `retry_hints`."""
    drift = drift_reason(request.spec, request.plan_hash)
    if drift is not None:
        return [_rejected(request, record, drift) for record in waiting]
    cloud = deps.cloud(request.spec.accounts)
    try:
        pairs = [r.pair for r in waiting]
        servers, unreadable = await _paired_servers(cloud, pairs)
        failbacks = await _failback_listings(cloud, request.spec, pairs)
        ctx = RequestContext(
            request_id, request.spec, cloud, deps.store, servers, request.contested, failbacks
        )
        gate = asyncio.Semaphore(deps.settings.concurrency)

        async def one(record: PairRecord) -> PairRecord:
            problem = unreadable.get(record.server_id)
            if isinstance(problem, Waiting):
                return _waiting(record, problem, retry_hints)
            if problem is not None:
                return _rejected(request, record, problem)
            async with gate:
                progress = await configure_pair(ctx, record)
            if isinstance(progress, Waiting):
                return _waiting(record, progress, retry_hints)
            return record.model_copy(update={"result": progress, "waiting": None})

        return list(await asyncio.gather(*(one(record) for record in waiting)))
    finally:
        await deps.store.add_calls(request_id, cloud.calls)


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
    for place, ids in by_place.items():
        for start in range(0, len(ids), DESCRIBE_BATCH):
            batch = ids[start : start + DESCRIBE_BATCH]
            try:
                found.update(await cloud.drs.source_servers(place, batch))
            except Transient as exc:
                unreadable.update(dict.fromkeys(batch, Waiting(str(exc), exc.retry_after)))
            except (Refused, AccountUnreachable) as exc:
                unreadable.update(dict.fromkeys(batch, f"cannot read servers in {place}: {exc}"))
    return found, unreadable


async def _failback_listings(
    cloud: Cloud, spec: RequestSpec, pairs: Sequence[Pair]
) -> dict[Place, dict[str, list[SourceServer]]]:
    """The live FAILBACK servers of each primary place with many pairs, by EC2 instance.

    One listing (200 servers a call) replaces a lookup per pair where a place has at
    least `LISTING_MIN_PAIRS` of them. A place that cannot be listed is left out: its
    pairs look their server up one by one and meet the error there, pair by pair.
    """
    if spec.operation == "failover":
        return {}
    counts = Counter(Place(pair.server.account_id, spec.primary_region) for pair in pairs)
    listings: dict[Place, dict[str, list[SourceServer]]] = {}
    for place, count in counts.items():
        if count < LISTING_MIN_PAIRS:
            continue
        try:
            listed = await cloud.drs.failback_servers(place)
        except (Transient, Refused, AccountUnreachable):
            continue
        by_instance: dict[str, list[SourceServer]] = defaultdict(list)
        for server in listed:
            if server.aws_instance_id:
                by_instance[server.aws_instance_id].append(server)
        listings[place] = by_instance
    return listings


def _waiting(record: PairRecord, progress: Waiting, retry_hints: list[float]) -> PairRecord:
    if progress.retry_after is not None:
        retry_hints.append(progress.retry_after)
    started = record.reverse_replication_started or progress.reverse_replication_started
    return record.model_copy(
        update={"waiting": progress.reason, "reverse_replication_started": started}
    )


def _settle_late(request: RequestRecord, record: PairRecord, now: datetime) -> PairRecord:
    """A pair still waiting after the deadline is reported not prepared."""
    if record.result is not None or now < request.deadline:
        return record
    return _rejected(request, record, f"not prepared by the deadline: {record.waiting}")


def _rejected(request: RequestRecord, record: PairRecord, reason: str) -> PairRecord:
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
    return record.model_copy(update={"result": result, "waiting": None})
