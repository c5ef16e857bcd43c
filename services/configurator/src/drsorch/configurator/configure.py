"""Configure one pair: validate, prepare (failback), then set the launch configuration.

Every step that would change something first checks what it acts on; a pair that
fails a check is rejected and nothing is changed for it. A pair that cannot go on
yet (a recovery instance still initializing, DRS throttling) comes back `Waiting`
and is tried again later through a delayed self-message.
"""

from __future__ import annotations

from collections.abc import Mapping

from drsorch.configurator import domain
from drsorch.configurator.desired import desired_configuration
from drsorch.configurator.domain import SourceServer, TargetInstance
from drsorch.configurator.errors import Refused, Transient
from drsorch.configurator.prepare import launching_server
from drsorch.configurator.progress import (
    Progress,
    RequestContext,
    Trail,
    Waiting,
    result,
)
from drsorch.configurator.records import PairRecord, PreviousSettings
from drsorch.contracts import ConfigurationResult, LaunchConfiguration, Pair
from drsorch.contracts.types import LAUNCH_INTO_TAG_KEY, LAUNCH_INTO_TAG_VALUE, Place
from drsorch.runtime.accounts import AccountUnreachable

__all__ = ["Progress", "RequestContext", "Waiting", "configure_pair"]

UNREAD = LaunchConfiguration()
"""Kept as the previous settings of a FAILBACK server this request's reverse replication
made: none were read; restoring it clears the launch-into target drsorch set."""


async def configure_pair(ctx: RequestContext, record: PairRecord) -> Progress:
    """Settle one pair, or say why it has to wait; AWS refusals reject the pair."""
    trail = Trail(record)
    try:
        return await _configure(ctx, trail)
    except Transient as exc:
        return Waiting(str(exc), exc.retry_after, trail.reverse_started)
    except (Refused, AccountUnreachable) as exc:
        if "ServiceQuotaExceeded" in str(exc):
            # The replicating-servers quota, filled by others since the pipeline gave the
            # slot: wait for room, as for any not-yet.
            return Waiting(f"no replication slot after all: {exc}", None, trail.reverse_started)
        return result(ctx, record.pair, "rejected", reason=str(exc), trail=trail)


async def _configure(ctx: RequestContext, trail: Trail) -> Progress:
    pair = trail.record.pair
    server_id = pair.server.source_server_id
    kind = domain.launch_kind(ctx.spec, pair)
    problem = (
        ctx.contested.get(server_id)
        or domain.server_place_problem(ctx.spec, pair)
        or (kind if kind not in ("launch_into", "standard") else None)
        or (domain.target_place_problem(ctx.spec, pair) if kind == "launch_into" else None)
    )
    if problem is not None:
        return result(ctx, pair, "rejected", reason=problem, trail=trail)
    server = ctx.servers.get(server_id)
    if server is None:
        place = Place(pair.server.account_id, pair.server.region)
        reason = f"source server {server_id} was not found in {place}"
        return result(ctx, pair, "rejected", reason=reason, trail=trail)
    # DRS's own record of the server's origin, read now, before anything is created.
    problem = domain.lineage_problem(ctx.spec, pair, server, launch_into=kind == "launch_into")
    if problem is not None:
        return result(ctx, pair, "rejected", reason=problem, trail=trail)
    target: TargetInstance | None = None
    if kind == "launch_into":
        checked = await _checked_target(ctx, pair, server)
        if isinstance(checked, str):
            return result(ctx, pair, "rejected", reason=checked, trail=trail)
        target = checked
    launching = await launching_server(ctx, trail, server)
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
    # Read this step, before anything is written, for every target of the place at once.
    seen = ctx.targets.get(place)
    if seen is None:
        seen = await ctx.cloud.ec2.instances(place, [target_id])
    target = seen.get(target_id)
    problem = domain.target_problem(ctx.spec, pair, target, server)
    if problem is not None or target is None:
        return problem or f"target {target_id} was not found"
    return target


