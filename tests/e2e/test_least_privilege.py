"""Least privilege, proven: each role grants exactly the AWS actions its service called.

The end-to-end suite runs with `DRSORCH_AWS_CALLS_FILE` set (tests/e2e/conftest.py):
every worker, in-process or a process of its own, records each action it called and
whether with its own role (the hub) or an assumed spoke role. Run after every other
end-to-end test, this compares the record with the roles of infra/aws/drsorch.yaml
(one per service), its OperatorPolicy (the `drsorch` command, run as a process by the
CLI tests) and infra/aws/spoke.yaml (one for all services): an action called
but not granted fails, and so does one granted but never called, unless the role's
Metadata `drsorch:unrecorded` says why it is needed anyway. A written-down action the
suite happens to reach (a retry that depends on timing) is no failure: what is proven is
that nothing is granted without either a recorded call or a written reason.
Under pytest-xdist (make test) the run's processes share the record and the proof
waits for the end-to-end tests running in the other process (support/iam_record.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ship.policies import HUB_TEMPLATE, SPOKE_TEMPLATE, granted, unrecorded

from drsorch.runtime.calls import HUB, SPOKE, read_calls
from support.aws import wait_for
from support.iam_record import finished_tests

# How long the proof waits for end-to-end tests still running in the run's other
# pytest-xdist process (make test): up to the longest module, on a loaded machine.
OTHERS_SECONDS = 900.0
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(OTHERS_SECONDS + 300)]

SERVICES = ("discovery", "matcher", "configurator", "monitor")
# The suite's modules whose workers the record comes from; without all of them the
# record is partial and "never called" would be noise.
RECORDING_MODULES = {
    "test_failback_300.py",
    "test_traps_and_throttling.py",
    "test_cli_pipeline.py",
    "test_trace_across_processes.py",
    "test_round_trip.py",
}


@pytest.fixture(scope="module")
def recorded(request: pytest.FixtureRequest, aws_calls_file: Path) -> set[tuple[str, str, str]]:
    ran = {item.path.name for item in request.session.items}
    missing = RECORDING_MODULES - ran
    if missing:
        pytest.skip(f"needs the whole end-to-end suite; not run: {', '.join(sorted(missing))}")
    # Every other end-to-end test records; under pytest-xdist some may still be running
    # in the other process.
    here = Path(__file__).parent
    others = {
        item.nodeid
        for item in request.session.items
        if here in item.path.parents and item.path.name != Path(__file__).name
    }
    wait_for(
        lambda: others <= finished_tests(aws_calls_file.parent),
        timeout=OTHERS_SECONDS,
        every=1.0,
    )
    return read_calls(aws_calls_file)


def _check(called: set[str], allowed: set[str], exceptions: dict[str, str], role: str) -> None:
    assert called - allowed == set(), f"{role} lacks actions its service called"
    assert allowed - called <= set(exceptions), (
        f"{role}: granted but never called, and not written down as an exception: "
        f"{sorted(allowed - called - set(exceptions))}"
    )
    assert set(exceptions) <= allowed, (
        f"{role}: written down but not granted: {sorted(set(exceptions) - allowed)}"
    )


@pytest.mark.parametrize("service", SERVICES)
def test_each_function_role_grants_exactly_what_its_service_called(
    recorded: set[tuple[str, str, str]], service: str
) -> None:
    role = f"{service.capitalize()}FunctionRole"
    called = {action for who, via, action in recorded if who == service and via == HUB}
    assert called, f"nothing recorded for {service}"
    _check(called, granted(HUB_TEMPLATE, role), unrecorded(HUB_TEMPLATE, role), role)


def test_the_spoke_role_grants_exactly_what_the_services_called_through_it(
    recorded: set[tuple[str, str, str]],
) -> None:
    called = {action for _, via, action in recorded if via == SPOKE}
    assert called, "no call went through a spoke role"
    _check(
        called,
        granted(SPOKE_TEMPLATE, "SpokeRole"),
        unrecorded(SPOKE_TEMPLATE, "SpokeRole"),
        "SpokeRole",
    )


def test_the_operator_policy_grants_exactly_what_the_cli_called(
    recorded: set[tuple[str, str, str]],
) -> None:
    called = {action for who, _, action in recorded if who == "cli"}
    assert called, "the drsorch command recorded no call (cli/aws.py records its session)"
    # The suite's operator also approves: OperatorPolicy and ApproverPolicy together.
    policies = ("OperatorPolicy", "ApproverPolicy")
    _check(
        called,
        set().union(*(granted(HUB_TEMPLATE, p) for p in policies)),
        dict(kv for p in policies for kv in unrecorded(HUB_TEMPLATE, p).items()),
        "OperatorPolicy + ApproverPolicy",
    )
