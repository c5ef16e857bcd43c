"""A scripted stand-in for the four services, for testing the CLI's side of a request alone.

It runs as the `discovery` worker (so it receives the requests) and publishes, for
each request, the events the real pipeline would: ServersDiscovered, PairsMatched,
TargetConfigured, JobStarted/JobCompleted per wave and RequestCompleted, for a
made-up estate of `servers` servers in three waves with one refused target. The
script decides the plan hash (change `plan_version` to make the plan drift) and can
hold a request forever (`hold`), as a slow DRS would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from drsorch.contracts import (
    EVENTS,
    ConfigurationResult,
    DiscoveredServer,
    Envelope,
    Event,
    FailbackRequested,
    FailoverRequested,
    JobCompleted,
    JobRecord,
    JobStarted,
    LaunchConfiguration,
    Pair,
    PairsMatched,
    RequestCompleted,
    RequestSpec,
    ServerLaunch,
    ServerRef,
    ServerReport,
    ServersDiscovered,
    SlotPipeline,
    TargetConfigured,
    TargetRef,
)
from drsorch.contracts.events import ConfigurationOutcome, RequestStatus
from drsorch.runtime import Outbox, Resources, Service, ServiceFactory
from drsorch.runtime.sns import SnsPublisher

WAVES = (1, 2, 3)
REFUSED = 2  # the server whose target is refused: "left running"


@dataclass
class Script:
    """What the stand-in does; tests change it between requests."""

    servers: int = 9
    plan_version: int = 1
    hold: bool = False
    refuse: bool = True
    """Refuse web-02's target (left running)?"""
    pipeline: tuple[SlotPipeline, ...] = ()
    """The failback pipeline the configurator's TargetConfigured carries."""
    unplaced: frozenset[int] = frozenset()
    """Servers (by number) the configurator found no replication slot for."""
    seen: list[str] = field(default_factory=list)
    specs: list[RequestSpec] = field(default_factory=list)
    """The spec of every request the stand-in received, in order."""

    def plan_hash(self, spec: RequestSpec) -> str:
        return self.plan_hash_for(spec.operation, drill=spec.drill)

    def plan_hash_for(self, operation: str, *, drill: bool = False) -> str:
        """The hash this script's plan has now."""
        text = f"{self.plan_version}/{self.servers}/{operation}/{drill}"
        return hashlib.sha256(text.encode()).hexdigest()


def _sid(n: int) -> str:
    return f"s-{n:017x}"


def _iid(n: int) -> str:
    return f"i-{n:017x}"


def _ref(n: int, spec: RequestSpec) -> ServerRef:
    return ServerRef(
        source_server_id=_sid(n),
        account_id=spec.accounts.hub,
        region=spec.recovery_region,
        name=f"web-{n:02d}",
        wave=WAVES[n % 3],
    )


def _pair(n: int, spec: RequestSpec) -> Pair:
    if spec.drill:
        return Pair(server=_ref(n, spec), evidence=("drill: standard launch",))
    target = TargetRef(
        instance_id=_iid(n),
        account_id=spec.accounts.hub,
        region=spec.launch_region,
        name=f"web-{n:02d}",
        private_ip=f"10.0.0.{n + 10}",
    )
    return Pair(
        server=_ref(n, spec),
        target=target,
        method="lineage",
        evidence=(f"awsInstanceID={_iid(n)} matches",),
    )


def _unplaced(n: int, spec: RequestSpec) -> ConfigurationResult:
    return ConfigurationResult(
        source_server_id=_sid(n),
        account_id=spec.accounts.hub,
        launch_region=spec.launch_region,
        outcome="rejected",
        reason="no replication slot in its account and region",
        unplaced=True,
    )


