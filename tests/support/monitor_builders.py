"""Builders of the monitor's input events (plans and configuration results) for tests."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from drsorch.contracts import (
    Accounts,
    ConfigurationResult,
    Envelope,
    Event,
    LaunchConfiguration,
    Pair,
    PairsMatched,
    RequestOptions,
    RequestSpec,
    ServerRef,
    TargetConfigured,
    TargetRef,
    Unmatched,
)
from drsorch.runtime.chunks import split

HUB = "123456789012"
SPOKE = "210987654321"
PRIMARY, RECOVERY = "us-east-1", "us-west-2"
PLAN_HASH = "ab" * 32


def server_id(n: int, prefix: str = "s") -> str:
    """A DRS source server ID: `s-` and 17 characters."""
    return f"s-{prefix}{n:016d}"[:19]


def failback_id(n: int) -> str:
    return server_id(n, "f")


def instance_id(n: int, prefix: str = "a") -> str:
    """An EC2 instance ID: `i-` and 17 hex digits."""
    return f"i-{prefix}{n:016x}"


def private_ip(n: int) -> str:
    return f"10.0.{n // 250}.{n % 250 + 4}"


def spec(
    operation: str = "failback",
    *,
    hub: str = HUB,
    drill: bool = False,
    plan_only: bool = False,
    approved_plan_hash: str | None = None,
    launch_into: str | None = None,
    **options: object,
) -> RequestSpec:
    return RequestSpec.model_validate(
        {
            "operation": operation,
            "scope": {"selector": {"app": "payments"}},
            "accounts": Accounts(hub=hub).model_dump(),
            "primary_region": PRIMARY,
            "recovery_region": RECOVERY,
            "drill": drill,
            "plan_only": plan_only,
            "approved_plan_hash": approved_plan_hash,
            "launch_into": launch_into,
            "options": RequestOptions.model_validate(options).model_dump(),
            "requested_by": "operator",
        }
    )


@dataclass(frozen=True)
class Server:
    """One server of a test plan: its pair and the configurator's result for it."""

    n: int
    wave: int = 1
    launch_into: bool = True
    outcome: str = "configured"
    reason: str | None = None
    account: str = HUB

    @property
    def source_server_id(self) -> str:
        return server_id(self.n)

    @property
    def launching_server_id(self) -> str:
        return failback_id(self.n)

    @property
    def target_instance_id(self) -> str:
        return instance_id(self.n)

    def pair(self, launch_region: str = PRIMARY) -> Pair:
        target = (
            TargetRef(
                instance_id=self.target_instance_id,
                account_id=self.account,
                region=launch_region,
                name=f"app-{self.n}",
                private_ip=private_ip(self.n),
            )
            if self.launch_into
            else None
        )
        return Pair(
            server=ServerRef(
                source_server_id=self.source_server_id,
                account_id=self.account,
                region=RECOVERY,
                name=f"app-{self.n}",
                wave=self.wave,
            ),
            target=target,
            method="lineage" if target else None,
            evidence=("awsInstanceID matches",) if target else (),
        )

    def result(self, launch_region: str = PRIMARY) -> ConfigurationResult:
        launching = None if self.outcome == "rejected" else self.launching_server_id
        return ConfigurationResult(
            source_server_id=self.source_server_id,
            launching_server_id=launching,
            account_id=self.account,
            launch_region=launch_region,
            target_instance_id=self.target_instance_id if self.launch_into else None,
            outcome=self.outcome,  # type: ignore[arg-type]
            reason=self.reason,
            reverse_replication_started=True,
            previous=LaunchConfiguration(copy_private_ip=True),
        )


def servers(count: int, *, waves: int = 1, start: int = 1, **fields: object) -> list[Server]:
    """`count` servers in `waves` equal consecutive blocks."""
    per_wave = -(-count // waves)
    return [
        Server(n, wave=1 + (n - start) // per_wave, **fields)  # type: ignore[arg-type]
        for n in range(start, start + count)
    ]


def pairs_matched(
    request_spec: RequestSpec,
    plan: Sequence[Server],
    *,
    unmatched: Iterable[Unmatched] = (),
    plan_hash: str = PLAN_HASH,
    budget: int = 200_000,
) -> list[PairsMatched]:
    """The plan as PairsMatched chunks."""
    region = request_spec.launch_region
    items = sorted((s.pair(region) for s in plan), key=lambda p: p.server.source_server_id)
    lost = list(unmatched)

    def build(run: Sequence[Pair], chunk: object) -> PairsMatched:
        return PairsMatched(
            spec=request_spec,
            match_hash=plan_hash,
            pairs=tuple(run),
            unmatched=tuple(lost),
            chunk=chunk,  # type: ignore[arg-type]
        )

    return split(build, items, budget=budget)


def target_configured(
    plan: Sequence[Server],
    launch_region: str = PRIMARY,
    budget: int = 200_000,
    plan_hash: str = PLAN_HASH,
) -> list[TargetConfigured]:
    results = sorted((s.result(launch_region) for s in plan), key=lambda r: r.source_server_id)

    def build(run: Sequence[ConfigurationResult], chunk: object) -> TargetConfigured:
        return TargetConfigured(
            plan_hash=plan_hash,
            results=tuple(run),
            api_calls={"GetLaunchConfiguration": len(run)},
            chunk=chunk,  # type: ignore[arg-type]
        )

    return split(build, results, budget=budget)


def envelopes(
    events: Sequence[Event], request_id: str, step: str, producer: str
) -> list[Envelope[Event]]:
    """Envelopes of one result's chunks, sharing request and causation as producers do."""
    digest = hashlib.sha256(f"{request_id}/{step}".encode()).hexdigest()
    cause = f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}"
    return [
        Envelope.wrap(
            event,
            request_id=request_id,
            step=f"{step}-{i}",
            producer=producer,
            causation_id=cause,
        )
        for i, event in enumerate(events)
    ]
