"""One suite for every `Store` of the monitor: the fake must behave as the table does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drsorch.contracts import RecoveryPoint, RequestCompleted
from drsorch.monitor.domain import plan as plans
from drsorch.monitor.domain import report
from drsorch.monitor.domain.records import (
    BatchRecord,
    BatchStatus,
    Member,
    RequestState,
    ServerPhase,
)
from drsorch.monitor.ports import Armed, Emission, Store
from support.monitor_builders import envelopes, pairs_matched, servers, spec

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def _state(request_id: str, count: int = 3) -> RequestState:
    chunks = pairs_matched(spec(), servers(count))
    plan = plans.Plan.from_chunks(chunks)
    return plans.start(
        request_id, plan, envelopes(chunks, request_id, "m", "matcher")[0].event_id, NOW
    )


def _batch(key: str = "001-0000", status: BatchStatus = BatchStatus.INTENDED) -> BatchRecord:
    return BatchRecord(
        key=key,
        wave=1,
        index=0,
        account_id="123456789012",
        region="us-east-1",
        members=(
            Member(
                source_server_id="s-s0000000000000001", launching_server_id="s-f0000000000000001"
            ),
        ),
        drill=False,
        intent_at=NOW,
        status=status,
    )


class StoreContract:
    """Subclasses provide `make` (a fresh store) and a distinct request ID per test."""

    async def make(self) -> Store:
        raise NotImplementedError

    async def test_a_request_round_trips_through_create_and_save(self, request_id: str) -> None:
        store = await self.make()
        state = _state(request_id)
        await store.create(state)
        assert await store.load(request_id) is None, "no summary yet: not a request"
        await store.save(request_id, [], [], state.summary)
        loaded = await store.load(request_id)
        assert loaded is not None
        assert loaded.summary == state.summary
        assert loaded.servers == state.servers
        assert loaded.extras == state.extras
        assert await store.summary(request_id) == state.summary

    async def test_records_change_and_results_arrive_by_server(self, request_id: str) -> None:
        store = await self.make()
        state = _state(request_id)
        await store.create(state)
        key = min(state.servers)
        done = state.servers[key].decide("failed", "no", NOW)
        await store.save(request_id, [done], [_batch()], state.summary)
        results = [s.result() for s in servers(3)]
        # The configurator's counts so far ride with each result it publishes.
        calls = {"UpdateLaunchConfiguration": 2}
        await store.add_results(request_id, "e-1", results[:2], calls, "a" * 64)
        calls = {"UpdateLaunchConfiguration": 3}
        await store.add_results(request_id, "e-2", results[2:], calls, "a" * 64)
        loaded = await store.load(request_id)
        assert loaded is not None
        assert loaded.servers[key].phase is ServerPhase.DONE
        assert loaded.batches["001-0000"] == _batch()
        assert set(loaded.configs) == set(state.servers)
        assert report.api_calls(loaded) == {"UpdateLaunchConfiguration": 3}
        assert loaded.launch_hash == "a" * 64

    async def test_an_intent_is_recorded_once(self, request_id: str) -> None:
        store = await self.make()
        assert await store.record_intent(request_id, _batch())
        assert not await store.record_intent(request_id, _batch(status=BatchStatus.STARTED))

    async def test_one_lease_at_a_time_until_it_expires(self, request_id: str) -> None:
        store = await self.make()
        later = NOW + timedelta(seconds=30)
        assert await store.acquire(request_id, "a", NOW, later)
        assert not await store.acquire(request_id, "b", NOW, later)
        assert await store.acquire(request_id, "a", NOW, later), "a holder renews its own lease"
        assert await store.acquire(
            request_id, "b", later + timedelta(seconds=1), later + timedelta(seconds=60)
        )
        await store.release(request_id, "a")  # not a's any more: nothing happens
        assert not await store.acquire(request_id, "a", later + timedelta(seconds=2), later)
        await store.release(request_id, "b")
        assert await store.acquire(request_id, "a", later + timedelta(seconds=2), later)

    async def test_emissions_keep_their_order_their_first_version_and_go_when_cleared(
        self, request_id: str
    ) -> None:
        store = await self.make()
        for n, key in enumerate(["job-started-1", "job-completed-1", "request-completed-0"]):
            await store.add_emission(request_id, Emission(key, n, f"body-{n}"))
        await store.add_emission(request_id, Emission("job-started-1", 9, "second version"))
        owed = await store.emissions(request_id)
        assert [(e.key, e.seq, e.body) for e in owed] == [
            ("job-started-1", 0, "body-0"),
            ("job-completed-1", 1, "body-1"),
            ("request-completed-0", 2, "body-2"),
        ]
        await store.clear_emissions(request_id, ["job-started-1", "job-completed-1"])
        assert [e.key for e in await store.emissions(request_id)] == ["request-completed-0"]

    async def test_the_final_report_is_kept_next_to_the_request(self, request_id: str) -> None:
        store = await self.make()
        state = _state(request_id)
        for record in list(state.servers.values()):
            state.put_server(record.decide("recovered", None, NOW))
        chunks = report.request_completed(state, NOW)
        await store.keep_report(request_id, chunks)
        await store.create(state)
        await store.save(request_id, [], [], state.summary)
        loaded = await store.load(request_id)
        assert loaded is not None and all(isinstance(c, RequestCompleted) for c in chunks)

    async def test_an_armed_request_is_overdue_once_its_tick_is_late_until_disarmed(
        self, request_id: str
    ) -> None:
        store = await self.make()
        await store.arm(request_id, 3, NOW)
        await store.arm(request_id, 4, NOW + timedelta(seconds=30))  # the last note wins

        def mine(found: list[Armed]) -> list[tuple[int, datetime]]:
            return [(a.seq, a.due_at) for a in found if a.request_id == request_id]

        assert mine(await store.overdue(NOW + timedelta(seconds=30))) == []
        late = NOW + timedelta(seconds=31)
        assert mine(await store.overdue(late)) == [(4, NOW + timedelta(seconds=30))]
        await store.disarm(request_id)
        assert mine(await store.overdue(late)) == []

    async def test_the_records_version_moves_with_every_writer_and_a_commit_keeps_only_its_own(
        self, request_id: str
    ) -> None:
        store = await self.make()
        state = _state(request_id)
        assert not await store.claim(request_id, None, "v1"), "no summary yet: nothing to claim"
        await store.create(state)
        assert not await store.save(request_id, [], [], state.summary), "no version to keep"
        head = await store.head(request_id)
        assert head is not None and head.summary == state.summary and head.version is not None
        first = head.version

        assert not await store.claim(request_id, "not-the-stored-one", "v1")
        assert await store.claim(request_id, first, "v1")
        assert not await store.claim(request_id, first, "v2"), "moved already: a second claim loses"
        assert await store.save(request_id, [], [_batch()], state.summary, "v1")
        assert (await store.head(request_id)).version == "v1"  # type: ignore[union-attr]

        # Results written outside the lease move the version after their records.
        results = [s.result() for s in servers(3)]
        await store.add_results(request_id, "e-1", results, {}, "a" * 64)
        moved = (await store.head(request_id)).version  # type: ignore[union-attr]
        assert moved not in {None, "v1"}
        assert not await store.save(request_id, [], [], state.summary, "v1"), "not ours any more"
        after = (await store.head(request_id)).version  # type: ignore[union-attr]
        assert after not in {None, "v1", moved}, "a commit that lost writes a version nobody holds"
        loaded = await store.load(request_id)
        assert loaded is not None and set(loaded.configs) == set(state.servers)

        # Moved on from the version a worker keeps: the new one is said, and is the stored one.
        more = [s.result() for s in servers(4)][3:]
        stale = await store.add_results(request_id, "e-2", more, {}, "a" * 64, seen="v1")
        assert stale is None, "moved from another version than the one seen: nothing said"
        seen = (await store.head(request_id)).version  # type: ignore[union-attr]
        said = await store.add_results(request_id, "e-3", more, {}, "a" * 64, seen=seen)
        assert said is not None and said != seen
        assert (await store.head(request_id)).version == said  # type: ignore[union-attr]
        after = said

        await store.keep_drill(request_id, RecoveryPoint(before=NOW))
        assert (await store.head(request_id)).version != after  # type: ignore[union-attr]
