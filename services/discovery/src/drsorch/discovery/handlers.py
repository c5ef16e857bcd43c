"""Discovery's handlers: a request in, ServersDiscovered out; a request's end frees its servers.

A request event is discovered once: the chunks are saved in discovery's table
before they are published, so a redelivered or retried request publishes the same
chunks (the same event IDs) again instead of what the accounts hold by then.
Servers are held for the request from discovery until its RequestCompleted arrives
(or, failing that, until the request's own time limits have passed), so a second
request over the same servers is told it conflicts. A plan-only request launches
nothing: it holds nothing, but is told about the servers others hold.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from drsorch.contracts import (
    DrillRequested,
    Envelope,
    Event,
    FailbackRequested,
    FailoverRequested,
    Problem,
    RequestCompleted,
    RequestSpec,
    ServersDiscovered,
)
from drsorch.discovery.assessment import Findings
from drsorch.discovery.ports import AccountAccess, Clock, DiscoveryRepository
from drsorch.discovery.reading import discover
from drsorch.discovery.results import chunks, claimable, conflicts
from drsorch.runtime import Handler, Outbox

PRODUCER = "discovery"
SNAPSHOT_RETENTION = timedelta(days=30)


def claim_lifetime(spec: RequestSpec, waves: int) -> timedelta:
    """How long a request may hold its servers if its RequestCompleted never comes.

    Long enough for every wave to wait for readiness and run a job to its timeout.
    """
    options = spec.options
    per_wave = options.readiness_deadline_seconds + options.job_timeout_seconds
    return timedelta(seconds=per_wave * max(1, waves))


@dataclass(frozen=True)
class Discovery:
    """The handlers, over the ports they use."""

    access: AccountAccess
    repository: DiscoveryRepository
    clock: Clock
    accounts_at_once: int = 8

    async def on_request(self, envelope: Envelope[Event], outbox: Outbox) -> None:
        """FailbackRequested / FailoverRequested / DrillRequested (a failover drill): discover,
        hold servers, publish the result."""
        payload = envelope.payload
        if not isinstance(payload, FailbackRequested | FailoverRequested | DrillRequested):
            raise TypeError(f"discovery cannot handle {envelope.type} as a request")
        saved = await self.repository.load_snapshot(envelope.request_id, envelope.event_id)
        if saved is not None:
            results = [ServersDiscovered.model_validate_json(body) for body in saved]
        else:
            results = await self._discover(envelope.request_id, payload.spec)
            now = self.clock()
            await self.repository.save_snapshot(
                envelope.request_id,
                envelope.event_id,
                [result.model_dump_json() for result in results],
                expires_at=int((now + SNAPSHOT_RETENTION).timestamp()),
            )
        outbox.publish(
            *(
                Envelope.wrap(
                    result,
                    request_id=envelope.request_id,
                    step=f"servers-discovered/{result.chunk.index}-of-{result.chunk.count}",
                    producer=PRODUCER,
                    causation_id=envelope.event_id,
                )
                for result in results
            )
        )

    async def on_request_completed(self, envelope: Envelope[Event], outbox: Outbox) -> None:
        """RequestCompleted (any chunk): the request no longer holds its servers."""
        await self.repository.release(envelope.request_id)

    async def _discover(self, request_id: str, spec: RequestSpec) -> list[ServersDiscovered]:
        calls: Counter[str] = Counter()
        findings = await discover(spec, self.access, calls, concurrency=self.accounts_at_once)
        findings.problems.extend(await self._hold(request_id, spec, findings))
        return chunks(spec, findings, calls)

    async def _hold(self, request_id: str, spec: RequestSpec, findings: Findings) -> list[Problem]:
        wanted = claimable(findings)
        now = self.clock()
        if spec.plan_only:
            held = await self.repository.holders(wanted, now=int(now.timestamp()))
        else:
            waves = len({s.wave for s in findings.servers})
            until = now + claim_lifetime(spec, waves)
            held = await self.repository.claim(
                request_id, wanted, now=int(now.timestamp()), expires_at=int(until.timestamp())
            )
        return conflicts(held, request_id)

    def handlers(self) -> dict[str, Handler]:
        """Handlers by event type, for the runtime's `Service`."""
        return {
            FailbackRequested.event_type: self.on_request,
            FailoverRequested.event_type: self.on_request,
            DrillRequested.event_type: self.on_request,
            RequestCompleted.event_type: self.on_request_completed,
        }
