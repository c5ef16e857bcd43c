"""Two failbacks applied at once in one account and region, with the four services as
processes, at a replicating-servers quota of 20.

Each request alone would fit: 15 servers each. Together they need 30 slots of 20. The
configurator's slot ledger makes each request count the slots the other was given and has
not used yet, so the second never starts reverse replication into a slot the first
holds: every server of both lands, the emulator's call log shows at most the quota
replicating at any moment, and DRS never answers ServiceQuotaExceeded.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from drsorch.contracts import Accounts, RequestCompleted, RequestSpec, Scope
from drsorch.local.server import LocalEndpoint
from support.aws import deploy
from support.discovery_estates import PRIMARY, RECOVERY, fresh
from support.hostile import approved, run_request, workers_running
from support.monitor_world import calls
from support.observer import observer_queue

pytestmark = pytest.mark.e2e

HUB = "123456789012"
QUOTA = 20
EACH = 15
APPS = ("one", "two")
ESTATE = f"""
version: 1
name: two-failbacks
seed: 37
regions: {{primary: {PRIMARY}, recovery: {RECOVERY}}}
phase: failed_over
drs:
  seed: 37
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
""" + "".join(
    f"""      - count: {EACH}
        name: {app}-{{index:03d}}
        waves: [1, 2]
        name_noise: {{rate: 0}}
        template:
          tags: {{app: {app}}}
          replication: {{state: STOPPED}}
"""
    for app in APPS
)


def _spec(app: str) -> RequestSpec:
    return RequestSpec(
        operation="failback",
        scope=Scope(selector={"app": app}),
        accounts=Accounts(hub=HUB),
        primary_region=PRIMARY,
        recovery_region=RECOVERY,
        requested_by=f"e2e-two-{app}",
    )


@pytest.fixture(scope="module")
async def outcome(
    endpoint: LocalEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[RequestCompleted]]:
    endpoint.reset()
    fresh(ESTATE)
    stack = deploy("x14two", VisibilityTimeoutSeconds=60)
    observers = {app: observer_queue(stack, f"x14two-observer-{app}") for app in APPS}
    env = {"DRSORCH_CONFIGURATOR_REPLICATING_SERVERS_QUOTA": str(QUOTA)}
    with workers_running(endpoint, "x14two", tmp_path_factory.mktemp("x14two"), **env):
        applies = {}
        for app in APPS:
            applies[app] = await approved(
                stack,
                observers[app],
                _spec(app),
                plan_id=f"req-x14two-{app}-plan",
                apply_id=f"req-x14two-{app}",
            )
        done = await asyncio.gather(
            *(
                run_request(stack, observers[app], applies[app], f"req-x14two-{app}", within=400)
                for app in APPS
            )
        )
    return dict(zip(APPS, done, strict=True))


def test_both_failbacks_land_every_server(outcome: dict[str, list[RequestCompleted]]) -> None:
    for app, chunks in outcome.items():
        lines = [line for chunk in chunks for line in chunk.servers]
        assert chunks[0].status == "SUCCEEDED", (app, chunks[0].reason)
        assert len(lines) == EACH
        assert all(line.outcome == "recovered" for line in lines), app


def test_the_quota_held_across_both_and_nothing_was_refused(
    outcome: dict[str, list[RequestCompleted]],
) -> None:
    log = calls()
    assert not [c for c in log if c["error_code"] == "ServiceQuotaExceededException"]
    # Replay the call log: each reverse replication adds a FAILBACK server replicating in the
    # primary region, each StopReplication there takes one away.
    replicating: set[str] = set()
    most = 0
    for call in sorted(log, key=lambda c: c["seq"]):
        if call["status"] >= 300:
            continue
        if call["operation"] == "ReverseReplication":
            replicating.add(call["result"]["reversedDirectionSourceServerArn"].rsplit("/", 1)[-1])
        elif call["operation"] == "StopReplication" and call["region"] == PRIMARY:
            replicating.discard(call["arguments"]["sourceServerID"])
        most = max(most, len(replicating))
    assert most <= QUOTA, most
    launching = {
        line.launching_server_id: app
        for app, chunks in outcome.items()
        for chunk in chunks
        for line in chunk.servers
    }
    started: dict[str, Any] = dict.fromkeys(APPS, 0)
    for call in log:
        if call["operation"] == "ReverseReplication" and call["status"] == 200:
            arn = call["result"]["reversedDirectionSourceServerArn"]
            started[launching[arn.rsplit("/", 1)[-1]]] += 1
    assert started == dict.fromkeys(APPS, EACH)
