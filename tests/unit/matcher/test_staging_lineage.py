"""Lineage across staging accounts: a staging server and its extended server are one server."""

from __future__ import annotations

from drsorch.matcher.domain import match
from support.matcher_records import RECOVERY, A, B, iid, paired, reasons, rules, sid, srv, tgt

STAGING = "333333333333"


def _arn(account: str, n: int) -> str:
    return f"arn:aws:drs:{RECOVERY}:{account}:source-server/{sid(n)}"


def test_a_staging_server_in_scope_is_set_aside_for_its_extended_server() -> None:
    staged = srv(1, "app01", account=STAGING, arn=_arn(STAGING, 1), origin_instance_id=iid(91))
    extended = srv(
        2,
        "app01",
        account=A,
        arn=_arn(A, 2),
        origin_instance_id=iid(91),
        staging_account_id=STAGING,
        staging_source_server_arn=_arn(STAGING, 1),
    )
    targets = [tgt(1, "app01-dr", region=RECOVERY)]
    plan = match([staged, extended], targets, rules("failover", accounts=(A, STAGING)))
    assert paired(plan) == {sid(2): (iid(1), "name")}
    reason = reasons(plan)[sid(1)]
    assert f"extended into the target account as {sid(2)} in account {A}" in reason

    # Without its extended server in scope, the staging server would get a standard
    # launch in the staging account: the same workload recovered a second time.
    alone = match([staged], targets, rules("failover", accounts=(A, STAGING)))
    assert paired(alone) == {sid(1): (None, None)}


def test_two_extended_servers_of_one_staging_server_are_never_both_paired() -> None:
    twice = [
        srv(
            n,
            f"app0{n}",
            account=account,
            arn=_arn(account, n),
            staging_account_id=STAGING,
            staging_source_server_arn=_arn(STAGING, 9),
        )
        for n, account in ((1, A), (2, B))
    ]
    targets = [tgt(1, "app01", region=RECOVERY), tgt(2, "app02", account=B, region=RECOVERY)]
    plan = match(twice, targets, rules("failover"))
    assert plan.pairs == ()
    assert "DRS holds one server twice" in reasons(plan)[sid(1)]
    assert sid(1) in reasons(plan)[sid(2)]
