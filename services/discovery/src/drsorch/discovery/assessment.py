"""Judging one account's findings: which servers are in scope, their lineage, their problems.

Pure: `assess` takes everything discovery read in one account (`AccountReading`) and
returns the servers in scope, the candidate targets and the problems, as contract
records. The rules:

- Failover: the FAILOVER-direction servers held in the recovery region. A server
  whose replication is STOPPED or DISCONNECTED has no point in time to launch from
  (blocking); any other state but CONTINUOUS, or a lag above the request's limit, is
  reported and the server goes on (in a disaster the primary is gone and servers
  stall; DRS still launches from the latest point in time).
- Failback: the same FAILOVER servers, each with its recovery instance in the
  recovery region (it must exist, not be a drill, and run: else blocking) and, when
  reverse replication has started, the FAILBACK-direction server in the primary
  region, found by its awsInstanceID being the recovery instance's EC2 instance
  (reversedDirectionSourceServerArn goes stale across cycles). Reverse replication
  not started yet is no problem: the configurator starts it. Its state and lag are
  reported, never blocking: drsorch waits for readiness before launching.
- A server in an active DRS job is blocking (DRS runs one job per server).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from drsorch.contracts import (
    CandidateTarget,
    DiscoveredServer,
    FailbackServerInfo,
    LineageClaim,
    LineageInstance,
    Problem,
    RecoveryInstanceInfo,
    RequestSpec,
)
from drsorch.contracts.events import ProblemKind
from drsorch.discovery.domain import (
    FAILBACK,
    ActiveJob,
    RecoveryInstanceRecord,
    SourceServerRecord,
    effective_tags,
    name_tag,
    selected,
    wave_of,
)

NO_POINT_IN_TIME = frozenset({"STOPPED", "DISCONNECTED"})
SOURCE_SERVER_ID = re.compile(r"s-[0-9a-zA-Z]{17}")


@dataclass(frozen=True)
class AccountReading:
    """Everything discovery read in one account for one request."""

    account_id: str
    servers: Sequence[SourceServerRecord]
    """FAILOVER-direction servers in the recovery region (all, or those asked for by ID)."""
    failback_servers: Sequence[SourceServerRecord] = ()
    """FAILBACK-direction servers in the primary region (failback only)."""
    recovery_instances: Sequence[RecoveryInstanceRecord] = ()
    active_jobs: Sequence[ActiveJob] = ()
    origins: Mapping[str, CandidateTarget] = field(default_factory=dict)
    """The servers' origin EC2 instances by instance ID (their tags complete DRS's)."""
    targets: Sequence[CandidateTarget] = ()
    """EC2 instances in the launch region."""
    others: Sequence[SourceServerRecord] = ()
    """Every other source server read (another region or direction): their lineage
    claims instances too."""
    lineage: Mapping[str, LineageInstance] = field(default_factory=dict)
    """Instances the servers' lineage names that are no candidates, by instance ID."""
    recovery_region: str = ""
    """Where the recovery instances were read."""
    launch_region: str = ""
    """Where the candidate targets were read."""
    refused: Sequence[tuple[str, str]] = ()
    """Instances EC2 reported outside drsorch's contract, with why: never targets."""


@dataclass(frozen=True)
class Findings:
    """What one account contributes to ServersDiscovered."""

    servers: list[DiscoveredServer] = field(default_factory=list)
    targets: list[CandidateTarget] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    lineage: list[LineageInstance] = field(default_factory=list)
    claims: list[LineageClaim] = field(default_factory=list)
    unsayable: dict[str, Problem] = field(default_factory=dict)
    """Instances a claim names that drsorch cannot write down, until `settle_claims`."""


