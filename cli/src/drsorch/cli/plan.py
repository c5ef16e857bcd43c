"""The plan of a request, as an operator reviews it before approving its hash.

Built from a plan-only request's events: the matcher's pairs (method and evidence),
the configurator's planned launch-setting changes, and, computed here, the waves
and DRS jobs the monitor will run and an estimate of how long that takes within
DRS's quotas. Saved under the plan hash, so a later refusal for drift can show
what changed.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from drsorch.cli.tracker import READY, RequestTracker
from drsorch.contracts import (
    ConfigurationResult,
    LaunchConfiguration,
    Pair,
    RequestSpec,
    SlotPipeline,
)
from drsorch.contracts.events import Ambiguous, Problem, Unmatched


class PlanQuotas(BaseSettings):
    """DRS quotas the estimate respects (design §5), per account and region; `DRSORCH_QUOTA_*`."""

    model_config = SettingsConfigDict(env_prefix="DRSORCH_QUOTA_", frozen=True)

    servers_per_job: int = Field(default=100, ge=1, le=200)
    concurrent_jobs: int = Field(default=20, ge=1)
    servers_in_active_jobs: int = Field(default=500, ge=1)
    job_minutes: int = Field(default=20, ge=1)
    """A typical DRS recovery job (snapshot, conversion, launch) for the estimate."""


class _PlanModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PlannedJob(_PlanModel):
    """One DRS job the monitor will start: a batch of one wave in one account and region."""

    wave: int
    account_id: str
    region: str
    batch_index: int
    servers: int


class WavePlan(_PlanModel):
    """One wave: its servers, its jobs, and how many rounds of concurrent jobs it needs."""

    wave: int
    servers: int
    jobs: tuple[PlannedJob, ...]
    rounds: int


class SettingChange(_PlanModel):
    """One launch-configuration field the configurator will change, and on how many servers."""

    setting: str
    before: str
    after: str
    servers: int


class Plan(_PlanModel):
    """Everything `--plan` shows, and what `--approve` is compared against."""

    plan_hash: str
    request_id: str
    spec: RequestSpec
    pairs: tuple[Pair, ...]
    unmatched: tuple[Unmatched, ...] = ()
    ambiguous: tuple[Ambiguous, ...] = ()
    problems: tuple[Problem, ...] = ()
    configuration: tuple[ConfigurationResult, ...] = ()
    waves: tuple[WavePlan, ...] = ()
    changes: tuple[SettingChange, ...] = ()
    estimate_minutes: int = 0
    estimate_reason: str = ""
    pipeline: tuple[SlotPipeline, ...] = ()
    """A failback's replication slots per account and the primary region, as the
    configurator planned them from DRS's count (TargetConfigured's `pipeline`)."""
    unplaced: tuple[str, ...] = ()
    """Servers the configurator found no replication slot for: they do not launch."""

    def launching(self) -> list[Pair]:
        """Pairs that will be launched: not refused by the configurator."""
        results = {r.source_server_id: r for r in self.configuration}
        return [
            p
            for p in self.pairs
            if (r := results.get(p.server.source_server_id)) is None or r.outcome in READY
        ]


def plan_waves(
    pairs: Sequence[Pair], spec: RequestSpec, quotas: PlanQuotas
) -> tuple[WavePlan, ...]:
    """Batches per wave, account and launch region, as the monitor forms them."""
    batch = min(spec.options.batch_size, quotas.servers_per_job)
    parallel = max(1, min(quotas.concurrent_jobs, quotas.servers_in_active_jobs // batch))
    groups: dict[int, dict[tuple[str, str], int]] = defaultdict(Counter)
    for pair in pairs:
        groups[pair.server.wave][(pair.server.account_id, spec.launch_region)] += 1
    waves = []
    for wave, by_place in sorted(groups.items()):
        jobs: list[PlannedJob] = []
        rounds = 0
        for (account, region), count in sorted(by_place.items()):
            sizes = [min(batch, count - start) for start in range(0, count, batch)]
            jobs += [
                PlannedJob(wave=wave, account_id=account, region=region, batch_index=i, servers=n)
                for i, n in enumerate(sizes)
            ]
            rounds = max(rounds, math.ceil(len(sizes) / parallel))
        waves.append(
            WavePlan(wave=wave, servers=sum(by_place.values()), jobs=tuple(jobs), rounds=rounds)
        )
    return tuple(waves)


_FIELDS = {
    "launch_disposition": "launchDisposition",
    "right_sizing": "rightSizing",
    "copy_private_ip": "copyPrivateIp",
    "copy_tags": "copyTags",
    "os_byol": "licensing.osByol",
    "post_launch_enabled": "postLaunchEnabled",
    "recovery_mode": "recoveryMode",
}


def _show(value: object) -> str:
    return (
        "unset" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    )


def _launch_into(before: LaunchConfiguration, after: LaunchConfiguration) -> tuple[str, str]:
    target = after.launch_into_instance_id
    if before.launch_into_instance_id is None:
        was = "unset"
    else:
        was = (
            "the paired target" if before.launch_into_instance_id == target else "another instance"
        )
    return was, ("the paired target" if target else "unset")


def setting_changes(results: Iterable[ConfigurationResult]) -> tuple[SettingChange, ...]:
    """What the configurator will change, field by field, counted over servers."""
    counted: Counter[tuple[str, str, str]] = Counter()
    for result in results:
        if result.outcome not in READY or result.desired is None:
            continue
        before = result.previous or LaunchConfiguration()
        after = result.desired
        for name, label in _FIELDS.items():
            old, new = getattr(before, name), getattr(after, name)
            if old != new and new is not None:
                counted[(label, _show(old), _show(new))] += 1
        was, now = _launch_into(before, after)
        if was != now:
            counted[("launchIntoInstance", was, now)] += 1
    return tuple(
        SettingChange(setting=s, before=b, after=a, servers=n)
        for (s, b, a), n in sorted(counted.items())
    )


def estimate(waves: Sequence[WavePlan], quotas: PlanQuotas) -> tuple[int, str]:
    """Minutes for the jobs, waves one after another, and how that figure was reached."""
    rounds = sum(w.rounds for w in waves)
    jobs = sum(len(w.jobs) for w in waves)
    reason = (
        f"{jobs} jobs in {len(waves)} waves run one wave after another; within a wave at most "
        f"{quotas.concurrent_jobs} jobs and {quotas.servers_in_active_jobs} servers are active "
        f"per account and region, so {rounds} rounds of about {quotas.job_minutes} min each"
    )
    return rounds * quotas.job_minutes, reason


def build_plan(tracker: RequestTracker, spec: RequestSpec, quotas: PlanQuotas) -> Plan:
    """The plan a finished plan-only request describes."""
    plan = Plan(
        plan_hash=tracker.plan_hash or "",
        request_id=tracker.request_id,
        spec=spec,
        pairs=tuple(tracker.pairs),
        unmatched=tuple(tracker.unmatched),
        ambiguous=tuple(tracker.ambiguous),
        problems=tuple(tracker.problems),
        configuration=tuple(tracker.configured.values()),
    )
    waves = plan_waves(plan.launching(), spec, quotas)
    minutes, reason = estimate(waves, quotas)
    unplaced = tuple(
        r.source_server_id for r in plan.configuration if r.outcome == "rejected" and r.unplaced
    )
    return plan.model_copy(
        update={
            "pipeline": tracker.pipeline,
            "unplaced": unplaced,
            "waves": waves,
            "changes": setting_changes(plan.configuration),
            "estimate_minutes": minutes,
            "estimate_reason": reason,
        }
    )
