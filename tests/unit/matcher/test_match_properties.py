"""Properties of `match` over generated estates (hypothesis).

Small ID and name spaces on purpose: collisions (shared names, shared lineage,
two accounts, two regions) are what the matcher must get right.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from drsorch.matcher.domain import match
from drsorch.matcher.records import (
    GONE_STATES,
    FailoverPair,
    MatchRules,
    Plan,
    SourceServer,
    TargetInstance,
)
from support.matcher_records import PRIMARY, RECOVERY, A, B, iid, rules, sid

NAMES = [None, "app", "APP ", "app-dr", "dr-app", "db01", "db-01", "web  server", "web server"]
accounts = st.sampled_from([A, B])
regions = st.sampled_from([PRIMARY, RECOVERY])
names = st.sampled_from(NAMES)
numbers = st.integers(0, 11)


@st.composite
def servers(draw: st.DrawFn) -> list[SourceServer]:
    ids = draw(st.lists(numbers, unique=True, max_size=10))
    return [
        SourceServer(
            sid(n),
            draw(accounts),
            RECOVERY,
            name=draw(names),
            wave=draw(st.integers(0, 3)),
            origin_instance_id=draw(st.none() | numbers.map(iid)),
            recovery_ec2_instance_id=draw(st.none() | numbers.map(iid)),
        )
        for n in ids
    ]


@st.composite
def targets(draw: st.DrawFn) -> list[TargetInstance]:
    ids = draw(st.lists(numbers, unique=True, max_size=12))
    states = st.sampled_from(["stopped", "stopped", "running", "terminated"])
    return [
        TargetInstance(iid(n), draw(accounts), draw(regions), draw(names), draw(states))
        for n in ids
    ]


@st.composite
def stored(draw: st.DrawFn) -> list[FailoverPair]:
    pairs = draw(st.lists(st.tuples(numbers, numbers, numbers, accounts), max_size=4))
    return [FailoverPair(sid(s), a, iid(t), iid(o), "req-failover-0001") for s, t, o, a in pairs]


all_rules = st.builds(
    rules,
    st.sampled_from(["failback", "failover"]),
    st.sampled_from(["required", "preferred", "never", None]),
)


def _targets_of(plan: Plan) -> list[str]:
    return [p.target.instance_id for p in plan.pairs if p.target is not None]


@settings(max_examples=150)
@given(servers(), targets(), stored(), all_rules)
def test_no_target_is_used_twice(
    s: list[SourceServer], t: list[TargetInstance], f: list[FailoverPair], r: MatchRules
) -> None:
    used = _targets_of(match(s, t, r, stored=f))
    assert len(used) == len(set(used))


@settings(max_examples=150)
@given(servers(), targets(), stored(), all_rules)
def test_no_pair_crosses_accounts_or_leaves_the_launch_region(
    s: list[SourceServer], t: list[TargetInstance], f: list[FailoverPair], r: MatchRules
) -> None:
    for pair in match(s, t, r, stored=f).pairs:
        if pair.target is not None:
            assert pair.target.account_id == pair.server.account_id
            assert pair.target.region == r.launch_region
            assert pair.target.state not in GONE_STATES
            assert r.launch_into != "never"  # a drill never launches into an instance


@settings(max_examples=150)
@given(servers(), targets(), stored(), all_rules, st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_input_order(
    s: list[SourceServer],
    t: list[TargetInstance],
    f: list[FailoverPair],
    r: MatchRules,
    rng: random.Random,
) -> None:
    first = match(s, t, r, stored=f)
    rng.shuffle(s)
    rng.shuffle(t)
    rng.shuffle(f)
    second = match(s, t, r, stored=f)
    assert second == first
    assert second.plan_hash == first.plan_hash


@settings(max_examples=150)
@given(servers(), targets(), stored(), all_rules)
def test_every_server_is_accounted_for_exactly_once(
    s: list[SourceServer], t: list[TargetInstance], f: list[FailoverPair], r: MatchRules
) -> None:
    plan = match(s, t, r, stored=f)
    seen = [p.server.source_server_id for p in plan.pairs]
    seen += [u.server.source_server_id for u in plan.unmatched]
    seen += [a.server.source_server_id for a in plan.ambiguous]
    assert sorted(seen) == sorted({x.source_server_id for x in s})
    paired = {p.server.source_server_id for p in plan.pairs if p.target is not None}
    used = set(_targets_of(plan))
    for suggestion in plan.suggestions:
        assert suggestion.source_server_id not in paired
        assert suggestion.target_instance_id not in used


@settings(max_examples=150)
@given(
    st.lists(st.tuples(st.sampled_from(NAMES[1:]), st.sampled_from(NAMES[1:])), max_size=10),
    st.randoms(use_true_random=False),
)
def test_lineage_pairs_every_server_that_has_it_whatever_the_names(
    names_now: list[tuple[str, str]], rng: random.Random
) -> None:
    """Each server's original is eligible and its own: renamed or not, lineage pairs it."""
    servers = [
        SourceServer(sid(n), A, RECOVERY, name=mine, origin_instance_id=iid(n))
        for n, (mine, _) in enumerate(names_now)
    ]
    originals = [TargetInstance(iid(n), A, PRIMARY, now) for n, (_, now) in enumerate(names_now)]
    decoys = [
        TargetInstance(iid(100 + n), A, PRIMARY, mine) for n, (mine, _) in enumerate(names_now)
    ]
    targets = originals + decoys
    rng.shuffle(targets)
    plan = match(servers, targets, rules("failback"))
    assert {p.server.source_server_id: (p.target and p.target.instance_id) for p in plan.pairs} == {
        sid(n): iid(n) for n in range(len(names_now))
    }
    assert all(p.method == "lineage" for p in plan.pairs)
