"""Applying an approved retire plan, in DRS's order, safe across crashes.

Phase 1 stops failback replication (and failback) on every server the plan does not
hold. Phase 2 terminates the recovery-region instances in TERMINATE jobs of at most
100: the intent (the batch) is written to the table before the call, and a batch
whose intent is there without a job is reconciled with DescribeJobs and the
instances' own state before it is ever called again. Phase 3, once every job is
COMPLETED, deletes the recovery-instance records, then disconnects and deletes the
FAILBACK servers. Every other call is checked against DRS's answer: a repeat that DRS
refuses because it is already done (stopped, not found) counts as done.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, Field

from drsorch.configurator.errors import ConfiguratorError, Transient
from drsorch.configurator.roundtrip.ports import RoundTripDrs, RoundTripStore
from drsorch.contracts import RetireAction, RetireResult
from drsorch.contracts.events.roundtrip import RetireOutcome
from drsorch.contracts.types import Place

BATCH = 100  # servers per DRS job
ALREADY = ("ResourceNotFound", "already", "not found", "DISCONNECTED")


class TerminateIntent(BaseModel):
    """One TERMINATE batch: written before the call, its job ID added after."""

    account_id: str
    region: str
    recovery_instance_ids: list[str]
    recorded_at: AwareDatetime
    job_id: str | None = None


class RetireRecord(BaseModel):
    """An applied retire in progress."""

    of_request_id: str
    plan_hash: str
    actions: list[RetireAction]
    causation_id: str
    """The RetireRequested event's ID: the causation of every message the apply sends."""
    outcomes: dict[int, tuple[RetireOutcome, str | None]] = Field(default_factory=dict)
    phase: int = 1
    batches: list[str] = Field(default_factory=list)
    """Names of the TERMINATE intents in the table."""

    def results(self, *, final: bool = True) -> list[RetireResult]:
        """Every action's outcome; before the end, one not taken yet is `pending`."""

        def outcome(i: int, action: RetireAction) -> tuple[RetireOutcome, str | None]:
            if i in self.outcomes:
                return self.outcomes[i]
            return ("held", action.held) if final or action.held else ("pending", None)

        return [
            RetireResult(
                action=action, outcome=outcome(i, action)[0], reason=outcome(i, action)[1] or None
            )
            for i, action in enumerate(self.actions)
            if action.kind != "leave"
        ]


def live(record: RetireRecord, kinds: Sequence[str]) -> list[tuple[int, RetireAction]]:
    return [
        (i, a)
        for i, a in enumerate(record.actions)
        if a.kind in kinds and a.held is None and i not in record.outcomes
    ]


async def _one(record: RetireRecord, drs: RoundTripDrs, index: int, action: RetireAction) -> None:
    place = Place(action.account_id, action.region)
    calls = {
        "stop_replication": drs.stop_replication,
        "stop_failback": drs.stop_failback,
        "delete_recovery_instance": drs.delete_recovery_instance,
        "disconnect_source_server": drs.disconnect_source_server,
        "delete_source_server": drs.delete_source_server,
    }
    try:
        await calls[action.kind](place, action.resource_id)
    except Transient:
        raise  # the message comes back; what was done reads as done next time
    except ConfiguratorError as exc:
        text = str(exc)
        already = any(mark in text for mark in ALREADY)
        record.outcomes[index] = ("already" if already else "failed", text[:1024])
        return
    record.outcomes[index] = ("done", None)


async def phase_one(record: RetireRecord, drs: RoundTripDrs) -> None:
    """Stop failback replication and failback, for every server not held."""
    for index, action in live(record, ("stop_replication", "stop_failback")):
        await _one(record, drs, index, action)


async def phase_two(
    record: RetireRecord, drs: RoundTripDrs, store: RoundTripStore, request_id: str, now: datetime
) -> None:
    """Terminate in batches, each intent recorded before its call."""
    by_place: defaultdict[Place, list[tuple[int, RetireAction]]] = defaultdict(list)
    for index, action in live(record, ("terminate_recovery_instance",)):
        if not _failed_before(record, action):
            by_place[Place(action.account_id, action.region)].append((index, action))
    for place, entries in sorted(by_place.items(), key=lambda kv: str(kv[0])):
        for start in range(0, len(entries), BATCH):
            name = f"terminate#{place.account_id}#{place.region}#{start // BATCH}"
            if name not in record.batches:
                record.batches.append(name)
            batch = _Batch(request_id, name, place, entries[start : start + BATCH])
            await batch.terminate(record, drs, store, now)
    record.phase = 2


