"""Resolving an estate into servers: defaults, phases, tags, and deterministic generators."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from drsorch.local.estate import estates_dir, load_estate
from drsorch.local.estate.loader import parse_estate
from drsorch.local.estate.noise import add_noise
from drsorch.local.estate.plan import EstatePlan, PlannedServer, default_hostname, plan_estate

AWSDRS = ("AWSDRS", "AllowLaunchingIntoThisInstance")


def plan_of(text: str) -> EstatePlan:
    return plan_estate(parse_estate(text))


def servers_of(plan: EstatePlan) -> list[PlannedServer]:
    return [server for account in plan.accounts for server in account.servers]


def test_a_protected_server_has_a_running_tagged_original_and_no_recovery_instance() -> None:
    plan = plan_of(
        "name: x\naccounts:\n  - kind: hub\n"
        "    servers: [{name: Web 01, wave: 2, tags: {app: shop}}]\n"
    )
    account = plan.accounts[0]
    assert account.id == "123456789012"
    assert account.drs_regions == ("primary", "recovery")
    [server] = account.servers
    assert server.hostname == "web-01"
    assert server.tags == {"Name": "Web 01", "app": "shop", "dr:wave": "2"}
    assert server.original.state == "running"
    assert server.original.tags == {**server.tags, AWSDRS[0]: AWSDRS[1]}
    assert server.original.instance_type == "t3.medium"
    assert server.original.zone == "a"
    assert (server.target, server.recovery, server.reverse) == (None, None, None)


def test_a_failed_over_server_has_a_stopped_original_and_a_running_recovery_instance() -> None:
    plan = plan_of(
        """\
name: x
phase: failed_over
reverse_replication: {state: BACKLOG, lag_seconds: 60}
accounts:
  - kind: hub
    servers:
      - {name: a, architecture: arm64, target: {allow_launch_into: false, state: running}}
      - {name: b, reverse_replication: {started: false}, original: {state: running}}
      - {name: c, phase: protected}
"""
    )
    a, b, c = servers_of(plan)
    assert a.original.state == "stopped"
    assert a.original.instance_type == "t4g.medium"
    assert a.recovery is not None
    assert a.recovery.state == "running"
    assert AWSDRS[0] not in a.recovery.tags
    assert a.reverse is not None
    assert (a.reverse.state, a.reverse.lag_seconds) == ("BACKLOG", 60)
    assert a.target is not None
    assert (a.target.state, AWSDRS[0] in a.target.tags) == ("running", False)
    assert (b.original.state, b.reverse) == ("running", None)
    assert b.recovery is not None
    assert (c.original.state, c.recovery, c.reverse) == ("running", None, None)
    assert [s.original.zone for s in (a, b, c)] == ["a", "b", "a"]


GENERATED = """\
name: g
seed: {seed}
accounts:
  - kind: hub
    generators:
      - count: 40
        name: app-{{index:03d}}
        hostname: "{{name}}.corp"
        waves: [1, 2, 3, 4]
        name_noise: {{rate: 0.5, applies_to: [target, original]}}
        unhealthy: {{rate: 0.2, states: [STALLED, BACKLOG], lag_seconds: 90}}
        template: {{target: {{}}, tags: {{app: x}}}}
"""


def fingerprint(plan: EstatePlan) -> list[tuple[str, ...]]:
    return [
        (
            s.name,
            s.hostname,
            s.tags.get("dr:wave", ""),
            s.original.name,
            s.target.name if s.target else "",
            s.replication_state,
        )
        for s in servers_of(plan)
    ]


def test_generators_are_deterministic_for_a_seed_and_differ_across_seeds() -> None:
    first = fingerprint(plan_of(GENERATED.format(seed=3)))
    assert first == fingerprint(plan_of(GENERATED.format(seed=3)))
    assert first != fingerprint(plan_of(GENERATED.format(seed=4)))
    assert [row[0] for row in first] == [f"app-{i:03d}" for i in range(1, 41)]
    assert first[0][1] == "app-001.corp"
    assert [row[2] for row in first] == [str(1 + i // 10) for i in range(40)]


def test_generated_noise_and_unhealthy_replication_come_in_the_asked_proportions() -> None:
    servers = servers_of(plan_of(GENERATED.format(seed=3)))
    noisy = [s for s in servers if s.target is not None and s.target.name != s.name]
    unhealthy = [s for s in servers if s.replication_state != "CONTINUOUS"]
    assert 10 <= len(noisy) <= 30
    assert 2 <= len(unhealthy) <= 16
    assert {s.replication_state for s in unhealthy} <= {"STALLED", "BACKLOG"}
    assert {s.lag_seconds for s in unhealthy} == {90}
    for server in noisy:
        assert server.target is not None
        assert normalised(server.target.name) == server.name


def normalised(name: str) -> str:
    return name.strip().lower().removesuffix("-dr")


@given(
    name=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,30}", fullmatch=True),
    kind=st.sampled_from(["case", "spaces", "dr_suffix"]),
    seed=st.integers(0, 2**32),
)
def test_noise_changes_a_name_but_an_operator_would_still_read_it_the_same(
    name: str, kind: str, seed: int
) -> None:
    noisy = add_noise(name, kind, random.Random(seed))  # type: ignore[arg-type]
    assert noisy != name
    assert noisy.strip().lower() in (name.strip().lower(), name.lower() + "-dr")


def test_the_two_account_example_lays_its_traps() -> None:
    plan = plan_estate(load_estate(estates_dir() / "two-account-failed-over.yaml"))
    hub, spoke = plan.accounts
    assert (spoke.role_name, spoke.external_id) == (
        "drsorch-spoke-access",
        "drsorch-hub-123456789012",
    )
    originals = [s.original for s in hub.servers]
    assert [o.state for o in originals].count("running") == 1
    assert sum(AWSDRS[0] not in o.tags for o in originals) == 1
    names = [o.name for o in originals]
    assert any(names.count(n) == 2 for n in names)
    everything = servers_of(plan)
    differ = [s for s in everything if s.original.name != s.name]
    assert any(normalised(s.original.name) == normalised(s.name) for s in differ)
    assert any(s.replication_state != "CONTINUOUS" for s in everything)
    assert any(s.reverse is not None and s.reverse.state != "CONTINUOUS" for s in everything)
    assert any(s.recovery is not None and s.reverse is None for s in everything)


def test_default_hostnames_are_trimmed_lowercased_and_dashed() -> None:
    assert default_hostname("  Web  App 01 ") == "web-app-01"