def _configured(n: int, spec: RequestSpec, drift: str | None, refuse: bool) -> ConfigurationResult:
    account, region = spec.accounts.hub, spec.launch_region
    if drift or (refuse and n == REFUSED and not spec.drill):
        return ConfigurationResult(
            source_server_id=_sid(n),
            account_id=account,
            launch_region=region,
            target_instance_id=None,
            outcome="rejected",
            reason=drift or "target is running",
        )
    before = LaunchConfiguration(copy_private_ip=True, launch_disposition="STARTED")
    after = before.with_settings(
        spec.launch_settings, launch_into_instance_id=None if spec.drill else _iid(n)
    )
    outcome: ConfigurationOutcome = "planned" if spec.plan_only else "configured"
    return ConfigurationResult(
        source_server_id=_sid(n),
        launching_server_id=_sid(n + 1000),
        account_id=account,
        launch_region=region,
        target_instance_id=after.launch_into_instance_id,
        outcome=outcome,
        previous=before,
        desired=after,
    )


class Run:
    """The events of one request."""

    def __init__(self, script: Script, envelope: Envelope[Event], spec: RequestSpec) -> None:
        self.script, self.envelope, self.spec = script, envelope, spec
        self.now = datetime.now(UTC)
        self.numbers = list(range(1, script.servers + 1))
        self.plan_hash = script.plan_hash(spec)
        approved = spec.approved_plan_hash
        self.drift = (
            f"plan drift: the plan now hashes to {self.plan_hash}, not the approved {approved}"
            if approved and approved != self.plan_hash
            else None
        )
        self.out: list[Envelope[Event]] = []

    def emit(self, event: Event, step: str) -> None:
        self.out.append(
            Envelope.wrap(
                event,
                request_id=self.envelope.request_id,
                step=step,
                producer="cli-test-pipeline",
                causation_id=self.envelope.event_id,
                trace=self.envelope.trace,
            )
        )

    def plan(self) -> list[ConfigurationResult]:
        spec = self.spec
        discovered = [
            DiscoveredServer(
                source_server_id=_sid(n),
                account_id=spec.accounts.hub,
                region=spec.recovery_region,
                name=f"web-{n:02d}",
                wave=WAVES[n % 3],
            )
            for n in self.numbers
        ]
        self.emit(
            ServersDiscovered(
                spec=spec, servers=tuple(discovered), api_calls={"DescribeSourceServers": 2}
            ),
            "discovered",
        )
        pairs = tuple(_pair(n, spec) for n in self.numbers)
        self.emit(PairsMatched(spec=spec, match_hash=self.plan_hash, pairs=pairs), "matched")
        results = [
            _unplaced(n, spec)
            if n in self.script.unplaced
            else _configured(n, spec, self.drift, self.script.refuse)
            for n in self.numbers
        ]
        configured = TargetConfigured(
            plan_hash=self.plan_hash, results=tuple(results), pipeline=self.script.pipeline
        )
        self.emit(configured, "configured")
        return results

    def jobs(
        self, results: list[ConfigurationResult]
    ) -> tuple[list[ServerReport], list[JobRecord]]:
        reports, records = [], []
        ready = {r.source_server_id for r in results if r.outcome != "rejected"}
        clock = self.now
        for index, wave in enumerate(WAVES):
            members = [n for n in self.numbers if WAVES[n % 3] == wave and _sid(n) in ready]
            if not members:
                continue
            job = f"drsjob-{index + 1:017x}"
            launching = tuple(_sid(n + 1000) for n in members)
            self.emit(
                JobStarted(
                    job_id=job,
                    account_id=self.spec.accounts.hub,
                    region=self.spec.launch_region,
                    wave=wave,
                    batch_index=0,
                    source_server_ids=launching,
                    drill=self.spec.drill,
                    launch_into=not self.spec.drill,
                ),
                f"job-{job}",
            )
            launches = [self._launch(n) for n in members]
            ended = clock + timedelta(minutes=7)
            self.emit(
                JobCompleted(
                    job_id=job,
                    account_id=self.spec.accounts.hub,
                    region=self.spec.launch_region,
                    wave=wave,
                    batch_index=0,
                    servers=tuple(launches),
                    started_at=clock,
                    ended_at=ended,
                ),
                f"done-{job}",
            )
            records.append(
                JobRecord(
                    job_id=job,
                    account_id=self.spec.accounts.hub,
                    region=self.spec.launch_region,
                    wave=wave,
                    batch_index=0,
                    source_server_ids=launching,
                    started_at=clock,
                    ended_at=ended,
                )
            )
            reports += [
                self._report(n, job, launch) for n, launch in zip(members, launches, strict=True)
            ]
            clock = ended
        return reports, records

    def _launch(self, n: int) -> ServerLaunch:
        expected = None if self.spec.drill else _iid(n)
        ec2 = _iid(n + 5000) if self.spec.drill else _iid(n)
        return ServerLaunch(
            source_server_id=_sid(n + 1000),
            launch_status="LAUNCHED",
            recovery_instance_id=_iid(n + 9000),
            ec2_instance_id=ec2,
            expected_instance_id=expected,
            launched_into_expected=expected is not None,
        )

    def _report(self, n: int, job: str, launch: ServerLaunch) -> ServerReport:
        pair = _pair(n, self.spec)
        return ServerReport(
            server=pair.server,
            target=pair.target,
            method=pair.method,
            evidence=pair.evidence,
            outcome="recovered",
            launching_server_id=_sid(n + 1000),
            job_id=job,
            recovery_instance_id=launch.recovery_instance_id,
            ec2_instance_id=launch.ec2_instance_id,
            launched_into_expected=True if launch.expected_instance_id else None,
        )

    def finish(self, results: list[ConfigurationResult]) -> None:
        spec = self.spec
        refused = [_pair(n, spec) for n in self.numbers if results[n - 1].outcome == "rejected"]
        reports: list[ServerReport] = []
        jobs: list[JobRecord] = []
        status: RequestStatus
        if spec.plan_only:
            status = "PLANNED"
            reports = [ServerReport(server=_ref(n, spec), outcome="planned") for n in self.numbers]
        elif self.drift:
            status = "REJECTED"
        else:
            reports, jobs = self.jobs(results)
            reports += [
                ServerReport(
                    server=p.server,
                    target=p.target,
                    method=p.method,
                    outcome="rejected",
                    reason="target is running",
                )
                for p in refused
            ]
            status = "PARTIAL" if refused else "SUCCEEDED"
        completed = RequestCompleted(
            status=status,
            operation=spec.operation,
            drill=spec.drill,
            plan_hash=self.plan_hash,
            reason=self.drift,
            servers=tuple(reports),
            jobs=tuple(jobs),
            api_calls={"DescribeSourceServers": 2, "StartRecovery": len(jobs)},
            started_at=self.now,
            ended_at=self.now + timedelta(minutes=30),
        )
        self.emit(completed, "completed")