def assess(spec: RequestSpec, reading: AccountReading) -> Findings:
    """The servers in scope in this account, the candidate targets, and every problem."""
    recovery = _recovery_by_server(reading.recovery_instances)
    failback = _failback_by_origin(reading.failback_servers)
    wanted = _wanted_ids(spec, reading, recovery)
    findings = Findings()
    for server in sorted(reading.servers, key=lambda s: s.source_server_id):
        origin = reading.origins.get(server.origin_instance_id or "")
        tags = effective_tags(server.tags, origin.tags if origin else {})
        if not selected(spec.scope.selector, wanted, server.source_server_id, tags):
            continue
        instance = recovery.get(server.source_server_id)
        back = failback.get(instance.ec2_instance_id or "") if instance else None
        try:
            discovered, problems = _discover(
                spec, server, tags, instance=instance, back=back, jobs=reading.active_jobs
            )
        except ValidationError as exc:
            # One record DRS reports outside drsorch's contract is one named problem; the
            # rest of the request goes on.
            findings.problems.append(invalid_record(server, exc))
            continue
        findings.servers.append(discovered)
        findings.problems.extend(problems)
        named = reading.lineage.get(server.origin_instance_id or "")
        if named is not None:
            findings.lineage.append(named)
    drs_owned = set() if spec.operation == "failback" else _recovery_ec2_ids(reading)
    findings.targets.extend(t for t in reading.targets if t.instance_id not in drs_owned)
    in_scope = {s.source_server_id for s in findings.servers}
    # Every claim, whatever account its instance is in: a server outside the scope may
    # name an instance in another account of the request. `settle_claims` keeps those
    # that name a candidate target once every account is read.
    claims, unsayable = _claims(reading, in_scope)
    findings.claims.extend(claims)
    findings.unsayable.update(unsayable)
    findings.problems.extend(
        Problem(
            kind="record_invalid",
            account_id=reading.account_id,
            region=reading.launch_region or None,
            # The instance is no target; the account and its other servers go on.
            blocking=False,
            reason=(
                f"EC2 reports instance {instance_id[:40]!r} out of range for drsorch: {why};"
                " it is no target"
            )[:1024],
        )
        for instance_id, why in reading.refused
    )
    return findings


