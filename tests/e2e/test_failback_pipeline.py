"""A failback of five times the replicating-servers quota in one account, with the four
services as processes.

DRS lets a limited number of source servers replicate per account and region (300; the
emulator's quota is 20 here to stay fast), and each FAILBACK-direction server takes one
of the primary region's slots until its replication is stopped. Five servers outside the
request already replicate there. drsorch starts reverse replication only into the free
slots, earliest wave first, and frees each slot by stopping the FAILBACK server's
replication once DRS and EC2 show its server landed. Every server lands; the emulator's
call log shows the quota held at every moment and no ServiceQuotaExceeded; DRS's job log
shows each wave's jobs starting only after the wave before ended, while the next wave's
servers were already syncing.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from typing import Any

import boto3
import pytest

from drsorch.contracts import (
    Accounts,
    Envelope,
    Event,
    RequestCompleted,
    RequestOptions,
    RequestSpec,
    Scope,
    SlotPipeline,
    TargetConfigured,
)
from drsorch.local.server import LocalEndpoint
from support.aws import FAST, deploy
from support.discovery_estates import PRIMARY, RECOVERY, fresh
from support.hostile import approved, run_request, workers_running
from support.monitor_world import calls
from support.observer import observer_queue

pytestmark = pytest.mark.e2e

HUB = "123456789012"
QUOTA = 20
OUTSIDE = 5
COUNT = 5 * QUOTA
SYNC = 900  # the plan's assumed sync time per slot round
# Failed over, reverse replication not started. The FAILOVER servers' replication was
# stopped after the failover (drs-api-facts.md §3.2 step 1b), so the recovery region
# holds them within its own quota; five other servers of the account already fail back
# outside the request, in the primary region.
ESTATE = f"""
version: 1
name: pipelined-failback
seed: 29
regions: {{primary: {PRIMARY}, recovery: {RECOVERY}}}
phase: failed_over
drs:
  seed: 29
  clock: {{scale: 600}}
  quotas: {{replicating_servers: {QUOTA}}}
  timings:
    replication_initiating: {{min_seconds: 10, max_seconds: 30}}
    initial_sync: {{min_seconds: 60, max_seconds: 180}}
    conversion: {{min_seconds: 30, max_seconds: 60}}
accounts:
  - kind: hub
    id: "{HUB}"
    generators:
      - count: {COUNT}
        name: pl-{{index:03d}}
        waves: [1, 2, 3]
        name_noise: {{rate: 0}}
        template:
          tags: {{app: piped}}
          replication: {{state: STOPPED}}
      - count: {OUTSIDE}
        name: other-{{index:03d}}
        name_noise: {{rate: 0}}
        template:
          tags: {{app: other}}
          replication: {{state: STOPPED}}
          reverse_replication: {{started: true, state: CONTINUOUS}}
