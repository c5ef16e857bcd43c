"""The local endpoint as the monitor's tests use it: a seeded estate, the configurator's
part done by hand where a test drives the monitor alone, and a queue that watches the
events topic.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import boto3

from drsorch.contracts import (
    Accounts,
    ConfigurationResult,
    Envelope,
    Event,
    LaunchConfiguration,
    Pair,
    PairsMatched,
    RequestSpec,
    ServerRef,
    TargetConfigured,
    TargetRef,
)
from drsorch.local.deploy import StackOutputs
from drsorch.local.drs.emulator import default_emulator
from drsorch.local.drs.settings import EmulatorSettings
from drsorch.local.estate import SeededServer, parse_estate, seed_estate
from support.aws import FAST, client, drain
from support.monitor_builders import PLAN_HASH, PRIMARY, RECOVERY

WATCHED = ("JobStarted", "JobCompleted", "RequestCompleted")


def seed(estate_yaml: str, name: str) -> dict[str, SeededServer]:
    """Seed an estate; its servers by name."""
    report = seed_estate(parse_estate(estate_yaml, name))
    return {server.name: server for server in report.servers}


def emulator_settings(patch: dict[str, Any]) -> None:
    """Merge a partial settings document into the emulator's (nested objects merge)."""
    emulator = default_emulator()
    merged = _merge(emulator.settings.model_dump(mode="json"), patch)
    emulator.configure(EmulatorSettings.model_validate(merged))


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Nested objects merge; an empty object replaces (it clears faults, say)."""
    out = dict(base)
    for key, value in patch.items():
        nested = isinstance(value, dict) and value and isinstance(out.get(key), dict)
        out[key] = _merge(out[key], value) if nested else value
    return out


def calls(operation: str | None = None) -> list[dict[str, Any]]:
    """The emulator's call log."""
    emulator = default_emulator()
    with emulator.lock:
        return [r.to_json() for r in emulator.calls.records(operation=operation)]


def drs(region: str = PRIMARY) -> Any:
    return boto3.client("drs", region_name=region, config=FAST)


def configure_launch_into(servers: Iterable[SeededServer]) -> None:
    """What the configurator does for a failback whose reverse replication runs: each
    FAILBACK server launches into its original instance."""
    primary = drs(PRIMARY)
    for server in servers:
        assert server.failback_source_server_id, f"{server.name} has no FAILBACK server"
        primary.update_launch_configuration(
            sourceServerID=server.failback_source_server_id,
            launchIntoInstanceProperties={"launchIntoEC2InstanceID": server.original_instance_id},
            copyPrivateIp=False,
            copyTags=False,
            targetInstanceTypeRightSizingMethod="NONE",
        )


def private_ips(instance_ids: Sequence[str], region: str = PRIMARY) -> dict[str, str]:
    ec2 = boto3.client("ec2", region_name=region, config=FAST)
    found = ec2.describe_instances(InstanceIds=list(instance_ids))
    return {
        i["InstanceId"]: i["PrivateIpAddress"]
        for r in found["Reservations"]
        for i in r["Instances"]
    }


def failback_pair(server: SeededServer, wave: int, ip: str | None) -> Pair:
    return Pair(
        server=ServerRef(
            source_server_id=server.source_server_id,
            account_id=server.account_id,
            region=RECOVERY,
            name=server.name,
            wave=wave,
        ),
        target=TargetRef(
            instance_id=server.original_instance_id,
            account_id=server.account_id,
            region=PRIMARY,
            name=server.name,
            private_ip=ip,
        ),
        method="lineage",
        evidence=(f"awsInstanceID={server.original_instance_id} matches",),
        # As the matcher pairs by lineage: the instance it leads to, and the record it rests on.
        lineage_instance_id=server.original_instance_id,
        origin_instance_id=server.original_instance_id,
        replication_direction="FAILOVER",
        recovery_instance_id=server.recovery_instance_id,
        recovery_ec2_instance_id=server.recovery_ec2_instance_id,
        failback_server_id=server.failback_source_server_id,
    )


def configured(
    server: SeededServer, outcome: str = "configured", reason: str | None = None
) -> ConfigurationResult:
    launching = server.failback_source_server_id if outcome != "rejected" else None
    return ConfigurationResult(
        source_server_id=server.source_server_id,
        launching_server_id=launching,
        account_id=server.account_id,
        launch_region=PRIMARY,
        target_instance_id=server.original_instance_id,
        outcome=outcome,  # type: ignore[arg-type]
        reason=reason,
        previous=LaunchConfiguration(copy_private_ip=False),
    )


def plan_events(
    request_id: str,
    spec: RequestSpec,
    pairs: Sequence[Pair],
    results: Sequence[ConfigurationResult],
) -> list[Envelope[Event]]:
    matched = Envelope.wrap(
        PairsMatched(spec=spec, match_hash=PLAN_HASH, pairs=tuple(pairs)),
        request_id=request_id,
        step="matched",
        producer="matcher",
    )
    configured_event = Envelope.wrap(
        TargetConfigured(
            plan_hash=PLAN_HASH,
            results=tuple(results),
            api_calls={"UpdateLaunchConfiguration": len(results)},
        ),
        request_id=request_id,
        step="configured",
        producer="configurator",
        causation_id=matched.event_id,
    )
    return [matched, configured_event]


def hub_spec(**changes: Any) -> RequestSpec:
    return RequestSpec.model_validate(
        {
            "operation": "failback",
            "scope": {"selector": {"app": "payments"}},
            "accounts": Accounts(hub="123456789012").model_dump(),
            "primary_region": PRIMARY,
            "recovery_region": RECOVERY,
            "requested_by": "monitor-test",
            **changes,
        }
    )


def watch(topology: StackOutputs, name: str, types: Sequence[str] = WATCHED) -> str:
    """A queue subscribed to every service's topic for `types`; its URL."""
    sqs, sns = client("sqs"), client("sns")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    for topic_arn in topology.events_topic_arns:
        sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={
                "FilterPolicy": json.dumps({"type": list(types)}),
                "RawMessageDelivery": "true",
            },
        )
    return str(url)


def envelopes_from(queue_url: str, *, expect: int, timeout: float = 30) -> list[dict[str, Any]]:
    """Envelopes (as dicts) drained from a watch queue."""
    return [json.loads(m["Body"]) for m in drain(queue_url, expect=expect, timeout=timeout)]
