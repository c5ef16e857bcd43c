"""Lineage outranks names absolutely (design §4): what DRS records is the only instance a
server may launch into; when it cannot be followed the server is left alone, saying why.

Each case is one of the traps seen on hostile estates: a terminated original next to a
look-alike, an origin in another account or region, another server's original (in scope
or not) carrying a similar Name, and the operator's override.
"""

from __future__ import annotations

from drsorch.matcher.domain import match
from drsorch.matcher.records import LineageState
from support.matcher_records import (
    PRIMARY,
    A,
    B,
    iid,
    paired,
    reasons,
    rules,
    sid,
    srv,
    tgt,
)


def test_a_terminated_original_is_never_replaced_by_a_look_alike() -> None:
    server = srv(1, "app01", origin_instance_id=iid(1))
    look_alike = tgt(2, "app01")  # stopped, in the right place, same Name
    gone = LineageState(iid(1), A, PRIMARY, "terminated")
    plan = match([server], [look_alike], rules(), lineage=[gone])
    assert plan.pairs == ()
    assert reasons(plan)[sid(1)] == (
        f"origin instance {iid(1)} recorded by DRS (awsInstanceID), is terminated"
    )


def test_an_original_ec2_does_not_know_is_named_not_found() -> None:
    server = srv(1, "app01", origin_instance_id=iid(1))
    unknown = LineageState(iid(1), A, PRIMARY, "not_found")
    plan = match([server], [tgt(2, "app01")], rules(), lineage=[unknown])
    assert plan.pairs == ()
    assert f"was not found by EC2 in {A}/{PRIMARY}" in reasons(plan)[sid(1)]


def test_lineage_leading_to_an_account_outside_the_request_is_refused_on_that_fact() -> None:
    elsewhere = "333333333333"
    server = srv(1, "app01", origin_instance_id=iid(1), origin_account_id=elsewhere)
    plan = match([server], [tgt(1, "app01"), tgt(2, "app01")], rules())
    assert plan.pairs == ()
    assert f"is in account {elsewhere}, which this request does not cover" in reasons(plan)[sid(1)]
    covered = srv(2, "app02", origin_instance_id=iid(3), origin_account_id=B)
    plan = match([covered], [tgt(3, "app02")], rules())
    assert f"is in account {B}, not the server's account {A}" in reasons(plan)[sid(2)]


def test_lineage_leading_to_another_region_is_refused_before_anything_is_created() -> None:
    server = srv(1, "app01", origin_instance_id=iid(1), origin_region="us-east-2")
    plan = match([server], [tgt(1, "app01")], rules())
    assert plan.pairs == ()
    assert f"is in us-east-2, not the primary region {PRIMARY}" in reasons(plan)[sid(1)]


def test_an_original_an_out_of_scope_server_claims_is_nobodys_name_target() -> None:
    orphan = srv(1, "billing-01")  # no lineage: only a Name match could pair it
    claimed = {iid(7): "the awsInstanceID of s-0000000000000000f in us-west-2 (out of scope)"}
    plan = match([orphan], [tgt(7, "billing-01")], rules(), claims=claimed)
    assert plan.pairs == ()
    assert "claimed by the awsInstanceID of s-0000000000000000f" in reasons(plan)[sid(1)]


def test_a_lineage_instance_another_server_outside_the_scope_also_claims_is_contested() -> None:
    server = srv(1, "app01", origin_instance_id=iid(1))
    claimed = {iid(1): "the awsInstanceID of s-0000000000000000f in us-west-2 (out of scope)"}
    plan = match([server], [tgt(1, "app01")], rules(), claims=claimed)
    assert plan.pairs == ()
    assert reasons(plan)[sid(1)].startswith("ambiguous:")


def test_a_foreign_origin_the_matcher_refuses_stays_that_servers_in_its_own_account() -> None:
    # A's server names B's instance as its origin: refused (another account), and the
    # instance is not up for B's namesake by Name either: whose it is cannot be proven.
    foreign = srv(1, "app01", origin_instance_id=iid(5), origin_account_id=B)
    namesake = srv(2, "app01", account=B)
    plan = match([foreign, namesake], [tgt(5, "app01", account=B)], rules())
    assert plan.pairs == ()
    assert f"is in account {B}, not the server's account {A}" in reasons(plan)[sid(1)]
    assert f"claimed by the lineage of {sid(1)} (refused)" in reasons(plan)[sid(2)]


def test_a_lineage_pair_into_an_instance_a_refused_lineage_also_names_is_contested() -> None:
    foreign = srv(1, "app01", origin_instance_id=iid(5), origin_account_id=B)
    own = srv(2, "app01", account=B, origin_instance_id=iid(5))
    plan = match([foreign, own], [tgt(5, "app01", account=B)], rules())
    assert plan.pairs == ()
    assert reasons(plan)[sid(2)].startswith("ambiguous:")


def test_an_override_pairs_the_chosen_instance_and_shows_the_lineage_it_overrules() -> None:
    server = srv(1, "app01", origin_instance_id=iid(1))
    gone = LineageState(iid(1), A, PRIMARY, "terminated")
    chosen = rules(overrides={sid(1): iid(5)})
    plan = match([server], [tgt(5, "replacement")], chosen, lineage=[gone])
    assert paired(plan) == {sid(1): (iid(5), "override")}
    evidence = plan.pairs[0].evidence
    assert evidence[0] == f"operator override --target {sid(1)}={iid(5)}"
    assert "is terminated" in evidence[1]


def test_an_override_never_takes_an_instance_another_servers_lineage_claims() -> None:
    mine = srv(1, "app01", origin_instance_id=iid(1))
    other = srv(2, "app02", origin_instance_id=iid(2))
    plan = match(
        [mine, other], [tgt(1, "app01"), tgt(2, "app02")], rules(overrides={sid(1): iid(2)})
    )
    assert paired(plan) == {sid(2): (iid(2), "lineage")}
    assert f"claimed by {sid(2)}" in reasons(plan)[sid(1)]


def test_an_override_naming_no_server_in_scope_is_noted() -> None:
    plan = match([srv(1, "app01")], [tgt(1, "app01")], rules(overrides={sid(9): iid(1)}))
    assert plan.notes == (f"override --target {sid(9)}={iid(1)} names no server in scope",)


def test_a_failover_of_a_server_drs_already_runs_elsewhere_leaves_it_alone() -> None:
    server = srv(1, "app01", recovery_ec2_instance_id=iid(9))
    plan = match([server], [tgt(1, "app01", region="us-west-2")], rules("failover"))
    assert plan.pairs == ()
    assert "runs this server already" in reasons(plan)[sid(1)]


def test_a_near_name_across_a_domain_suffix_is_suggested_never_paired() -> None:
    server = srv(1, "web-01.corp.example.com")
    plan = match([server], [tgt(1, "web-01", region="us-west-2")], rules("failover", "required"))
    assert plan.pairs == ()
    [suggestion] = plan.suggestions
    assert suggestion.target_instance_id == iid(1)


def test_a_reason_never_says_its_kind_twice() -> None:
    rivals = [
        srv(1, "app01", origin_instance_id=iid(1)),
        srv(2, "app02", origin_instance_id=iid(1)),
    ]
    plan = match(rivals, [tgt(1, "app01")], rules(launch_into="never"))
    for pair in plan.pairs:
        assert not any("ambiguous: ambiguous" in e for e in pair.evidence), pair.evidence
