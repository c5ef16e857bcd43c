"""Every implemented operation, through the real boto3 drs client, checked against the model.

One scenario calls every operation the emulator implements (successes and modelled
errors); every raw response body is then checked against botocore's output or error
shape by `shape_check` (rules generated from the model, not listed by hand), and
every status against the modelled success or error code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.model import ServiceModel
from mypy_boto3_drs import DrsClient
from mypy_boto3_drs.type_defs import StartRecoveryRequestSourceServerTypeDef

from drsorch.local.drs import seed
from drsorch.local.drs.api import implemented
from drsorch.local.server import LocalEndpoint
from integration.local_drs.drs_world import ACCOUNT, PRIMARY, RECOVERY, DrsWorld
from integration.local_drs.shape_check import problems

pytestmark = pytest.mark.integration
MODEL: ServiceModel = botocore.session.get_session().get_service_model("drs")


@dataclass(frozen=True)
class Exchange:
    """One response as it came over the wire."""

    operation: str
    status: int
    error_type: str | None
    body: Any


def _recording(world: DrsWorld, region: str, log: list[Exchange]) -> DrsClient:
    client = world.drs(region)

    def record(http_response: Any, model: Any, **_: Any) -> None:
        raw = http_response.content
        error = http_response.headers.get("x-amzn-ErrorType")
        body = json.loads(raw) if raw else None
        log.append(Exchange(model.name, http_response.status_code, error, body))

    client.meta.events.register("after-call.drs", record)
    return client


def _expect_error(call: Any, **kwargs: Any) -> None:
    with pytest.raises(ClientError):
        call(**kwargs)


def _scenario(world: DrsWorld, log: list[Exchange]) -> None:
    primary, recovery = _recording(world, PRIMARY, log), _recording(world, RECOVERY, log)
    primary.initialize_service()
    recovery.initialize_service()
    ids = [
        seed.add_source_server(
            ACCOUNT,
            RECOVERY,
            seed.SourceServerSeed(
                hostname=f"host-{n}",
                origin_instance_id=f"i-0000000000000000{n}",
                origin_account_id=ACCOUNT,
                origin_region=PRIMARY,
                origin_availability_zone=f"{PRIMARY}b",
                private_ip=f"10.0.0.{n + 10}",
                tags={"app": "conformance"},
                replication_state=state,
            ),
        )
        for n, state in enumerate(["CONTINUOUS", "INITIAL_SYNC", "CONTINUOUS"])
    ]
    world.settings({"faults": {"servers": {"host-2": {"stall_replication": True}}}})
    template = recovery.describe_launch_configuration_templates()["items"][0]
    template_id = template["launchConfigurationTemplateID"]
    recovery.update_launch_configuration_template(
        launchConfigurationTemplateID=template_id, recoveryMode="OPTIMAL"
    )
    _expect_error(recovery.create_launch_configuration_template)
    for _page in recovery.get_paginator("describe_source_servers").paginate(
        PaginationConfig={"PageSize": 2}
    ):
        pass
    recovery.get_launch_configuration(sourceServerID=ids[0])
    recovery.update_launch_configuration(
        sourceServerID=ids[0], copyTags=True, launchDisposition="STARTED"
    )
    arn = f"arn:aws:drs:{RECOVERY}:{ACCOUNT}:source-server/{ids[0]}"
    recovery.tag_resource(resourceArn=arn, tags={"owner": "dr-team", "tier": "1"})
    recovery.untag_resource(resourceArn=arn, tagKeys=["tier"])
    recovery.list_tags_for_resource(resourceArn=arn)
    _expect_error(
        recovery.describe_source_servers, filters={"sourceServerIDs": ["s-not_a_valid_id!!!"]}
    )

    failover = recovery.start_recovery(sourceServers=[{"sourceServerID": ids[0]}])["job"]["jobID"]
    points = recovery.describe_recovery_snapshots(sourceServerID=ids[2], order="DESC")["items"]
    chosen: StartRecoveryRequestSourceServerTypeDef = {
        "sourceServerID": ids[2],
        "recoverySnapshotID": points[-1]["snapshotID"],
    }
    drill = recovery.start_recovery(sourceServers=[chosen], isDrill=True)["job"]["jobID"]
    _expect_error(recovery.start_recovery, sourceServers=[{"sourceServerID": ids[0]}])
    world.finish_job(recovery, failover)
    world.finish_job(recovery, drill)
    recovery.describe_job_log_items(jobID=failover)
    by_server = {
        item["sourceServerID"]: item["recoveryInstanceID"]
        for item in recovery.describe_recovery_instances()["items"]
    }
    _expect_error(recovery.reverse_replication, recoveryInstanceID=by_server[ids[0]])
    world.advance(600)
    reversed_arn = recovery.reverse_replication(recoveryInstanceID=by_server[ids[0]])[
        "reversedDirectionSourceServerArn"
    ]
    reversed_id = reversed_arn.rsplit("/", 1)[-1]
    primary.describe_source_servers()
    recovery.describe_recovery_instances()
    _expect_error(recovery.terminate_recovery_instances, recoveryInstanceIDs=[by_server[ids[0]]])
    _expect_error(recovery.disconnect_recovery_instance, recoveryInstanceID=by_server[ids[0]])
    primary.stop_replication(sourceServerID=reversed_id)
    primary.start_replication(sourceServerID=reversed_id)
    recovery.stop_failback(recoveryInstanceID=by_server[ids[0]])

    terminate = recovery.terminate_recovery_instances(recoveryInstanceIDs=[by_server[ids[2]]])[
        "job"
    ]["jobID"]
    world.finish_job(recovery, terminate)
    recovery.describe_jobs(filters={"fromDate": "2000-01-01T00:00:00Z"}, maxResults=1)
    recovery.describe_recovery_instances(filters={"recoveryInstanceIDs": [by_server[ids[2]]]})
    recovery.disconnect_recovery_instance(recoveryInstanceID=by_server[ids[2]])
    recovery.delete_recovery_instance(recoveryInstanceID=by_server[ids[2]])
    _expect_error(recovery.delete_source_server, sourceServerID=ids[2])
    recovery.disconnect_source_server(sourceServerID=ids[2])
    recovery.delete_source_server(sourceServerID=ids[2])
    _expect_error(recovery.get_launch_configuration, sourceServerID=ids[2])
    _staging(world, recovery)


def _staging(world: DrsWorld, recovery: DrsClient) -> None:
    """Staging accounts: a server of another account, extended into this one."""
    staging = "210987654321"
    staged = seed.add_source_server(
        staging,
        RECOVERY,
        seed.SourceServerSeed(
            hostname="staged-1",
            origin_instance_id="i-00000000000000099",
            origin_account_id=ACCOUNT,
            origin_region=PRIMARY,
            origin_availability_zone=f"{PRIMARY}a",
        ),
    )
    staged_arn = f"arn:aws:drs:{RECOVERY}:{staging}:source-server/{staged}"
    _expect_error(recovery.list_extensible_source_servers, stagingAccountID=staging)
    seed.trust_staging_account(ACCOUNT, staging)
    recovery.list_extensible_source_servers(stagingAccountID=staging, maxResults=10)
    recovery.list_staging_accounts(maxResults=5)
    recovery.create_extended_source_server(sourceServerArn=staged_arn, tags={"app": "staged"})
    _expect_error(recovery.create_extended_source_server, sourceServerArn=staged_arn)
    recovery.describe_source_servers(filters={"stagingAccountIDs": [staging]})
    recovery.list_staging_accounts()


@pytest.fixture(scope="module")
def exchanges(endpoint: LocalEndpoint) -> Iterator[list[Exchange]]:
    """Every response of the scenario, recorded once for this module."""
    world = DrsWorld(endpoint.url, boto3.Session())
    endpoint.reset()
    world.admin("PUT", "/settings", {"seed": 11, "clock": {"scale": 0}})
    log: list[Exchange] = []
    try:
        _scenario(world, log)
        yield log
    finally:
        world.admin("POST", "/reset")
        world.admin("PUT", "/settings", {})


def test_the_scenario_covers_every_implemented_operation(exchanges: list[Exchange]) -> None:
    answered = {exchange.operation for exchange in exchanges if exchange.error_type is None}
    assert set(implemented()) - answered == {"CreateLaunchConfigurationTemplate"}


@pytest.mark.parametrize("operation", sorted(implemented()))
def test_every_response_matches_the_model(exchanges: list[Exchange], operation: str) -> None:
    op_model = MODEL.operation_model(operation)
    seen = [exchange for exchange in exchanges if exchange.operation == operation]
    assert seen, f"{operation} was never called"
    for exchange in seen:
        if exchange.error_type is None:
            assert exchange.status == op_model.http.get("responseCode", 200)
            found = problems(op_model.output_shape, exchange.body or {})
        else:
            error_shape = MODEL.shape_for(exchange.error_type)
            modelled = {shape.name for shape in op_model.error_shapes} | {"ValidationException"}
            assert exchange.error_type in modelled
            assert exchange.status == error_shape.metadata["error"]["httpStatusCode"]
            found = problems(error_shape, exchange.body)
        assert not found, f"{operation} answered {exchange.status}: " + "; ".join(found[:10])