"""


@pytest.fixture(scope="module")
async def outcome(
    endpoint: LocalEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    endpoint.reset()
    report = fresh(ESTATE)
    stack = deploy("x14pipe", VisibilityTimeoutSeconds=60)
    observer = observer_queue(stack, "x14pipe-observer")
    spec = RequestSpec(
        operation="failback",
        scope=Scope(selector={"app": "piped"}),
        accounts=Accounts(hub=HUB),
        primary_region=PRIMARY,
        recovery_region=RECOVERY,
        requested_by="e2e-pipeline",
        options=RequestOptions(assumed_sync_seconds=SYNC),
    )
    env = {"DRSORCH_CONFIGURATOR_REPLICATING_SERVERS_QUOTA": str(QUOTA)}
    plan_events: list[Envelope[Event]] = []
    with workers_running(endpoint, "x14pipe", tmp_path_factory.mktemp("x14pipe"), **env):
        apply = await approved(
            stack,
            observer,
            spec,
            plan_id="req-x14p-plan",
            apply_id="req-x14p-apply",
            seen=plan_events,
        )
        applied = await run_request(stack, observer, apply, "req-x14p-apply", within=300)
    return {"report": report, "applied": applied, "plan_events": plan_events}


def _lines(chunks: list[RequestCompleted]) -> dict[str, Any]:
    return {line.server.source_server_id: line for chunk in chunks for line in chunk.servers}


def test_every_server_lands_in_its_original(outcome: dict[str, Any]) -> None:
    applied: list[RequestCompleted] = outcome["applied"]
    lines = _lines(applied)
    assert applied[0].status == "SUCCEEDED", applied[0].reason
    piped = [s for s in outcome["report"].servers if s.name.startswith("pl-")]
    assert len(piped) == len(lines) == COUNT
    for server in piped:
        line = lines[server.source_server_id]
        assert line.outcome == "recovered", (server.name, line.reason)
        assert line.ec2_instance_id == server.original_instance_id
        assert line.launched_into_expected is True


def test_the_plan_answers_with_its_pipeline_in_a_typed_field(outcome: dict[str, Any]) -> None:
    """The configurator's TargetConfigured carries the slots it counted in DRS: the quota less
    the five outside servers, the rounds of the 100 servers through them, and the estimate."""
    configured = [
        e.payload for e in outcome["plan_events"] if isinstance(e.payload, TargetConfigured)
    ]
    carrying = [c.pipeline for c in configured if c.pipeline]
    assert carrying, "no TargetConfigured carried the pipeline"
    batches = -(-COUNT // (QUOTA - OUTSIDE))
    assert carrying[0] == (
        SlotPipeline(
            account_id=HUB,
            region=PRIMARY,
            quota=QUOTA,
            replicating_outside=OUTSIDE,
            slots=QUOTA - OUTSIDE,
            servers=COUNT,
            batches=batches,
            assumed_sync_seconds=SYNC,
            estimate_seconds=batches * SYNC,
            unplaced=0,
        ),
    )
    assert not [r for c in configured for r in c.results if r.unplaced]


def test_the_quota_held_at_every_moment_and_nothing_was_refused(outcome: dict[str, Any]) -> None:
    log = calls()
    assert not [c for c in log if c["error_code"] == "ServiceQuotaExceededException"]
    # Replay the call log: each reverse replication adds a FAILBACK server replicating in the
    # primary region, each StopReplication of one takes it away.
    replicating, ours, most = set(), 0, 0
    for call in sorted(log, key=lambda c: c["seq"]):
        if call["status"] >= 300:
            continue
        if call["operation"] == "ReverseReplication":
            arn = call["result"]["reversedDirectionSourceServerArn"]
            replicating.add(arn.rsplit("/", 1)[-1])
        elif call["operation"] == "StopReplication" and call["region"] == PRIMARY:
            replicating.discard(call["arguments"]["sourceServerID"])
        ours = len(replicating)
        most = max(most, ours)
    assert most <= QUOTA - OUTSIDE, most
    assert most == QUOTA - OUTSIDE, "the free slots were not all used"
    reversed_ = [c for c in log if c["operation"] == "ReverseReplication" and c["status"] == 200]
    assert len(reversed_) == COUNT
    # Only landed servers gave their slot back, and nothing outside the request was touched.
    stopped = {c["arguments"]["sourceServerID"] for c in log if c["operation"] == "StopReplication"}
    launching = {line.launching_server_id for line in _lines(outcome["applied"]).values()}
    assert stopped and stopped <= launching
    drs = boto3.client("drs", region_name=PRIMARY, config=FAST)
    held = [i for p in drs.get_paginator("describe_source_servers").paginate() for i in p["items"]]
    states = Counter(
        (s["sourceServerID"] in launching, s["dataReplicationInfo"]["dataReplicationState"])
        for s in held
    )
    assert states[False, "CONTINUOUS"] == OUTSIDE


def test_waves_complete_in_order_while_the_next_wave_syncs(outcome: dict[str, Any]) -> None:
    """From DRS's own job log: no job of wave k+1 starts before wave k's last job ended, and
    reverse replication of wave k+1 started before then."""
    wave_of = {
        line.launching_server_id: line.server.wave for line in _lines(outcome["applied"]).values()
    }
    drs = boto3.client("drs", region_name=PRIMARY, config=FAST)
    jobs = [j for p in drs.get_paginator("describe_jobs").paginate() for j in p["items"]]
    bounds: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for job in jobs:
        if job["type"] != "LAUNCH":
            continue
        waves = {wave_of[s["sourceServerID"]] for s in job["participatingServers"]}
        assert len(waves) == 1, "a job mixes waves"
        items = drs.describe_job_log_items(jobID=job["jobID"])["items"]
        when = {item["event"]: item["logDateTime"] for item in items}
        bounds[waves.pop()].append((when["JOB_START"], when["JOB_END"]))
    assert sorted(bounds) == [1, 2, 3]
    assert sum(1 for _ in itertools.chain(*bounds.values())) > 3, "no wave ran in batches"
    reversed_at = defaultdict(list)
    for call in calls("ReverseReplication"):
        arn = call["result"]["reversedDirectionSourceServerArn"]
        reversed_at[wave_of[arn.rsplit("/", 1)[-1]]].append(call["simulated_time"])
    for wave, following in itertools.pairwise(sorted(bounds)):
        last_end = max(end for _, end in bounds[wave])
        assert min(start for start, _ in bounds[following]) >= last_end, (wave, following)
        assert min(reversed_at[following]) < last_end, f"wave {following} did not sync early"