def invalid_record(
    server: SourceServerRecord, exc: ValidationError, *, what: str = "source server"
) -> Problem:
    """A server whose DRS record drsorch cannot carry: left out, the record's fault named."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "record"
    text = (
        f"DRS reports {where} of its {what} out of range for drsorch: {first['msg']};"
        " the server is left out"
    )
    known = SOURCE_SERVER_ID.fullmatch(server.source_server_id) is not None
    named = "" if known else f"source server {server.source_server_id[:40]!r}: "
    return Problem(
        kind="record_invalid",
        account_id=server.account_id,
        region=server.region,
        source_server_id=server.source_server_id if known else None,
        reason=(named + text)[:1024],
    )


def settle_claims(findings: Findings) -> None:
    """Keep the claims that name a candidate target, in any account of the request.

    A claim drsorch cannot write down still protects its instance: it is no target, and
    the record's fault is a problem.
    """
    targets = {t.instance_id for t in findings.targets}
    findings.claims[:] = [c for c in findings.claims if c.instance_id in targets]
    unsayable = {i: p for i, p in findings.unsayable.items() if i in targets}
    if unsayable:
        findings.targets[:] = [t for t in findings.targets if t.instance_id not in unsayable]
        findings.problems.extend(unsayable.values())
    findings.unsayable.clear()


def _claims(
    reading: AccountReading, in_scope: set[str]
) -> tuple[list[LineageClaim], dict[str, Problem]]:
    """The instances the lineage of servers outside the scope claims.

    Every source server read, in either region and direction, claims the instance
    DRS records for it (`awsInstanceID`), and its recovery instance: none of those
    may become another server's target by Name, in this account or another.
    """
    claims: list[LineageClaim] = []
    unsayable: dict[str, Problem] = {}
    for server in (*reading.servers, *reading.failback_servers, *reading.others):
        instance_id = server.origin_instance_id
        if server.source_server_id in in_scope or not instance_id:
            continue
        try:
            claims.append(
                LineageClaim(
                    instance_id=instance_id,
                    source_server_id=server.source_server_id,
                    account_id=server.account_id,
                    region=server.region,
                    fact=f"the awsInstanceID of {server.source_server_id} in {server.region}"
                    " (out of scope)",
                )
            )
        except ValidationError as exc:
            unsayable[instance_id] = invalid_record(server, exc)
    for instance in reading.recovery_instances:
        ec2_id = instance.ec2_instance_id
        if instance.source_server_id in in_scope or not ec2_id:
            continue
        try:
            claims.append(
                LineageClaim(
                    instance_id=ec2_id,
                    source_server_id=instance.source_server_id,
                    account_id=reading.account_id,
                    region=reading.recovery_region,
                    fact=f"recovery instance {instance.recovery_instance_id} of"
                    f" {instance.source_server_id} (out of scope)",
                )
            )
        except ValidationError as exc:
            server = SourceServerRecord(
                instance.source_server_id, reading.account_id, reading.recovery_region
            )
            unsayable[ec2_id] = invalid_record(server, exc, what="recovery instance")
    return claims, unsayable


def _wanted_ids(
    spec: RequestSpec, reading: AccountReading, recovery: Mapping[str, RecoveryInstanceRecord]
) -> frozenset[str] | None:
    ids = spec.scope.source_server_ids
    if not ids:
        return None
    return forward_ids(ids, reading.failback_servers, recovery.values())


def forward_ids(
    ids: Iterable[str],
    failback_servers: Iterable[SourceServerRecord],
    recovery_instances: Iterable[RecoveryInstanceRecord],
) -> frozenset[str]:
    """Scope IDs, with a FAILBACK server's ID standing for the FAILOVER server behind it.

    An operator may name either server of a failback; lineage links them: the
    FAILBACK server replicates the recovery instance's EC2 instance, and the
    recovery instance belongs to the FAILOVER server.
    """
    asked = frozenset(ids)
    behind = {ri.ec2_instance_id: ri.source_server_id for ri in recovery_instances}
    derived = {
        behind[s.origin_instance_id]
        for s in failback_servers
        if s.source_server_id in asked and s.origin_instance_id in behind
    }
    return asked | derived


def _discover(
    spec: RequestSpec,
    server: SourceServerRecord,
    tags: dict[str, str],
    *,
    instance: RecoveryInstanceRecord | None,
    back: SourceServerRecord | None,
    jobs: Sequence[ActiveJob],
) -> tuple[DiscoveredServer, list[Problem]]:
    wave, wave_problem = wave_of(tags)
    problems = Issues(server.account_id, server.region, server.source_server_id)
    if wave_problem:
        problems.add("wave_tag_invalid", wave_problem)
    if spec.operation == "failback":
        _judge_failback(spec, instance, back, problems)
    else:
        _judge_replication(server, spec.options.max_replication_lag_seconds, problems, "")
    if server.staging_error is not None:
        problems.add(
            "replication_unhealthy",
            f"extended from staging account {server.staging_account_id}, but DRS cannot reach"
            f" its staging source server: {server.staging_error}",
        )
    held = {server.source_server_id} | ({back.source_server_id} if back else set())
    for job in jobs:
        if job.server_ids & held:
            problems.add("busy_in_job", f"in active DRS job {job.job_id} in {job.region}")
    discovered = DiscoveredServer(
        source_server_id=server.source_server_id,
        arn=server.arn,
        account_id=server.account_id,
        region=server.region,
        hostname=server.hostname,
        name=name_tag(tags),
        tags=tags,
        wave=wave,
        architecture=server.architecture,
        replication_direction=server.direction,
        replication_state=server.replication_state,
        lag_seconds=server.lag_seconds,
        origin_instance_id=server.origin_instance_id,
        origin_account_id=server.origin_account_id,
        origin_region=server.origin_region,
        reversed_direction_server_arn=server.reversed_arn,
        recovery_instance=_instance_info(instance),
        failback_server=_failback_info(back),
        staging_account_id=server.staging_account_id,
        staging_source_server_arn=server.staging_source_server_arn,
    )
    return discovered, problems.found


class Issues:
    """Problems of one server, collected as the rules find them."""

    def __init__(self, account_id: str, region: str, server_id: str) -> None:
        self.account_id, self.region, self.server_id = account_id, region, server_id
        self.found: list[Problem] = []

    def add(self, kind: ProblemKind, reason: str, *, blocking: bool = True) -> None:
        self.found.append(
            Problem(
                kind=kind,
                account_id=self.account_id,
                region=self.region,
                source_server_id=self.server_id,
                reason=reason[:1024],
                blocking=blocking,
            )
        )


def _judge_replication(
    server: SourceServerRecord, max_lag: int, problems: Issues, what: str
) -> None:
    """Replication health of the server that launches; `what` names it in reasons."""
    state, lag = server.replication_state, server.lag_seconds
    subject = f"{what}replication" if what else "replication"
    if state != "CONTINUOUS":
        # Failover: no point in time to launch from. Failback: the configurator restarts it.
        blocking = state in NO_POINT_IN_TIME and server.direction != FAILBACK
        problems.add(
            "replication_unhealthy",
            f"{subject} is {state or 'unknown'}, not CONTINUOUS",
            blocking=blocking,
        )
    if lag is not None and lag > max_lag:
        problems.add(
            "lag_too_high",
            f"{subject} lag is {lag} s, above the {max_lag} s allowed",
            blocking=False,
        )


def _judge_failback(
    spec: RequestSpec,
    instance: RecoveryInstanceRecord | None,
    back: SourceServerRecord | None,
    problems: Issues,
) -> None:
    region = spec.recovery_region
    if instance is None:
        problems.add(
            "recovery_instance_missing", f"no recovery instance in {region}: not failed over"
        )
    elif instance.is_drill:
        problems.add(
            "recovery_instance_missing",
            f"recovery instance {instance.recovery_instance_id} is a drill;"
            " a failback reverses a recovery launch",
        )
    elif instance.ec2_state != "RUNNING":
        problems.add(
            "recovery_instance_missing",
            f"recovery instance {instance.recovery_instance_id} (EC2 {instance.ec2_instance_id}) "
            f"is {instance.ec2_state or 'unknown'}, not RUNNING",
        )
    elif back is not None:
        what = f"reverse replication ({back.source_server_id} in {back.region}) "
        _judge_replication(back, spec.options.max_replication_lag_seconds, problems, what)


def _recovery_by_server(
    instances: Iterable[RecoveryInstanceRecord],
) -> dict[str, RecoveryInstanceRecord]:
    """Each server's recovery instance: a running recovery launch before a drill or a stop."""
    best: dict[str, RecoveryInstanceRecord] = {}
    for instance in instances:
        current = best.get(instance.source_server_id)
        if current is None or _rank(instance) < _rank(current):
            best[instance.source_server_id] = instance
    return best


