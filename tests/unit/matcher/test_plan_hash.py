"""The plan hash stands for what an apply would do: change any of it and the hash moves.

An apply is refused when its approved hash differs from the plan discovery yields now
(design §4), so a change the hash leaves out would be applied without approval.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from drsorch.matcher.domain import match
from drsorch.matcher.records import MatchRules, SourceServer, TargetInstance
from support.matcher_records import PRIMARY, iid, paired, rules, sid, srv, tgt

SERVERS = (srv(1, "app01", wave=1), srv(2, "db01", wave=1))
TARGETS = (tgt(1, "app01"), tgt(2, "db01"))
STANDARD = rules(launch_into="never")  # every server a standard launch: no target in the rows


def plan_hash(
    servers: tuple[SourceServer, ...] = SERVERS,
    targets: tuple[TargetInstance, ...] = TARGETS,
    how: MatchRules | None = None,
) -> str:
    return match(servers, targets, how or rules()).plan_hash


def test_the_same_inputs_hash_the_same() -> None:
    assert plan_hash() == plan_hash(tuple(reversed(SERVERS)), tuple(reversed(TARGETS)))
    assert paired(match(SERVERS, TARGETS, rules())) == {
        sid(1): (iid(1), "name"),
        sid(2): (iid(2), "name"),
    }


CHANGES: dict[str, tuple[Callable[[], str], Callable[[], str]]] = {
    "another target": (plan_hash, lambda: plan_hash(targets=(TARGETS[0], tgt(3, "db01")))),
    "another server onto the same target": (
        plan_hash,
        lambda: plan_hash(servers=(SERVERS[0], srv(3, "db01", wave=1))),
    ),
    "a server moved to another wave": (
        plan_hash,
        lambda: plan_hash(servers=(SERVERS[0], srv(2, "db01", wave=2))),
    ),
    "other launch settings": (
        plan_hash,
        lambda: plan_hash(how=rules(settings={"copy_tags": True})),
    ),
    # Same pairs either way; the mode decides what becomes of a server whose target is gone.
    "another launch-into mode": (plan_hash, lambda: plan_hash(how=rules(launch_into="preferred"))),
    "another operation launching in the same region": (
        lambda: plan_hash(how=STANDARD),
        lambda: plan_hash(how=replace(STANDARD, operation="failover")),
    ),
    "another launch region": (
        lambda: plan_hash(how=STANDARD),
        lambda: plan_hash(how=replace(STANDARD, launch_region="eu-west-1")),
    ),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_to_what_an_apply_would_do_changes_the_hash(change: str) -> None:
    before, after = CHANGES[change]
    assert before() != after()


def test_the_standard_rules_launch_in_the_primary_region() -> None:
    assert STANDARD.launch_region == PRIMARY
    assert all(p.target is None for p in match(SERVERS, TARGETS, STANDARD).pairs)
