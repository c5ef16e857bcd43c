"""The approval binds what launches, and a landing is proven from DRS and EC2, end to end.

The operator's `drsorch` command runs as a subprocess against the four services running as
processes of their own:

- a plan refused one target (its original was running); someone stopped it since, so the
  approved hash no longer covers what the apply would launch: the apply is refused before
  anything is written, and planning again gives a new hash that applies;
- DRS lands one server in another instance than its original (an emulator fault): the
  report says `recovered_elsewhere` naming that instance, the request FAILS with exit
  code 1, and the monitor counts it in its `ServersLandedElsewhere` metric.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from drsorch.local.server import LocalEndpoint
from support.aws import client, deploy
from support.cli_run import Ran, cli_env, run
from support.discovery_estates import PRIMARY, fresh
from support.hostile import workers_running
from support.monitor_world import calls

pytestmark = pytest.mark.e2e

STACK = "x9approve"
DRIFT_ESTATE = """
version: 1
name: x9drift
seed: 5
phase: failed_over
reverse_replication: {state: CONTINUOUS, lag_seconds: 0}
drs: {seed: 5, clock: {scale: 300}}
accounts:
  - kind: hub
    servers:
      - {name: drift-01, wave: 1, tags: {app: drift}}
      - {name: drift-02, wave: 1, tags: {app: drift}}
      - {name: drift-03, wave: 1, tags: {app: drift}, original: {state: running}}
"""
ELSEWHERE_ESTATE = """
version: 1
name: x9elsewhere
seed: 6
phase: failed_over
reverse_replication: {state: CONTINUOUS, lag_seconds: 0}
drs: {seed: 6, clock: {scale: 300}}
accounts:
  - kind: hub
    instances:
      - {name: stray-box, region: primary, state: stopped}
    servers:
      - {name: away-01, wave: 1, tags: {app: away}}
      - name: away-02
        wave: 1
        tags: {app: away}
        faults: {land_in: {instance: stray-box}}
