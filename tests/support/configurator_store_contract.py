"""One behaviour suite for the configurator's Store: the memory fake and the DynamoDB adapter."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime

from drsorch.configurator.ports import Store
from drsorch.configurator.records import PairRecord, PreviousSettings, RequestRecord
from drsorch.contracts import ConfigurationResult, LaunchConfiguration, Pair, ServerRef
from support.configurator_scenario import HUB, PRIMARY, RECOVERY, spec

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _request_id() -> str:
    return f"req-{uuid.uuid4().hex[:16]}"


def _record(n: int) -> PairRecord:
    server = ServerRef(source_server_id=f"s-{n:017d}", account_id=HUB, region=RECOVERY)
    return PairRecord(pair=Pair(server=server))


def _request() -> RequestRecord:
    return RequestRecord(
        spec=spec(), plan_hash="a" * 64, causation_id=str(uuid.uuid4()), deadline=T0
    )


def _previous(server: str, copy_tags: bool) -> PreviousSettings:
    return PreviousSettings(
        source_server_id=server,
        launching_server_id=server,
        account_id=HUB,
        region=PRIMARY,
        configuration=LaunchConfiguration(copy_tags=copy_tags),
    )


async def a_request_and_its_pairs_round_trip(store: Store) -> None:
    request_id = _request_id()
    assert await store.request(request_id) is None
    request = _request()
    records = [_record(n) for n in range(30)]  # more than one batch write
    await store.start_request(request_id, request, records)
    assert await store.request(request_id) == request
    assert sorted(r.server_id for r in await store.pairs(request_id)) == [
        r.server_id for r in records
    ]


async def starting_twice_keeps_the_first_request(store: Store) -> None:
    request_id = _request_id()
    first = _request()
    await store.start_request(request_id, first, [_record(1)])
    await store.start_request(request_id, _request(), [_record(1)])
    assert await store.request(request_id) == first


async def saved_pairs_replace_their_earlier_state(store: Store) -> None:
    request_id = _request_id()
    record = _record(7)
    await store.start_request(request_id, _request(), [record])
    result = ConfigurationResult(
        source_server_id=record.server_id,
        account_id=HUB,
        launch_region=PRIMARY,
        outcome="rejected",
        reason="target is running",
    )
    await store.save_pairs(request_id, [record.model_copy(update={"result": result})])
    [stored] = await store.pairs(request_id)
    assert stored.result == result


async def calls_add_up(store: Store) -> None:
    request_id = _request_id()
    await store.start_request(request_id, _request(), [])
    await store.add_calls(
        request_id, Counter({"ReverseReplication": 2, "GetLaunchConfiguration": 1})
    )
    await store.add_calls(request_id, Counter({"ReverseReplication": 1}))
    await store.add_calls(request_id, Counter())
    stored = await store.request(request_id)
    assert stored is not None
    assert stored.calls == {"ReverseReplication": 3, "GetLaunchConfiguration": 1}


async def previous_settings_are_kept_once(store: Store) -> None:
    request_id = _request_id()
    first = _previous("s-00000000000000001", copy_tags=True)
    assert await store.keep_previous(request_id, [first]) == [first]
    assert await store.keep_previous(request_id, [_previous("s-00000000000000001", False)]) == [
        first
    ]
    second = _previous("s-00000000000000002", copy_tags=False)
    await store.keep_previous(request_id, [second])
    kept = sorted(await store.previous(request_id), key=lambda p: p.launching_server_id)
    assert kept == [first, second]
    assert await store.previous(_request_id()) == []
    assert await store.keep_previous(request_id, []) == []


async def many_previous_settings_are_kept_at_once_the_first_winning(store: Store) -> None:
    """More than one transaction's worth, some kept before: those come back as stored, and a
    server named twice in one call is kept from its first."""
    request_id = _request_id()
    earlier = [_previous(f"s-{n:017d}", copy_tags=True) for n in range(0, 250, 7)]
    assert await store.keep_previous(request_id, earlier) == earlier
    wanted = [_previous(f"s-{n:017d}", copy_tags=False) for n in range(250)]
    twice = _previous(f"s-{250:017d}", copy_tags=False)
    again = _previous(f"s-{250:017d}", copy_tags=True)
    kept = await store.keep_previous(request_id, [*wanted, twice, again])
    before = {p.launching_server_id: p for p in earlier}
    assert kept == [before.get(p.launching_server_id, p) for p in wanted] + [twice, twice]
    stored = {p.launching_server_id: p for p in await store.previous(request_id)}
    assert sorted(stored.values(), key=lambda p: p.launching_server_id) == [*kept[:-1]]


async def a_baseline_is_kept_once_across_requests_until_forgotten(store: Store) -> None:
    server = f"s-{uuid.uuid4().int % 10**17:017d}"
    first, later = _previous(server, copy_tags=True), _previous(server, copy_tags=False)
    place = first.place
    await store.keep_baselines([first])
    await store.keep_baselines([later])  # a second request of the same round trip
    assert await store.baseline(place, server) == first
    await store.forget_baseline(place, server)
    assert await store.baseline(place, server) is None
    other = f"s-{(uuid.uuid4().int + 1) % 10**17:017d}"
    # The next round trip starts from what it finds; the first of a server named twice wins.
    await store.keep_baselines([later, _previous(other, True), first, _previous(other, False)])
    assert await store.baseline(place, server) == later
    assert await store.baseline(place, other) == _previous(other, True)
    await store.keep_baselines([])


async def tagged_instances_are_listed_by_request(store: Store) -> None:
    request_id = _request_id()
    place = _previous("s-00000000000000001", True).place
    await store.keep_tagged(request_id, [(place, "i-0aaaaaaaaaaaaaaa1")])
    await store.keep_tagged(request_id, [(place, "i-0aaaaaaaaaaaaaaa1")])
    await store.keep_tagged(request_id, [(place, "i-0aaaaaaaaaaaaaaa2")])
    await store.keep_tagged(request_id, [])
    assert sorted(await store.tagged(request_id), key=lambda t: t[1]) == [
        (place, "i-0aaaaaaaaaaaaaaa1"),
        (place, "i-0aaaaaaaaaaaaaaa2"),
    ]
    assert await store.tagged(_request_id()) == []


async def many_tagged_instances_are_kept_at_once(store: Store) -> None:
    request_id = _request_id()
    place = _previous("s-00000000000000001", True).place
    instances = [(place, f"i-{n:017x}") for n in range(60)]  # more than one batch write
    await store.keep_tagged(request_id, [*instances, instances[0]])
    assert sorted(await store.tagged(request_id), key=lambda t: t[1]) == instances


SUITE = (
    a_baseline_is_kept_once_across_requests_until_forgotten,
    tagged_instances_are_listed_by_request,
    a_request_and_its_pairs_round_trip,
    starting_twice_keeps_the_first_request,
    saved_pairs_replace_their_earlier_state,
    calls_add_up,
    previous_settings_are_kept_once,
    many_previous_settings_are_kept_at_once_the_first_winning,
    many_tagged_instances_are_kept_at_once,
)
