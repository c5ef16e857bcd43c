"""Configure one pair: validate, prepare (failback), then set the launch configuration.

Every step that would change something first checks what it acts on; a pair that
fails a check is rejected and nothing is changed for it. A pair that cannot go on
yet (a recovery instance still initializing, DRS throttling) comes back `Waiting`
and is tried again later through a delayed self-message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from drsorch.configurator import domain
from drsorch.configurator.domain import Place, SourceServer, TargetInstance
from drsorch.configurator.errors import RecoveryInstanceBusy, Refused, Transient
from drsorch.configurator.launch_tags import BadLaunchTag, settings_for
from drsorch.configurator.ports import Cloud, Store
from drsorch.configurator.records import PairRecord, PreviousSettings
from drsorch.contracts import (
    ConfigurationResult,
    LaunchConfiguration,
    Pair,
    RequestSpec,
)
from drsorch.contracts.events import ConfigurationOutcome
from drsorch.runtime.accounts import AccountUnreachable


@dataclass(frozen=True)
class Waiting:
    """A pair that is not settled yet, and why."""

    reason: str
    retry_after: float | None = None
    reverse_replication_started: bool = False


Progress = ConfigurationResult | Waiting


@dataclass(frozen=True)
class RequestContext:
    """What every pair of one request shares while it is configured."""

    request_id: str
    spec: RequestSpec
    cloud: Cloud
    store: Store
    servers: dict[str, SourceServer]
    """The paired servers as DRS reports them now, by ID."""
    contested: dict[str, str]


@dataclass
class _Trail:
    """What this attempt has done so far for one pair."""

    record: PairRecord
    reversed: bool = False

    @property
    def reverse_started(self) -> bool:
        return self.reversed or self.record.reverse_replication_started


async def configure_pair(ctx: RequestContext, record: PairRecord) -> Progress:
    """Settle one pair, or say why it has to wait; AWS refusals reject the pair."""
    trail = _Trail(record)
    try:
        return await _configure(ctx, trail)
    except Transient as exc:
        return Waiting(str(exc), exc.retry_after, trail.reverse_started)
    except (Refused, AccountUnreachable) as exc:
        return _result(ctx, record.pair, "rejected", reason=str(exc), trail=trail)


async def _configure(ctx: RequestContext, trail: _Trail) -> Progress:
    pair = trail.record.pair
    server_id = pair.server.source_server_id
    kind = domain.launch_kind(ctx.spec, pair)
    problem = (
        ctx.contested.get(server_id)
        or domain.server_place_problem(ctx.spec, pair)
        or (kind if kind not in ("launch_into", "standard") else None)
    )
    if problem is not None:
        return _result(ctx, pair, "rejected", reason=problem, trail=trail)
    server = ctx.servers.get(server_id)
    if server is None:
        place = Place(pair.server.account_id, pair.server.region)
        reason = f"source server {server_id} was not found in {place}"
        return _result(ctx, pair, "rejected", reason=reason, trail=trail)
    target: TargetInstance | None = None
    if kind == "launch_into":
        checked = await _checked_target(ctx, pair, server)
        if isinstance(checked, str):
            return _result(ctx, pair, "rejected", reason=checked, trail=trail)
        target = checked
    launching = await _launching_server(ctx, trail, server)
    if not isinstance(launching, SourceServer):
        return launching
    return await _set_launch_configuration(ctx, trail, server, launching, target)


async def _checked_target(
    ctx: RequestContext, pair: Pair, server: SourceServer
) -> TargetInstance | str:
    """The pair's target as EC2 sees it now, or why the server must not launch into it."""
    assert pair.target is not None
    problem = domain.target_place_problem(ctx.spec, pair)
    if problem is not None:
        return problem
    place = Place(pair.server.account_id, ctx.spec.launch_region)
    target_id = pair.target.instance_id
    target = (await ctx.cloud.ec2.instances(place, [target_id])).get(target_id)
    problem = domain.target_problem(ctx.spec, pair, target, server)
    if problem is not None or target is None:
        return problem or f"target {target_id} was not found"
    return target


async def _launching_server(
    ctx: RequestContext, trail: _Trail, server: SourceServer
) -> SourceServer | Progress:
    """The server StartRecovery will be called on: for a failback, the FAILBACK server."""
    if ctx.spec.operation == "failover":
        return server
    pair = trail.record.pair
    account = pair.server.account_id
    recovery = Place(account, ctx.spec.recovery_region)
    primary = Place(account, ctx.spec.primary_region)
    ec2_id = pair.recovery_ec2_instance_id
    if ec2_id is None and pair.recovery_instance_id is not None:
        ec2_id = await ctx.cloud.drs.recovery_ec2_instance(recovery, pair.recovery_instance_id)
    if ec2_id is None:
        reason = f"server {pair.server.source_server_id} has no recovery instance to fail back"
        return _result(ctx, pair, "rejected", reason=reason, trail=trail)
    found = await ctx.cloud.drs.failback_server(primary, ec2_id)
    if found is not None:
        return found
    return await _reverse(ctx, trail, recovery, primary, ec2_id)