def _rank(instance: RecoveryInstanceRecord) -> tuple[bool, bool]:
    return (instance.is_drill, instance.ec2_state != "RUNNING")


def _failback_by_origin(servers: Iterable[SourceServerRecord]) -> dict[str, SourceServerRecord]:
    """FAILBACK servers by the EC2 instance they replicate; a replicating one wins a tie."""
    found: dict[str, SourceServerRecord] = {}
    for server in sorted(
        servers, key=lambda s: (s.replication_state in NO_POINT_IN_TIME, s.source_server_id)
    ):
        if server.direction == FAILBACK and server.origin_instance_id:
            found.setdefault(server.origin_instance_id, server)
    return found


def _recovery_ec2_ids(reading: AccountReading) -> set[str]:
    """EC2 instances DRS launched: recovery instances are not pre-provisioned targets."""
    return {ri.ec2_instance_id for ri in reading.recovery_instances if ri.ec2_instance_id}


def _instance_info(instance: RecoveryInstanceRecord | None) -> RecoveryInstanceInfo | None:
    if instance is None:
        return None
    return RecoveryInstanceInfo(
        recovery_instance_id=instance.recovery_instance_id,
        ec2_instance_id=instance.ec2_instance_id,
        ec2_state=instance.ec2_state,
        is_drill=instance.is_drill,
        failback_state=instance.failback_state,
    )


def _failback_info(server: SourceServerRecord | None) -> FailbackServerInfo | None:
    if server is None:
        return None
    return FailbackServerInfo(
        source_server_id=server.source_server_id,
        account_id=server.account_id,
        region=server.region,
        replication_state=server.replication_state,
        lag_seconds=server.lag_seconds,
    )
