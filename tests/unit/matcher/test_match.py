"""The matcher's decision on small estates: lineage, Names, one to one, with reasons."""

from __future__ import annotations

import itertools

from drsorch.matcher.domain import match
from drsorch.matcher.records import FailoverPair
from support.matcher_records import (
    PRIMARY,
    RECOVERY,
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


def test_failback_pairs_by_lineage_even_when_the_original_was_renamed() -> None:
    plan = match([srv(1, "app01", origin_instance_id=iid(1))], [tgt(1, "legacy-box")], rules())
    assert paired(plan) == {sid(1): (iid(1), "lineage")}
    evidence = plan.pairs[0].evidence
    assert any("recorded by DRS" in e and iid(1) in e for e in evidence)
    assert any("'legacy-box'" in e and "lineage outranks Names" in e for e in evidence)


def test_lineage_outranks_a_name_that_points_elsewhere() -> None:
    servers = [srv(1, "app01", origin_instance_id=iid(1))]
    targets = [tgt(1, "old-name"), tgt(2, "app01")]
    assert paired(match(servers, targets, rules())) == {sid(1): (iid(1), "lineage")}


def test_noisy_names_pair_after_normalisation_with_evidence() -> None:
    servers = [srv(1, "APP01"), srv(2, "web  server"), srv(3, "db01")]
    targets = [
        tgt(1, "  app01 -dr ", region=RECOVERY),
        tgt(2, "Web Server-us-west-2", region=RECOVERY),
        tgt(3, "DR-db01", region=RECOVERY),
    ]
    plan = match(servers, targets, rules("failover"))
    assert paired(plan) == {sid(n): (iid(n), "name") for n in (1, 2, 3)}
    assert plan.pairs[0].evidence == (
        "Name 'APP01' = '  app01 -dr ' after normalisation ('app01')",
    )


def test_the_request_affixes_count() -> None:
    servers = [srv(1, "payments")]
    targets = [tgt(1, "payments-recovery", region=RECOVERY)]
    assert paired(match(servers, targets, rules("failover"))) == {sid(1): (None, None)}
    with_suffix = rules("failover", suffixes=("-recovery",))
    assert paired(match(servers, targets, with_suffix)) == {sid(1): (iid(1), "name")}


def test_one_server_with_two_equally_good_targets_is_ambiguous_and_unpaired() -> None:
    plan = match([srv(1, "db01")], [tgt(1, "DB01"), tgt(2, "db01-dr")], rules())
    assert plan.pairs == ()
    [ambiguous] = plan.ambiguous
    assert ambiguous.candidate_instance_ids == (iid(1), iid(2))
    assert "2 instances" in ambiguous.reason


def test_two_servers_claiming_one_target_are_both_left_unpaired() -> None:
    plan = match([srv(1, "app"), srv(2, "APP ")], [tgt(1, "app")], rules())
    assert plan.pairs == ()
    assert set(reasons(plan)) == {sid(1), sid(2)}
    assert all(r.startswith("ambiguous:") for r in reasons(plan).values())


def test_two_servers_with_lineage_to_one_target_are_both_left_unpaired() -> None:
    servers = [srv(1, "a", origin_instance_id=iid(9)), srv(2, "b", origin_instance_id=iid(9))]
    plan = match(servers, [tgt(9, "a")], rules())
    assert plan.pairs == ()
    assert all("points to" in r for r in reasons(plan).values())


def test_a_name_taken_by_lineage_is_not_given_to_another_server() -> None:
    servers = [srv(1, "app01", origin_instance_id=iid(1)), srv(2, "app01")]
    plan = match(servers, [tgt(1, "app01")], rules())
    assert paired(plan) == {sid(1): (iid(1), "lineage")}
    assert f"claimed by {sid(1)}" in reasons(plan)[sid(2)]


def test_a_pair_never_crosses_accounts() -> None:
    plan = match([srv(1, "app01", account=A)], [tgt(1, "app01", account=B)], rules())
    assert plan.pairs == ()
    assert "no instance named 'app01'" in reasons(plan)[sid(1)]


def test_lineage_into_another_account_is_refused_not_followed() -> None:
    servers = [srv(1, "app01", origin_instance_id=iid(1))]
    plan = match(servers, [tgt(1, "app01", account=B), tgt(2, "app01")], rules())
    assert plan.pairs == ()
    assert f"{iid(1)} recorded by DRS (awsInstanceID), is in account {B}" in reasons(plan)[sid(1)]


def test_a_pair_never_leaves_the_launch_region() -> None:
    servers = [srv(1, "app01", origin_instance_id=iid(1))]
    plan = match(servers, [tgt(1, "app01", region=RECOVERY)], rules())  # failback: us-east-1
    assert plan.pairs == ()
    assert f"(awsInstanceID), is in {RECOVERY}, not in {PRIMARY}" in reasons(plan)[sid(1)]


def test_a_terminated_instance_is_never_a_target() -> None:
    servers = [srv(1, "app01", origin_instance_id=iid(1))]
    plan = match(servers, [tgt(1, "app01", state="terminated")], rules())
    assert plan.pairs == ()
    assert "terminated" in reasons(plan)[sid(1)]


def test_failback_follows_a_failback_server_to_the_forward_server_behind_it() -> None:
    forward = srv(1, "app01", origin_instance_id=iid(1), recovery_ec2_instance_id=iid(50))
    back = srv(2, "app01", region=PRIMARY, origin_instance_id=iid(50))
    plan = match([back], [tgt(1, "renamed")], rules())
    assert plan.pairs == ()  # alone, the failback server's lineage leads outside the region
    plan = match([forward], [tgt(1, "renamed")], rules())
    assert paired(plan) == {sid(1): (iid(1), "lineage")}


def test_failback_uses_the_pair_stored_at_failover() -> None:
    stored = [FailoverPair(sid(7), A, iid(70), iid(1), "req-failover-0001")]
    back = srv(2, "renamed-too", origin_instance_id=iid(70))  # replicates the recovery instance
    plan = match([back], [tgt(1, "renamed")], rules(), stored=stored)
    assert paired(plan) == {sid(2): (iid(1), "lineage")}
    assert any("stored by drsorch" in e for e in plan.pairs[0].evidence)


def test_failover_reuses_the_instance_a_previous_failover_launched_into() -> None:
    stored = [FailoverPair(sid(1), A, iid(10), iid(1), "req-failover-0001")]
    targets = [tgt(10, "whatever", region=RECOVERY), tgt(11, "app01", region=RECOVERY)]
    plan = match([srv(1, "app01")], targets, rules("failover"), stored=stored)
    assert paired(plan) == {sid(1): (iid(10), "lineage")}


def test_lineage_that_disagrees_is_ambiguous() -> None:
    stored = [FailoverPair(sid(1), A, iid(10), iid(2), "req-failover-0001")]
    servers = [srv(1, "app01", origin_instance_id=iid(1))]
    plan = match(servers, [tgt(1, "app01"), tgt(2, "app01-old")], rules(), stored=stored)
    assert plan.pairs == ()
    [ambiguous] = plan.ambiguous
    assert ambiguous.candidate_instance_ids == (iid(1), iid(2))


def test_a_server_sharing_a_target_with_an_ambiguous_one_is_not_paired_either() -> None:
    stored = [FailoverPair(sid(1), A, iid(10), iid(2), "req-failover-0001")]
    servers = [srv(1, "a", origin_instance_id=iid(1)), srv(2, "b", origin_instance_id=iid(2))]
    plan = match(servers, [tgt(1, "a"), tgt(2, "b")], rules(), stored=stored)
    assert plan.pairs == ()
    assert [a.server.source_server_id for a in plan.ambiguous] == [sid(1)]
    assert f"points to {iid(2)}" in reasons(plan)[sid(2)]


def test_similar_names_are_suggested_never_paired() -> None:
    plan = match([srv(1, "payments-db")], [tgt(1, "paymnets-db"), tgt(2, "zzz")], rules())
    assert plan.pairs == ()
    [suggestion] = plan.suggestions
    assert (suggestion.source_server_id, suggestion.target_instance_id) == (sid(1), iid(1))
    assert 0.6 <= suggestion.score < 1.0
    assert "not paired" in suggestion.reason


def test_a_drill_launches_standard_and_keeps_what_matching_found_as_evidence() -> None:
    servers = [srv(1, "app01", origin_instance_id=iid(1)), srv(2, "db01")]
    plan = match(
        servers, [tgt(1, "app01"), tgt(2, "db01"), tgt(3, "db01")], rules(launch_into="never")
    )
    assert paired(plan) == {sid(1): (None, None), sid(2): (None, None)}
    assert plan.unmatched == ()
    assert plan.ambiguous == ()
    first, second = (p.evidence for p in plan.pairs)
    assert first[0].startswith("launch-into never") and f"matched {iid(1)} by lineage" in first[1]
    assert second[1].startswith("ambiguous:")


def test_preferred_launches_standard_only_when_nothing_matched() -> None:
    servers = [srv(1, "lonely"), srv(2, "db01"), srv(3, "app01")]
    targets = [tgt(2, "db01", region=RECOVERY), tgt(3, "db01", region=RECOVERY)]
    targets.append(tgt(4, "app01", region=RECOVERY))
    plan = match(servers, targets, rules("failover"))
    assert paired(plan) == {sid(1): (None, None), sid(3): (iid(4), "name")}
    assert [a.server.source_server_id for a in plan.ambiguous] == [sid(2)]


def test_a_blocked_server_is_left_out_but_keeps_its_target_from_others() -> None:
    servers = [srv(1, "app01", origin_instance_id=iid(1)), srv(2, "app01")]
    blocked = {sid(1): "busy_in_job: in active DRS job drsjob-1"}
    plan = match(servers, [tgt(1, "app01")], rules(), blocked=blocked)
    assert plan.pairs == ()
    assert reasons(plan)[sid(1)] == "left out by discovery: busy_in_job: in active DRS job drsjob-1"
    assert f"claimed by {sid(1)}" in reasons(plan)[sid(2)]


def test_a_server_reported_twice_differently_is_unmatched() -> None:
    plan = match([srv(1, "app01"), srv(1, "app02")], [tgt(1, "app01")], rules())
    assert plan.pairs == ()
    assert "more than once" in reasons(plan)[sid(1)]


def test_copies_of_one_server_are_reported_alike_in_any_order() -> None:
    copies = [srv(1, "app01"), srv(1, "app02"), srv(1, "app00"), srv(1, "app01")]
    plans = {match(order, [tgt(1, "app01")], rules()) for order in itertools.permutations(copies)}
    assert len(plans) == 1
    [unmatched] = plans.pop().unmatched
    assert unmatched.server.name == "app00"


def test_a_server_without_any_name_or_lineage_says_so() -> None:
    plan = match([srv(1)], [tgt(1, "app01")], rules())
    assert reasons(plan) == {sid(1): "no Name tag or hostname"}


def test_the_hostname_stands_in_for_a_missing_name_tag() -> None:
    plan = match([srv(1, hostname="app01")], [tgt(1, "APP01")], rules())
    assert paired(plan) == {sid(1): (iid(1), "name")}