"""
REQUEST = ["--primary-region", "us-east-1", "--recovery-region", "us-west-2"]


def _volumes(instance_ids: list[str]) -> dict[str, frozenset[str]]:
    reservations = client("ec2", region_name=PRIMARY).describe_instances(InstanceIds=instance_ids)
    return {
        i["InstanceId"]: frozenset(m["Ebs"]["VolumeId"] for m in i["BlockDeviceMappings"])
        for r in reservations["Reservations"]
        for i in r["Instances"]
    }


def _plan_hash(ran: Ran) -> str:
    assert ran.code == 0, ran.out + ran.err
    return ran.field(r"Plan ([0-9a-f]{64})")


@pytest.fixture(scope="module")
def env(endpoint: LocalEndpoint, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    deploy(STACK, VisibilityTimeoutSeconds=60)
    return cli_env(STACK, tmp_path_factory.mktemp("plans"))


@pytest.fixture(scope="module")
async def drift(
    endpoint: LocalEndpoint, env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    seeded = fresh(DRIFT_ESTATE)
    scope = [*REQUEST, "--scope", "app=drift"]
    running = seeded.server("drift-03").original_instance_id
    originals = [s.original_instance_id for s in seeded.servers]
    with workers_running(endpoint, STACK, tmp_path_factory.mktemp("drift-workers")):
        first = _plan_hash(await run(["failback", *scope, "--plan"], env, within=180))
        # The refused original is stopped by hand after the plan was approved.
        client("ec2", region_name=PRIMARY).stop_instances(InstanceIds=[running])
        before = _volumes(originals)
        stale = await run(["failback", *scope, "--approve", first, "--wait"], env, within=180)
        untouched = _volumes(originals) == before
        writes = [
            c for c in calls() if c["operation"] in ("UpdateLaunchConfiguration", "StartRecovery")
        ]
        second = _plan_hash(await run(["failback", *scope, "--plan"], env, within=180))
        fresh_run = await run(["failback", *scope, "--approve", second, "--wait"], env, within=240)
    return {
        "first": first,
        "second": second,
        "stale": stale,
        "untouched": untouched,
        "writes": writes,
        "fresh": fresh_run,
        "after": _volumes(originals),
        "before": before,
    }


def test_an_approval_of_a_plan_whose_launch_set_changed_launches_nothing(
    drift: dict[str, Any],
) -> None:
    stale: Ran = drift["stale"]
    assert stale.code == 3, stale.out + stale.err
    assert "REJECTED" in stale.out
    assert drift["untouched"]
    assert drift["writes"] == []


def test_planning_again_gives_a_new_hash_that_applies(drift: dict[str, Any]) -> None:
    assert drift["second"] != drift["first"]
    done: Ran = drift["fresh"]
    assert done.code == 0, done.out + done.err
    assert "SUCCEEDED" in done.out
    changed = [i for i, held in drift["after"].items() if held != drift["before"][i]]
    assert len(changed) == 3


@pytest.fixture(scope="module")
async def elsewhere(
    endpoint: LocalEndpoint, env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    seeded = fresh(ELSEWHERE_ESTATE)
    scope = [*REQUEST, "--scope", "app=away"]
    folder = tmp_path_factory.mktemp("elsewhere")
    report = folder / "report.json"
    with workers_running(endpoint, STACK, folder / "workers"):
        planned = _plan_hash(await run(["failback", *scope, "--plan"], env, within=180))
        args = ["failback", *scope, "--approve", planned, "--wait", "--report", str(report)]
        applied = await run(args, env, within=240)
    return {"seeded": seeded, "ran": applied, "report": report, "workers": folder / "workers"}


def test_a_server_that_landed_elsewhere_fails_the_request_with_the_instance_named(
    elsewhere: dict[str, Any],
) -> None:
    import json  # noqa: PLC0415

    ran: Ran = elsewhere["ran"]
    assert ran.code == 1, ran.out + ran.err
    stray = next(i for i in elsewhere["seeded"].decoys if i.name == "stray-box")
    document = json.loads(Path(elsewhere["report"]).read_text())
    assert document["status"] == "FAILED"
    lines = {line["server"]["name"]: line for line in document["servers"]}
    assert lines["away-02"]["outcome"] == "recovered_elsewhere"
    assert stray.instance_id in lines["away-02"]["reason"]
    assert lines["away-01"]["outcome"] == "recovered"
    assert stray.instance_id in document["reason"]


def test_a_landing_elsewhere_is_counted_in_an_alarmable_metric(elsewhere: dict[str, Any]) -> None:
    import json  # noqa: PLC0415

    # The monitor writes Embedded Metric Format lines on stdout, which CloudWatch Logs
    # turns into metrics; the worker's log holds them here.
    log = (elsewhere["workers"] / "monitor.log").read_text(errors="replace")
    lines = [json.loads(line) for line in log.splitlines() if line.startswith('{"_aws"')]
    counted = [
        line
        for line in lines
        if any(
            metric["Name"] == "ServersLandedElsewhere"
            for directive in line["_aws"]["CloudWatchMetrics"]
            for metric in directive["Metrics"]
        )
    ]
    assert counted, log[-3000:]
    (line,) = counted
    assert line["ServersLandedElsewhere"] in (1, [1])
    (directive,) = line["_aws"]["CloudWatchMetrics"]
    # Alarmable across requests: the request is a property, never a dimension.
    assert directive["Dimensions"] == [["service"]], directive
    assert "request_id" in line


OVERRIDE_ESTATE = """
version: 1
name: x9override
seed: 7
phase: failed_over
reverse_replication: {state: CONTINUOUS, lag_seconds: 0}
drs: {seed: 7, clock: {scale: 300}}
accounts:
  - kind: hub
    instances:
      - {name: rebuilt-box, region: primary, state: stopped}
    servers:
      - {name: kept-01, wave: 1, tags: {app: kept}}
      - name: lost-01
        wave: 1
        tags: {app: kept}
        original: {state: terminated}
        expect: {must-not-launch: the original DRS records is terminated}
"""


@pytest.fixture(scope="module")
async def override(
    endpoint: LocalEndpoint, env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    seeded = fresh(OVERRIDE_ESTATE)
    scope = [*REQUEST, "--scope", "app=kept"]
    lost = seeded.server("lost-01").source_server_id
    rebuilt = next(i for i in seeded.decoys if i.name == "rebuilt-box").instance_id
    chosen = [*scope, "--target", f"{lost}={rebuilt}"]
    with workers_running(endpoint, STACK, tmp_path_factory.mktemp("override-workers")):
        refused = await run(["failback", *scope, "--plan"], env, within=180)
        planned = await run(["failback", *chosen, "--plan"], env, within=180)
        before = _volumes([rebuilt])
        applied = await run(
            ["failback", *chosen, "--approve", _plan_hash(planned), "--wait"], env, within=240
        )
    return {
        "refused": refused,
        "planned": planned,
        "applied": applied,
        "replaced": _volumes([rebuilt]) != before,
        "rebuilt": rebuilt,
    }


def test_an_override_is_shown_beside_the_lineage_it_overrules_and_lands_there(
    override: dict[str, Any],
) -> None:
    refused: Ran = override["refused"]
    assert "is terminated" in refused.out  # without the override: left alone, saying why
    planned: Ran = override["planned"]
    assert f"-> {override['rebuilt']}" in planned.out
    assert "operator override --target" in planned.out
    assert "overrules lineage" in planned.out and "is terminated" in planned.out
    applied: Ran = override["applied"]
    assert applied.code == 0, applied.out + applied.err
    assert "SUCCEEDED" in applied.out
    assert override["replaced"]