class AsTheirProducers:
    """Publishes each event on the topic of the service that produces it: the stand-in
    plays all four services, and consumers (the CLI among them) believe an event only
    from its producer's topic."""

    def __init__(self, resources: Resources, sns: Any) -> None:
        self.topics = resources.topology.producer_topics
        self.sns = sns

    @classmethod
    async def open(cls, resources: Resources) -> AsTheirProducers:
        return cls(resources, await resources.client("sns"))

    async def publish(self, envelopes: Sequence[Envelope[Event]]) -> None:
        for envelope in envelopes:
            payload = envelope.payload
            topic = self.topics[type(payload).producers[0]]
            await SnsPublisher(self.sns, {payload.topic: topic}).publish([envelope])


def pipeline(script: Script) -> ServiceFactory:
    """The stand-in's service factory, for `serve("discovery", ...)`."""

    async def build(resources: Resources) -> Service:
        producers = await AsTheirProducers.open(resources)

        async def on_request(envelope: Envelope[Event], outbox: Outbox) -> None:
            payload = envelope.payload
            assert isinstance(payload, FailbackRequested | FailoverRequested)
            script.seen.append(envelope.request_id)
            script.specs.append(payload.spec)
            run = Run(script, envelope, payload.spec)
            results = run.plan()
            if script.hold:
                run.out = run.out[:1]  # discovery answered; nothing more will come
            else:
                run.finish(results)
            await producers.publish(run.out)

        return Service(
            "discovery", EVENTS, {"FailbackRequested": on_request, "FailoverRequested": on_request}
        )

    return build