async def _reverse(
    ctx: RequestContext, trail: _Trail, recovery: Place, primary: Place, ec2_id: str
) -> SourceServer | Progress:
    """Start reverse replication and find the FAILBACK server it creates in the primary region."""
    pair = trail.record.pair
    instance_id = pair.recovery_instance_id
    if instance_id is None:
        reason = f"no FAILBACK server replicates {ec2_id} and no recovery instance is known"
        return _result(ctx, pair, "rejected", reason=reason, trail=trail)
    if ctx.spec.plan_only:
        return _planned_reverse(ctx, trail, instance_id)
    if not trail.reverse_started:
        try:
            await ctx.cloud.drs.reverse_replication(recovery, instance_id)
            trail.reversed = True
        except RecoveryInstanceBusy as exc:
            # Busy also when reverse replication already started; then its server is there.
            found = await ctx.cloud.drs.failback_server(primary, ec2_id)
            if found is not None:
                return found
            return Waiting(f"recovery instance {instance_id} is not ready yet: {exc}")
    found = await ctx.cloud.drs.failback_server(primary, ec2_id)
    if found is None:
        return Waiting(
            f"reverse replication of {instance_id} started; no FAILBACK server for {ec2_id} "
            f"has appeared in {primary} yet",
            reverse_replication_started=True,
        )
    return found


def _planned_reverse(ctx: RequestContext, trail: _Trail, instance_id: str) -> Progress:
    """A plan-only failback whose FAILBACK server does not exist yet: say what would happen."""
    pair = trail.record.pair
    reason = (
        f"would start reverse replication on recovery instance {instance_id}, then "
        "configure the FAILBACK server it creates"
    )
    launch_into = domain.launch_kind(ctx.spec, pair) == "launch_into"
    server = ctx.servers.get(pair.server.source_server_id)
    tags = (server.tags,) if server is not None else ()
    desired = _desired(ctx, pair, LaunchConfiguration(), launch_into=launch_into, tags=tags)
    if isinstance(desired, str):
        return _result(ctx, pair, "rejected", reason=desired, trail=trail)
    return _result(ctx, pair, "planned", reason=reason, trail=trail, desired=desired)


def _desired(
    ctx: RequestContext,
    pair: Pair,
    current: LaunchConfiguration,
    *,
    launch_into: bool,
    tags: tuple[Mapping[str, str], ...],
) -> LaunchConfiguration | str:
    """The launch configuration this pair should have, or why its tags make that unclear."""
    if launch_into and pair.target is not None:
        return domain.launch_into_configuration(current, ctx.spec, pair.target.instance_id)
    try:
        settings = settings_for(ctx.spec.launch_settings, *tags)
    except BadLaunchTag as exc:
        return f"server {pair.server.source_server_id}: {exc}"
    return domain.standard_configuration(current, settings)


async def _set_launch_configuration(
    ctx: RequestContext,
    trail: _Trail,
    server: SourceServer,
    launching: SourceServer,
    target: TargetInstance | None,
) -> Progress:
    """Read, keep the previous, tag a lineage target if allowed, update only on a difference."""
    pair = trail.record.pair
    place = launching.place
    current = await ctx.cloud.drs.launch_configuration(place, launching.source_server_id)
    # The FAILBACK server's own drsorch:* tags, if an operator set any, win.
    tags = (server.tags, launching.tags) if launching is not server else (server.tags,)
    desired = _desired(ctx, pair, current, launch_into=target is not None, tags=tags)
    if isinstance(desired, str):
        return _result(ctx, pair, "rejected", reason=desired, trail=trail, launching=launching)
    changes = domain.changed_fields(current, desired)
    will_tag = target is not None and not target.allows_launch_into
    if ctx.spec.plan_only:
        reason = domain.describe_changes(changes) + (
            f"; would tag {target.instance_id} {domain.LAUNCH_INTO_TAG_KEY}="
            f"{domain.LAUNCH_INTO_TAG_VALUE}"
            if will_tag and target is not None
            else ""
        )
        return _result(
            ctx,
            pair,
            "planned",
            reason=reason,
            trail=trail,
            launching=launching,
            previous=current,
            desired=desired,
        )
    kept = await ctx.store.keep_previous(
        ctx.request_id,
        PreviousSettings(
            source_server_id=pair.server.source_server_id,
            launching_server_id=launching.source_server_id,
            account_id=place.account_id,
            region=place.region,
            configuration=current,
        ),
    )
    if will_tag and target is not None:
        await ctx.cloud.ec2.tag_launch_into(target.place, target.instance_id)
    if changes:
        await ctx.cloud.drs.update_launch_configuration(place, launching.source_server_id, desired)
    outcome: ConfigurationOutcome = "configured" if changes else "unchanged"
    return _result(
        ctx,
        pair,
        outcome,
        trail=trail,
        launching=launching,
        previous=kept.configuration,
        desired=desired,
    )


def _result(
    ctx: RequestContext,
    pair: Pair,
    outcome: ConfigurationOutcome,
    *,
    trail: _Trail,
    reason: str | None = None,
    launching: SourceServer | None = None,
    previous: LaunchConfiguration | None = None,
    desired: LaunchConfiguration | None = None,
) -> ConfigurationResult:
    launch_into = desired is not None and desired.launch_into_instance_id is not None
    shown = pair.target is not None and (launch_into or outcome == "rejected")
    return ConfigurationResult(
        source_server_id=pair.server.source_server_id,
        launching_server_id=launching.source_server_id if launching else None,
        account_id=pair.server.account_id,
        launch_region=ctx.spec.launch_region,
        target_instance_id=pair.target.instance_id if pair.target and shown else None,
        outcome=outcome,
        reason=reason[:1024] if reason else None,
        reverse_replication_started=trail.reverse_started,
        previous=previous,
        desired=desired,
    )
