"""The trap keys of estate files: what they resolve to, their defaults, and their checks."""

from __future__ import annotations

import pytest

from drsorch.local.estate import EstateError
from drsorch.local.estate.loader import parse_estate
from drsorch.local.estate.models import InstanceRef
from drsorch.local.estate.plan import PlannedServer, plan_estate

SPOKE = """\
  - kind: spoke
    id: "210987654321"
    role_name: drsorch-spoke-access
"""


def servers(text: str) -> dict[str, PlannedServer]:
    plan = plan_estate(parse_estate(text))
    return {server.name: server for account in plan.accounts for server in account.servers}


def problems_of(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(EstateError) as caught:
        parse_estate(text, source="test.yaml")
    return [(p.line, p.path, p.message) for p in caught.value.problems]


FAILED_OVER = (
    """\
name: traps
phase: failed_over
reverse_replication: {state: CONTINUOUS}
accounts:
  - kind: hub
    instances:
      - {name: web-01, near: web-01}
      - {name: spare, region: recovery, architecture: arm64, state: running}
    servers:
      - name: web-01
        original: {state: terminated}
      - name: web-02
        original: {exists: false}
      - name: web-03
        lineage: {origin_account: "210987654321"}
      - name: web-04
        lineage: {origin_account: "999999999999"}
      - name: web-05
        lineage: {origin_region: us-east-2}
      - name: web-06
        reverse_replication: {duplicates: 2}
        original: {architecture: arm64}
        expect: {must-not-launch: two FAILBACK servers}
      - name: web-07
        recovery: {state: stopped}
        launch_configuration:
          launch_into: {server: web-08}
          failover_launch_into: {instance: spare}
        faults: {land_in: {instance: web-01}}
      - name: web-08
        faults: {land_in: new}
        expect: new-instance
"""
    + SPOKE
)


def test_failed_over_defaults_follow_the_original_drs_records() -> None:
    found = servers(FAILED_OVER)
    expect = {name: (s.expect.outcome, s.expect.reason) for name, s in found.items()}
    assert expect == {
        "web-01": ("must-not-launch", "the original DRS records is terminated"),
        "web-02": ("must-not-launch", "the original DRS records does not exist in EC2"),
        "web-03": ("must-not-launch", "the original DRS records is in account 210987654321"),
        "web-04": ("must-not-launch", "the original DRS records is in account 999999999999"),
        "web-05": (
            "must-not-launch",
            "the original DRS records is in us-east-2, not the primary region",
        ),
        "web-06": ("must-not-launch", "two FAILBACK servers"),
        "web-07": ("land-in-original", None),
        "web-08": ("new-instance", None),
    }
    assert [s.expect.declared for s in found.values()] == [False] * 5 + [True, False, True]


def test_trap_keys_resolve_into_the_plan() -> None:
    found = servers(FAILED_OVER)
    assert found["web-01"].original.state == "terminated"
    assert not found["web-02"].origin.exists
    assert found["web-03"].origin.in_estate and found["web-03"].origin.created
    assert not found["web-04"].origin.in_estate
    assert (found["web-05"].origin.account_id, found["web-05"].origin.region) == (
        "123456789012",
        "us-east-2",
    )
    web_06 = found["web-06"]
    assert web_06.reverse is not None and web_06.reverse.duplicates == 2
    assert (web_06.architecture, web_06.original.architecture) == ("x86_64", "arm64")
    assert web_06.original.instance_type == "t4g.medium"  # the arm64 default
    web_07 = found["web-07"]
    assert web_07.recovery is not None and web_07.recovery.state == "stopped"
    assert web_07.presets.launch_into == InstanceRef(server="web-08")
    assert web_07.presets.failover_launch_into == InstanceRef(instance="spare")
    assert web_07.presets.land_in == InstanceRef(instance="web-01")
    assert found["web-08"].presets.land_in == "new"


def test_protected_defaults_are_the_target_or_a_new_instance() -> None:
    found = servers(
        "name: p\naccounts:\n  - kind: hub\n    servers:\n"
        "      - {name: a, target: {}}\n      - {name: b}\n"
    )
    assert [s.expect.outcome for s in found.values()] == ["land-in-target", "new-instance"]


def test_a_decoy_defaults_to_a_stopped_tagged_instance_in_the_primary_region() -> None:
    plan = plan_estate(parse_estate(FAILED_OVER))
    decoy = plan.accounts[0].decoys[0]
    assert (decoy.region, decoy.near, decoy.instance.state) == ("primary", "web-01", "stopped")
    assert decoy.instance.tags == {"Name": "web-01", "AWSDRS": "AllowLaunchingIntoThisInstance"}


BAD_REFERENCES = """\
name: bad
phase: failed_over
reverse_replication: {}
accounts:
  - kind: hub
    instances:
      - {name: spare, near: nobody}
      - {name: spare}
    servers:
      - name: a
        launch_configuration: {launch_into: {server: ghost}}
      - name: b
        launch_configuration: {failover_launch_into: {target: a}}
      - name: c
        faults: {land_in: {instance: nothing}}
      - name: d
        original: {exists: false, state: stopped}
        expect: land-in-original
      - name: e
        expect: land-in-target
      - name: f
        reverse_replication: {started: false, duplicates: 1}
        lineage: {origin_region: eu-north-9}
"""


def test_a_reference_to_an_unknown_name_is_an_error_at_its_key_and_line() -> None:
    assert problems_of(BAD_REFERENCES) == [
        (7, "accounts[0].instances[0].near", "no server named 'nobody' in this account"),
        (
            8,
            "accounts[0].instances[1].name",
            "instance name 'spare' is already accounts[0].instances[0]",
        ),
        (
            11,
            "accounts[0].servers[0].launch_configuration.launch_into.server",
            "no server named 'ghost' in this account",
        ),
        (
            13,
            "accounts[0].servers[1].launch_configuration.failover_launch_into.target",
            "server 'a' has no target",
        ),
        (
            15,
            "accounts[0].servers[2].faults.land_in.instance",
            "no instance named 'nothing' in this account's instances (known: spare)",
        ),
        (
            17,
            "accounts[0].servers[3].original.state",
            "an original EC2 never saw has no state: drop it, or exists: true",
        ),
        (
            18,
            "accounts[0].servers[3].expect",
            "land-in-original cannot hold: the original DRS records does not exist in EC2",
        ),
        (20, "accounts[0].servers[4].expect", "land-in-target needs a target"),
        (
            20,
            "accounts[0].servers[4].expect",
            "a failback lands in the primary region: land-in-original or new-instance",
        ),
        (
            22,
            "accounts[0].servers[5].reverse_replication.duplicates",
            "duplicates are FAILBACK servers of a started reverse replication",
        ),
        (23, "accounts[0].servers[5].lineage.origin_region", "unknown region 'eu-north-9'"),
    ]


def test_shapes_of_the_new_keys_are_said_in_words() -> None:
    found = problems_of(
        "name: x\nphase: failed_over\naccounts:\n  - kind: hub\n    servers:\n"
        "      - name: a\n        expect: must-not-launch\n"
        "      - name: b\n        faults: {land_in: {server: a, instance: b}}\n"
        "      - name: c\n        recovery: {state: terminated}\n"
    )
    assert [(line, message) for line, _, message in found] == [
        (7, "say why: expect: {must-not-launch: <reason>}"),
        (9, "land_in is new, or one of {server: NAME}, {target: NAME}, {instance: NAME}"),
        (11, "Input should be 'running' or 'stopped' (got 'terminated')"),
    ]


def test_land_in_original_cannot_be_declared_for_an_original_elsewhere() -> None:
    found = problems_of(
        "name: x\nphase: failed_over\naccounts:\n  - kind: hub\n    servers:\n"
        "      - name: a\n        lineage: {origin_region: us-east-2}\n"
        "        expect: land-in-original\n"
        '      - name: b\n        lineage: {origin_account: "999999999999"}\n'
        "        expect: land-in-original\n"
    )
    assert [(line, message) for line, _, message in found] == [
        (
            8,
            "land-in-original cannot hold: the original DRS records is in us-east-2, not the"
            " primary region",
        ),
        (11, "land-in-original cannot hold: the original DRS records is in account 999999999999"),
    ]


def test_a_recovery_instance_and_a_land_in_original_expectation_need_a_failover() -> None:
    found = problems_of(
        "name: x\naccounts:\n  - kind: hub\n    servers:\n"
        "      - name: a\n        recovery: {state: stopped}\n        expect: land-in-original\n"
    )
    assert [(line, path) for line, path, _ in found] == [
        (6, "accounts[0].servers[0].recovery"),
        (7, "accounts[0].servers[0].expect"),
    ]


def test_generator_templates_carry_expectations_and_are_checked_once() -> None:
    text = (
        "name: g\nphase: failed_over\naccounts:\n  - kind: hub\n    generators:\n"
        "      - count: 5\n        name: app-{index}\n        template:\n"
        "          original: {state: terminated}\n"
        "          expect: {must-not-launch: terminated originals}\n"
    )
    found = servers(text)
    assert {s.expect.reason for s in found.values()} == {"terminated originals"}
    bad = text.replace(
        "expect: {must-not-launch: terminated originals}", "expect: land-in-original"
    )
    problems = problems_of(bad)
    assert problems[0][:2] == (10, "accounts[0].generators[0].template.expect")
    assert problems[-1][2] == "... and 2 more problems here"


def test_the_hostile_example_lays_every_trap_twice_and_declares_every_expectation() -> None:
    from drsorch.local.estate import estates_dir, load_estate  # noqa: PLC0415

    plan = plan_estate(load_estate(estates_dir() / "hostile.yaml"))
    assert [account.kind for account in plan.accounts] == ["hub", "spoke", "spoke"]
    every = [server for account in plan.accounts for server in account.servers]
    assert 50 <= len(every) <= 70
    assert all(server.expect.declared for server in every)
    assert all(server.phase == "failed_over" for server in every)
    # Reverse replication runs for every server but one, whose earlier round trip's FAILBACK
    # server is re-pointed by the failback's own ReverseReplication (T10).
    assert [s.name for s in every if not s.reverse] == ["billing-worker-04"]
    names = {(a.id, s.name) for a in plan.accounts for s in a.servers}
    laid: dict[str, list[object]] = {
        "terminated original": [s for s in every if s.original.state == "terminated"],
        "original EC2 never saw": [s for s in every if not s.origin.exists],
        "decoys": [d for a in plan.accounts for d in a.decoys if d.near],
        "architecture": [s for s in every if s.original.architecture != s.architecture],
        "lineage elsewhere": [
            s
            for a in plan.accounts
            for s in a.servers
            if (s.origin.account_id, s.origin.region) != (a.id, "us-east-1")
        ],
        "duplicate FAILBACK servers": [s for s in every if s.reverse and s.reverse.duplicates],
        "out-of-scope namesakes": [
            s
            for a in plan.accounts
            for s in a.servers
            if "dr-plan" not in s.tags and (a.id, s.original.name) in names
        ],
        "preset launch-into": [s for s in every if s.presets.launch_into],
        "stopped recovery instance": [
            s for s in every if s.recovery and s.recovery.state == "stopped"
        ],
        "earlier landing, never retired": [s for s in every if s.earlier_landing],
    }
    assert {trap: len(found) >= 2 for trap, found in laid.items()} == dict.fromkeys(laid, True)
    assert not any(s.presets.has_faults for s in every)  # no wrong landing by the emulator