async def _set_launch_configuration(
    ctx: RequestContext,
    trail: Trail,
    server: SourceServer,
    launching: SourceServer,
    target: TargetInstance | None,
) -> Progress:
    """Read, keep the previous, tag a lineage target if allowed, update only on a difference
    (a FAILBACK server this request reversed is written unread: `_set_reversed`)."""
    pair = trail.record.pair
    if not ctx.dry and launching is not server and trail.reverse_started:
        return await _set_reversed(ctx, trail, server, launching, target)
    place = launching.place
    # The plan read this server's configuration a moment ago: the apply starts from it
    # rather than read it again (one DRS call per server saved).
    current = ctx.read.get(launching.source_server_id) or await ctx.cloud.drs.launch_configuration(
        place, launching.source_server_id
    )
    desired = desired_configuration(
        ctx, pair, current, launch_into=target is not None, tags=_tags(server, launching)
    )
    if isinstance(desired, str):
        return result(ctx, pair, "rejected", reason=desired, trail=trail, launching=launching)
    changes = domain.changed_fields(current, desired)
    will_tag = target is not None and not target.allows_launch_into
    if ctx.dry:
        reason = domain.describe_changes(changes) + (
            f"; would tag {target.instance_id} {LAUNCH_INTO_TAG_KEY}={LAUNCH_INTO_TAG_VALUE}"
            if will_tag and target is not None
            else ""
        )
        return result(
            ctx,
            pair,
            "planned",
            reason=reason,
            trail=trail,
            launching=launching,
            previous=current,
            desired=desired,
        )
    kept = await ctx.store.keep_previous(ctx.request_id, _previous(pair, launching, current))
    # Kept across requests: the round trip's retire restores what the first change found.
    await ctx.store.keep_baseline(kept)
    await _tag(ctx, target)
    if not changes:
        return result(
            ctx,
            pair,
            "unchanged",
            trail=trail,
            launching=launching,
            previous=kept.configuration,
            desired=desired,
        )
    reported = await ctx.cloud.drs.update_launch_configuration(
        place, launching.source_server_id, desired
    )
    return _written(ctx, trail, launching, desired, reported, previous=kept.configuration)


async def _set_reversed(
    ctx: RequestContext,
    trail: Trail,
    server: SourceServer,
    launching: SourceServer,
    target: TargetInstance | None,
) -> Progress:
    """The FAILBACK server this request's reverse replication made: written unread.

    Its settings before drsorch are DRS's creation defaults, worth no read (the round
    trip's retire deletes the server). What is kept for a restore is the empty
    configuration: a restore clears the launch-into target and leaves the rest. What
    DRS reports after the update, the whole configuration, is checked against what
    was set.
    """
    pair = trail.record.pair
    desired = desired_configuration(
        ctx,
        pair,
        LaunchConfiguration(),
        launch_into=target is not None,
        tags=_tags(server, launching),
    )
    if isinstance(desired, str):
        return result(ctx, pair, "rejected", reason=desired, trail=trail, launching=launching)
    kept = await ctx.store.keep_previous(ctx.request_id, _previous(pair, launching, UNREAD))
    await _tag(ctx, target)
    reported = await ctx.cloud.drs.update_launch_configuration(
        launching.place, launching.source_server_id, desired
    )
    sent = domain.changed_fields(UNREAD, desired)
    return _written(ctx, trail, launching, desired, reported, kept.configuration, sent)


def _previous(
    pair: Pair, launching: SourceServer, configuration: LaunchConfiguration
) -> PreviousSettings:
    return PreviousSettings(
        source_server_id=pair.server.source_server_id,
        launching_server_id=launching.source_server_id,
        account_id=launching.place.account_id,
        region=launching.place.region,
        configuration=configuration,
    )


def _tags(server: SourceServer, launching: SourceServer) -> tuple[Mapping[str, str], ...]:
    # The FAILBACK server's own drsorch:* tags, if an operator set any, win.
    return (server.tags, launching.tags) if launching is not server else (server.tags,)


async def _tag(ctx: RequestContext, target: TargetInstance | None) -> None:
    """Tag a lineage target AWSDRS=AllowLaunchingIntoThisInstance where the check allowed it."""
    if target is not None and not target.allows_launch_into:
        # The intent first: a retire removes only the tags drsorch may have added.
        await ctx.store.keep_tagged(ctx.request_id, target.place, target.instance_id)
        await ctx.cloud.ec2.tag_launch_into(target.place, target.instance_id)


def _written(  # noqa: PLR0917 - the pieces of one result
    ctx: RequestContext,
    trail: Trail,
    launching: SourceServer,
    desired: LaunchConfiguration,
    reported: LaunchConfiguration,
    previous: LaunchConfiguration | None = None,
    changes: tuple[str, ...] | None = None,
) -> ConfigurationResult:
    """The result of an update, from what DRS reports after it: a field it reports
    otherwise than set rejects the pair (it would not launch as planned)."""
    pair = trail.record.pair
    differ = domain.unmet_fields(desired, reported)
    if differ:
        shown = ", ".join(
            f"{name} {getattr(reported, name)!r} (set {getattr(desired, name)!r})"
            for name in differ
        )
        reason = (
            f"DRS reports {shown} for {launching.source_server_id} after the update: not launched"
        )
        return result(
            ctx,
            pair,
            "rejected",
            reason=reason,
            trail=trail,
            launching=launching,
            previous=previous,
            desired=reported,
            changes=changes,
        )
    return result(
        ctx,
        pair,
        "configured",
        trail=trail,
        launching=launching,
        previous=previous,
        desired=reported,
        changes=changes,
    )
