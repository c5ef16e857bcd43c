"""Bad input is refused at the edge, with an error that names the field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from drsorch.contracts import (
    EVENTS,
    Accounts,
    Chunk,
    ConfigurationResult,
    Envelope,
    FailbackRequested,
    InvalidPayload,
    JobStarted,
    Pair,
    Scope,
    ServerLaunch,
    Spoke,
    TargetRef,
)
from unit.contracts.samples import (
    FAILBACK_SERVER,
    HUB,
    ORIGIN,
    PLAN,
    PRIMARY,
    REQUEST_ID,
    SERVER,
    SPOKE,
    job_started,
    server_ref,
    spec,
)


def error_locations(exc: ValidationError) -> set[str]:
    return {".".join(str(p) for p in err["loc"]) for err in exc.errors()}


def request_message(**spec_changes: Any) -> dict[str, Any]:
    envelope = Envelope.wrap(
        FailbackRequested(spec=spec()), request_id=REQUEST_ID, step="cli", producer="cli"
    )
    message: dict[str, Any] = json.loads(envelope.to_json())
    message["payload"]["spec"].update(spec_changes)
    return message


def test_a_bad_account_id_is_refused_on_the_wire_naming_the_field() -> None:
    message = request_message(accounts={"hub": "12345", "spokes": []})
    with pytest.raises(InvalidPayload, match=r"payload\.spec\.accounts\.hub: String should match"):
        EVENTS.parse(json.dumps(message))


def test_a_bad_instance_id_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        TargetRef(instance_id="i-XYZ", account_id=SPOKE, region=PRIMARY)
    assert error_locations(info.value) == {"instance_id"}


@pytest.mark.parametrize("bad", ["i-0123456", "i-0123456789ABCDEF0", "0123456789abcdef0", ""])
def test_instance_ids_have_eight_or_seventeen_lowercase_hex_digits(bad: str) -> None:
    with pytest.raises(ValidationError):
        TargetRef(instance_id=bad, account_id=SPOKE, region=PRIMARY)


def test_an_oversized_job_is_refused_naming_the_field() -> None:
    servers = tuple(f"s-{i:017d}" for i in range(101))
    with pytest.raises(ValidationError) as info:
        JobStarted.model_validate({**job_started().model_dump(), "source_server_ids": servers})
    assert error_locations(info.value) == {"source_server_ids"}
    assert "at most 100 items" in str(info.value)


def test_an_oversized_job_is_refused_on_the_wire() -> None:
    envelope = Envelope.wrap(job_started(), request_id=REQUEST_ID, step="s", producer="monitor")
    message = json.loads(envelope.to_json())
    message["payload"]["source_server_ids"] = [f"s-{i:017d}" for i in range(101)]
    with pytest.raises(
        InvalidPayload, match=r"payload\.source_server_ids: Tuple should have at most"
    ):
        EVENTS.parse(json.dumps(message))


def test_a_server_twice_in_one_job_is_refused() -> None:
    with pytest.raises(ValidationError, match=f"duplicate entries: {FAILBACK_SERVER}"):
        JobStarted.model_validate(
            {**job_started().model_dump(), "source_server_ids": (FAILBACK_SERVER,) * 2}
        )


def test_a_scope_with_both_kinds_is_refused() -> None:
    with pytest.raises(ValidationError, match="exactly one of selector"):
        Scope(selector={"app": "payments"}, source_server_ids=(SERVER,))


def test_a_scope_with_neither_kind_is_refused() -> None:
    with pytest.raises(ValidationError, match="exactly one of selector"):
        Scope(selector={})


def test_same_primary_and_recovery_regions_are_refused() -> None:
    with pytest.raises(ValidationError, match="recovery_region must differ from primary_region"):
        spec(recovery_region=PRIMARY)


def test_plan_only_with_an_approved_hash_is_refused() -> None:
    with pytest.raises(ValidationError, match="plan_only and approved_plan_hash"):
        spec(plan_only=True, approved_plan_hash=PLAN)


def test_both_plan_rules_are_refused_on_the_wire_too() -> None:
    message = request_message(plan_only=True, approved_plan_hash=PLAN)
    with pytest.raises(InvalidPayload, match="plan_only and approved_plan_hash"):
        EVENTS.parse(json.dumps(message))


def test_a_drill_may_not_ask_to_launch_into_instances() -> None:
    with pytest.raises(ValidationError, match="a drill uses standard launches"):
        spec(drill=True, launch_into="required")


def test_a_request_event_must_match_its_spec_operation() -> None:
    with pytest.raises(
        ValidationError, match=r"FailbackRequested needs spec\.operation 'failback'"
    ):
        FailbackRequested(spec=spec("failover"))


def test_the_hub_may_not_also_be_a_spoke() -> None:
    with pytest.raises(ValidationError, match="distinct accounts"):
        Accounts(hub=HUB, spokes=(Spoke(account_id=HUB),))


def test_a_chunk_index_must_be_below_its_count() -> None:
    with pytest.raises(ValidationError, match="chunk index 2 must be below count 2"):
        Chunk(index=2, count=2)


def test_a_pair_has_a_method_exactly_when_it_has_a_target() -> None:
    with pytest.raises(ValidationError, match="target and method"):
        Pair(server=server_ref(), method="name")


def test_a_rejection_needs_a_reason() -> None:
    with pytest.raises(ValidationError, match="rejected configuration needs a reason"):
        ConfigurationResult(
            source_server_id=SERVER, account_id=SPOKE, launch_region=PRIMARY, outcome="rejected"
        )


def test_landing_in_the_expected_instance_must_be_proven_by_the_ids() -> None:
    with pytest.raises(ValidationError, match="launched_into_expected"):
        ServerLaunch(
            source_server_id=FAILBACK_SERVER,
            launch_status="LAUNCHED",
            ec2_instance_id="i-0000000000000000f",
            expected_instance_id=ORIGIN,
            launched_into_expected=True,
        )


def test_events_are_frozen() -> None:
    job = job_started()
    with pytest.raises(ValidationError):
        job.wave = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    "region",
    ["us-east-1", "eu-west-2", "us-gov-west-1", "ap-southeast-2", "il-central-1", "us-isob-east-1"],
)
def test_real_region_names_are_accepted(region: str) -> None:
    assert (
        JobStarted.model_validate({**job_started().model_dump(), "region": region}).region == region
    )


@pytest.mark.parametrize("region", ["US-EAST-1", "us-east", "useast1", "us_east_1", "us-east-1a"])
def test_malformed_region_names_are_refused(region: str) -> None:
    with pytest.raises(ValidationError) as info:
        JobStarted.model_validate({**job_started().model_dump(), "region": region})
    assert error_locations(info.value) == {"region"}
