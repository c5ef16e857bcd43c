"""One behaviour for every `DiscoveryRepository`: the fake and the DynamoDB adapter alike.

A test module subclasses `RepositoryContract` and provides the `repository` fixture.
"""

from __future__ import annotations

from drsorch.discovery.ports import DiscoveryRepository, ServerKey

A: ServerKey = ("111111111111", "us-west-2", "s-00000000000000001")
B: ServerKey = ("111111111111", "us-west-2", "s-00000000000000002")
C: ServerKey = ("222222222222", "us-west-2", "s-00000000000000001")
NOW, LATER = 1_000, 2_000


class RepositoryContract:
    """The tests; `repository` is a fixture of the subclass' module, empty for each test."""

    async def test_a_snapshot_is_whole_in_order_or_absent(
        self, repository: DiscoveryRepository
    ) -> None:
        assert await repository.load_snapshot("req-snap-0001", "cause-1") is None
        chunks = [f'{{"n":{i}}}' for i in range(12)]
        await repository.save_snapshot("req-snap-0001", "cause-1", chunks, expires_at=LATER)
        assert await repository.load_snapshot("req-snap-0001", "cause-1") == chunks
        assert await repository.load_snapshot("req-snap-0001", "cause-2") is None

    async def test_a_free_server_is_claimed_and_the_same_request_may_claim_it_again(
        self, repository: DiscoveryRepository
    ) -> None:
        assert await repository.claim("req-one-0001", [A, B], now=NOW, expires_at=LATER) == {}
        assert await repository.claim("req-one-0001", [A], now=NOW, expires_at=LATER) == {}
        held = await repository.claim("req-two-0001", [A, C], now=NOW, expires_at=LATER)
        assert held == {A: "req-one-0001"}
        assert await repository.holders([A, B, C], now=NOW) == {
            A: "req-one-0001",
            B: "req-one-0001",
            C: "req-two-0001",
        }

    async def test_an_expired_claim_is_taken_over(self, repository: DiscoveryRepository) -> None:
        await repository.claim("req-one-0001", [A], now=NOW, expires_at=NOW + 10)
        assert await repository.holders([A], now=NOW + 11) == {}
        assert await repository.claim("req-two-0001", [A], now=NOW + 11, expires_at=LATER) == {}
        assert await repository.holders([A], now=NOW + 11) == {A: "req-two-0001"}

    async def test_release_frees_only_what_the_request_still_holds(
        self, repository: DiscoveryRepository
    ) -> None:
        await repository.claim("req-one-0001", [A, B], now=NOW, expires_at=NOW + 10)
        await repository.claim("req-two-0001", [B], now=NOW + 11, expires_at=LATER)  # took B
        assert await repository.release("req-one-0001") == 2
        assert await repository.holders([A, B], now=NOW + 11) == {B: "req-two-0001"}
        assert await repository.release("req-one-0001") == 0
        assert await repository.release("req-never-01") == 0

    async def test_holders_writes_nothing(self, repository: DiscoveryRepository) -> None:
        assert await repository.holders([A, B], now=NOW) == {}
        assert await repository.claim("req-two-0001", [A, B], now=NOW, expires_at=LATER) == {}

    async def test_many_servers_at_once(self, repository: DiscoveryRepository) -> None:
        """More servers than one read, or one record of what a request holds, takes."""
        keys = [("111111111111", "us-west-2", f"s-{n:017d}") for n in range(240)]
        assert await repository.claim("req-big-0001", keys, now=NOW, expires_at=LATER) == {}
        held = await repository.claim("req-big-0002", keys[::20], now=NOW, expires_at=LATER)
        assert set(held.values()) == {"req-big-0001"} and len(held) == 12
        assert await repository.release("req-big-0001") == 240
        assert await repository.holders(keys, now=NOW) == {}
