"""Reading discovery's result: every chunk merged, then turned into the matcher's records."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from drsorch.contracts import (
    CandidateTarget,
    DiscoveredServer,
    Envelope,
    Event,
    LineageClaim,
    LineageInstance,
    Problem,
    RequestSpec,
    ServersDiscovered,
)
from drsorch.matcher.errors import InconsistentResult
from drsorch.matcher.names import NameRules
from drsorch.matcher.records import LineageState, MatchRules, SourceServer, TargetInstance


@dataclass(frozen=True)
class Discovery:
    """One request's ServersDiscovered, all chunks together."""

    request_id: str
    causation_id: str
    """The first chunk's event ID: what every PairsMatched chunk names as its cause."""
    spec: RequestSpec
    servers: tuple[DiscoveredServer, ...]
    targets: tuple[CandidateTarget, ...]
    problems: tuple[Problem, ...]
    api_calls: dict[str, int]
    lineage: tuple[LineageInstance, ...] = ()
    claims: tuple[LineageClaim, ...] = ()

    @classmethod
    def merge(cls, chunks: Sequence[Envelope[Event]]) -> Discovery:
        """The chunks (in index order) as one result; they must agree on the request."""
        payloads = [_payload(envelope) for envelope in chunks]
        spec = payloads[0].spec
        if any(p.spec != spec for p in payloads[1:]):
            raise InconsistentResult(
                f"ServersDiscovered for {chunks[0].request_id}: chunks carry different specs"
            )
        calls: Counter[str] = Counter()
        for payload in payloads:
            calls.update(payload.api_calls)
        return cls(
            request_id=chunks[0].request_id,
            causation_id=chunks[0].event_id,
            spec=spec,
            servers=tuple(s for p in payloads for s in p.servers),
            targets=tuple(t for p in payloads for t in p.targets),
            problems=tuple(pr for p in payloads for pr in p.problems),
            api_calls=dict(calls),
            lineage=tuple(i for p in payloads for i in p.lineage),
            claims=tuple(c for p in payloads for c in p.claims),
        )

    def rules(self) -> MatchRules:
        """How this request matches: its launch region, mode, name affixes, settings."""
        spec = self.spec
        return MatchRules(
            operation=spec.operation,
            launch_region=spec.launch_region,
            launch_into=spec.effective_launch_into(),
            names=NameRules.build(
                spec.options.name_prefixes,
                spec.options.name_suffixes,
                (spec.primary_region, spec.recovery_region),
            ),
            launch_settings=spec.launch_settings.model_dump(mode="json"),
            primary_region=spec.primary_region,
            accounts=frozenset(
                [spec.accounts.hub, *(spoke.account_id for spoke in spec.accounts.spokes)]
            ),
            overrides={o.source_server_id: o.instance_id for o in spec.target_overrides},
        )

    def source_servers(self) -> list[SourceServer]:
        return [source_server(s) for s in self.servers]

    def target_instances(self) -> list[TargetInstance]:
        return [
            TargetInstance(t.instance_id, t.account_id, t.region, t.name, t.state)
            for t in self.targets
        ]

    def lineage_states(self) -> list[LineageState]:
        """What EC2 says of instances lineage names that are no candidates."""
        return [LineageState(i.instance_id, i.account_id, i.region, i.state) for i in self.lineage]

    def foreign_claims(self) -> dict[str, str]:
        """Candidate targets claimed by servers outside the scope, with how (first fact wins)."""
        claims: dict[str, str] = {}
        for claim in sorted(self.claims, key=lambda c: (c.instance_id, c.source_server_id)):
            claims.setdefault(claim.instance_id, claim.fact)
        return claims

    def blocked(self) -> dict[str, str]:
        """Servers discovery left out of the request (blocking problems), with the reasons."""
        return blocked_servers(self.servers, self.problems)


def _payload(envelope: Envelope[Event]) -> ServersDiscovered:
    if not isinstance(envelope.payload, ServersDiscovered):
        raise InconsistentResult(f"expected ServersDiscovered chunks, got {envelope.type}")
    return envelope.payload


def source_server(server: DiscoveredServer) -> SourceServer:
    """The matcher's view of a discovered server: identity, names and lineage."""
    recovery = server.recovery_instance
    return SourceServer(
        source_server_id=server.source_server_id,
        account_id=server.account_id,
        region=server.region,
        name=server.name,
        hostname=server.hostname,
        wave=server.wave,
        arn=server.arn,
        origin_instance_id=server.origin_instance_id,
        origin_account_id=server.origin_account_id,
        origin_region=server.origin_region,
        reversed_direction_server_arn=server.reversed_direction_server_arn,
        recovery_instance_id=recovery.recovery_instance_id if recovery else None,
        recovery_ec2_instance_id=recovery.ec2_instance_id if recovery else None,
        recovery_is_drill=recovery.is_drill if recovery else False,
        staging_account_id=server.staging_account_id,
        staging_source_server_arn=server.staging_source_server_arn,
    )


def blocked_servers(
    servers: Iterable[DiscoveredServer], problems: Iterable[Problem]
) -> dict[str, str]:
    """Server ID -> why it is left out: its own blocking problems, and its account's."""
    by_server: defaultdict[str, list[str]] = defaultdict(list)
    by_account: list[Problem] = []
    for problem in problems:
        if not problem.blocking:
            continue
        if problem.source_server_id:
            by_server[problem.source_server_id].append(f"{problem.kind}: {problem.reason}")
        else:
            by_account.append(problem)
    for server in servers:
        for problem in by_account:
            if problem.account_id == server.account_id and problem.region in (None, server.region):
                by_server[server.source_server_id].append(f"{problem.kind}: {problem.reason}")
    return {sid: "; ".join(sorted(set(reasons))) for sid, reasons in by_server.items()}
