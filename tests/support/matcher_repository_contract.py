"""One behaviour suite for every PlanRepository: the fake and DynamoDB alike."""

from __future__ import annotations

import dataclasses
import uuid

from drsorch.matcher.ports import PlanRepository, PlanSummary
from drsorch.matcher.records import (
    Ambiguous,
    FailoverPair,
    Pair,
    Plan,
    SourceServer,
    TargetInstance,
    Unmatched,
)

ACCOUNT = "123456789012"


def _request() -> str:
    return f"req-{uuid.uuid4().hex[:12]}"


def _server(n: int) -> SourceServer:
    return SourceServer(f"s-{n:017x}", ACCOUNT, "us-west-2", name=f"app{n}")


def _ids(n: int) -> tuple[str, str]:
    return f"s-{n:017x}", f"i-{n:017x}"


def _summary(request_id: str, plan_hash: str = "a" * 64) -> PlanSummary:
    return PlanSummary(request_id, "failback", plan_hash, None, "required", False, False)


async def a_plan_is_kept_with_every_decision(repository: PlanRepository) -> None:
    request_id = _request()
    target = TargetInstance(_ids(1)[1], ACCOUNT, "us-east-1", "app1")
    plan = Plan(
        pairs=(
            Pair(
                dataclasses.replace(_server(1), origin_instance_id=_ids(1)[1]),
                target,
                "lineage",
                ("origin instance recorded by DRS",),
            ),
        ),
        unmatched=(Unmatched(_server(2), "no instance named 'app2'"),),
        ambiguous=(Ambiguous(_server(3), (_ids(3)[1], _ids(4)[1]), "two instances"),),
        suggestions=(),
        plan_hash="b" * 64,
    )
    await repository.save_plan(_summary(request_id, "b" * 64), plan)
    saved = await repository.plan(request_id)
    assert saved is not None
    assert saved.summary == _summary(request_id, "b" * 64)
    assert saved.decisions == {
        _ids(1)[0]: ("pair", _ids(1)[1]),
        _ids(2)[0]: ("unmatched", None),
        _ids(3)[0]: ("ambiguous", None),
    }
    # What a proven failover landing is kept with: the pair's account and origin.
    assert saved.origins == {_ids(1)[0]: (ACCOUNT, _ids(1)[1])}
    # A job's servers only, or the summary alone: the rest of the plan is not read.
    chosen = await repository.plan(request_id, servers=[_ids(1)[0], _ids(3)[0], "s-absent"])
    assert chosen is not None
    assert chosen.summary == saved.summary
    assert chosen.decisions == {_ids(1)[0]: ("pair", _ids(1)[1]), _ids(3)[0]: ("ambiguous", None)}
    assert chosen.origins == saved.origins
    head = await repository.plan(request_id, servers=())
    assert head is not None
    assert (head.summary, head.decisions, head.origins) == (saved.summary, {}, {})


async def an_unknown_request_has_no_plan(repository: PlanRepository) -> None:
    assert await repository.plan(_request()) is None
    assert await repository.plan(_request(), servers=[_ids(1)[0]]) is None


async def failover_pairs_are_found_by_server_and_by_target(repository: PlanRepository) -> None:
    request_id = _request()
    base = int(uuid.uuid4().int % 10**9) * 10
    pairs = [
        FailoverPair(_ids(base + k)[0], ACCOUNT, _ids(base + k)[1], f"i-{k:08x}", request_id)
        for k in range(3)
    ]
    await repository.save_failover_pairs(pairs)
    by_server = await repository.failover_pairs([(ACCOUNT, pairs[0].source_server_id)], [])
    assert by_server == [pairs[0]]
    by_target = await repository.failover_pairs([], [pairs[1].target_instance_id])
    assert by_target == [pairs[1]]
    both = await repository.failover_pairs(
        [(ACCOUNT, pairs[2].source_server_id)], [pairs[2].target_instance_id]
    )
    assert both == [pairs[2]]  # one pair, found twice, reported once
    assert await repository.failover_pairs([("999999999999", pairs[0].source_server_id)], []) == []


async def a_later_failover_replaces_the_stored_pair(repository: PlanRepository) -> None:
    sid, iid = _ids(int(uuid.uuid4().int % 10**9))
    first = FailoverPair(sid, ACCOUNT, iid, "i-00000001", "req-first-0001")
    later = FailoverPair(sid, ACCOUNT, iid, "i-00000001", "req-later-0002")
    await repository.save_failover_pairs([first])
    await repository.save_failover_pairs([later])
    assert await repository.failover_pairs([(ACCOUNT, sid)], [iid]) == [later]


async def many_lookups_are_batched_and_complete(repository: PlanRepository) -> None:
    request_id = _request()
    base = int(uuid.uuid4().int % 10**9) * 1000
    pairs = [
        FailoverPair(_ids(base + k)[0], ACCOUNT, _ids(base + k)[1], None, request_id)
        for k in range(130)
    ]
    await repository.save_failover_pairs(pairs)
    found = await repository.failover_pairs(
        [(ACCOUNT, p.source_server_id) for p in pairs], [p.target_instance_id for p in pairs]
    )
    assert sorted(found, key=lambda p: p.source_server_id) == pairs


SUITE = (
    a_plan_is_kept_with_every_decision,
    an_unknown_request_has_no_plan,
    failover_pairs_are_found_by_server_and_by_target,
    a_later_failover_replaces_the_stored_pair,
    many_lookups_are_batched_and_complete,
)