@dataclass(frozen=True)
class _Batch:
    request_id: str
    name: str
    place: Place
    entries: list[tuple[int, RetireAction]]

    async def terminate(
        self, record: RetireRecord, drs: RoundTripDrs, store: RoundTripStore, now: datetime
    ) -> None:
        """Record the intent, or find the one recorded before and reconcile it; then call."""
        ids = [a.resource_id for _, a in self.entries]
        intent = TerminateIntent(
            account_id=self.place.account_id,
            region=self.place.region,
            recovery_instance_ids=ids,
            recorded_at=now,
        )
        if not await store.claim(self.request_id, self.name, intent.model_dump_json()):
            stored = await store.load(self.request_id, self.name)
            intent = TerminateIntent.model_validate_json(stored or intent.model_dump_json())
            if intent.job_id is None:
                intent.job_id = await _reconcile(drs, self.place, intent)
        if intent.job_id is None:
            try:
                intent.job_id = await drs.terminate_recovery_instances(self.place, ids)
            except Transient:
                raise
            except ConfiguratorError as exc:
                for index, _ in self.entries:
                    record.outcomes[index] = ("failed", str(exc)[:1024])
                return
        await store.save(self.request_id, self.name, intent.model_dump_json())


def _failed_before(record: RetireRecord, action: RetireAction) -> bool:
    """A server whose failback replication could not be stopped is not terminated."""
    return any(
        record.outcomes.get(i, ("done", None))[0] == "failed"
        for i, other in enumerate(record.actions)
        if other.source_server_id == action.source_server_id and other.kind == "stop_replication"
    )


async def _reconcile(drs: RoundTripDrs, place: Place, intent: TerminateIntent) -> str | None:
    """A batch recorded but not known to be called: the job DRS has for it, if any."""
    wanted = set(intent.recovery_instance_ids)
    for job in await drs.jobs_since(place, intent.recorded_at - timedelta(minutes=5)):
        if job.job_type == "TERMINATE" and job.recovery_instance_ids & wanted:
            return job.job_id
    views = await drs.recovery_instances(place, [])
    left = [v for v in views if v.recovery_instance_id in wanted and v.ec2_state != "TERMINATED"]
    return None if left else "already-terminated"


async def jobs_done(
    record: RetireRecord, drs: RoundTripDrs, store: RoundTripStore, request_id: str
) -> bool:
    """Whether every TERMINATE job is COMPLETED; marks the terminations' outcomes."""
    intents = []
    for name in record.batches:
        stored = await store.load(request_id, name)
        if stored is not None:
            intents.append(TerminateIntent.model_validate_json(stored))
    statuses: dict[str, str] = {}
    for place in {Place(i.account_id, i.region) for i in intents}:
        since = min(i.recorded_at for i in intents) - timedelta(minutes=5)
        statuses |= {j.job_id: j.status for j in await drs.jobs_since(place, since)}
    for intent in intents:
        if (
            intent.job_id not in (None, "already-terminated")
            and statuses.get(intent.job_id or "") != "COMPLETED"
        ):
            return False
    done = {ri: intent.job_id for intent in intents for ri in intent.recovery_instance_ids}
    for index, action in live(record, ("terminate_recovery_instance",)):
        if action.resource_id in done:
            record.outcomes[index] = ("done", f"TERMINATE job {done[action.resource_id]}")
    return True


async def phase_three(record: RetireRecord, drs: RoundTripDrs) -> None:
    """Delete the records, then disconnect and delete the FAILBACK servers."""
    terminated_failed = {
        a.resource_id
        for i, a in enumerate(record.actions)
        if a.kind == "terminate_recovery_instance"
        and record.outcomes.get(i, ("", None))[0] == "failed"
    }
    for kinds in (
        ("delete_recovery_instance",),
        ("disconnect_source_server",),
        ("delete_source_server",),
    ):
        for index, action in live(record, kinds):
            if action.resource_id in terminated_failed:
                record.outcomes[index] = ("failed", "its termination failed")
                continue
            await _one(record, drs, index, action)
    record.phase = 3
