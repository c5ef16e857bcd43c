"""Configure one pair: validate, prepare (failback), then set the launch configuration.

Every step that would change something first checks what it acts on; a pair that
fails a check is rejected and nothing is changed for it. A pair that cannot go on
yet (a recovery instance still initializing, DRS throttling) comes back `Waiting`
and is tried again later through a delayed self-message.

A pair ready to have its launch configuration set comes back a `Change`: what to keep
before it (its previous settings, a baseline, the tag it adds). The step keeps those of
all its changes at once (`keep`, a few table writes for a hundred pairs), then `write`s
each.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

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

__all__ = ["Change", "Progress", "RequestContext", "Waiting", "configure_pair", "keep", "write"]

_T = TypeVar("_T")

UNREAD = LaunchConfiguration()
"""Kept as the previous settings of a FAILBACK server this request's reverse replication
made: none were read; restoring it clears the launch-into target drsorch set."""


@dataclass(frozen=True)
class Change:
    """A pair ready to have its launch configuration set, once `keep` has kept what is due."""

    trail: Trail
    launching: SourceServer
    desired: LaunchConfiguration
    changes: tuple[str, ...]
    """The fields `desired` changes (from nothing, for a server written unread)."""
    previous: PreviousSettings
    """Kept before the write, unless settings are kept for the server already."""
    unread: bool
    """The FAILBACK server this request's reverse replication made: written unread, always,
    and no baseline kept (`_set_reversed`)."""
    tag: TargetInstance | None
    """The lineage target to tag AWSDRS=AllowLaunchingIntoThisInstance first, if any."""


async def configure_pair(ctx: RequestContext, record: PairRecord) -> Progress | Change:
    """Settle one pair, say why it has to wait, or say what to write; AWS refusals reject it."""
    trail = Trail(record)
    return await _settled(ctx, trail, _configure(ctx, trail))


async def keep(ctx: RequestContext, changes: Sequence[Change]) -> list[PreviousSettings]:
    """Keep what every change needs kept before it is written, for all of them at once:
    each server's previous settings (the first kept wins: those come back, in order), a
    baseline for the round trip's retire, and the targets about to be tagged."""
    if not changes:
        return []
    kept = await ctx.store.keep_previous(ctx.request_id, [c.previous for c in changes])
    # Kept across requests: the round trip's retire restores what the first change found.
    await ctx.store.keep_baselines([k for c, k in zip(changes, kept, strict=True) if not c.unread])
    # The intent first: a retire removes only the tags drsorch may have added.
    tags = [(c.tag.place, c.tag.instance_id) for c in changes if c.tag is not None]
    await ctx.store.keep_tagged(ctx.request_id, tags)
    return kept


async def write(ctx: RequestContext, change: Change, kept: PreviousSettings) -> Progress:
    """Tag the change's target if due, then set its launch configuration (`keep` first)."""
    return await _settled(ctx, change.trail, _write(ctx, change, kept))


async def _settled(ctx: RequestContext, trail: Trail, work: Awaitable[_T]) -> _T | Progress:
    try:
        return await work
    except Transient as exc:
        return Waiting(str(exc), exc.retry_after, trail.reverse_started)
    except (Refused, AccountUnreachable) as exc:
        if "ServiceQuotaExceeded" in str(exc):
            # The replicating-servers quota, filled by others since the pipeline gave the
            # slot: wait for room, as for any not-yet.
            return Waiting(f"no replication slot after all: {exc}", None, trail.reverse_started)
        return result(ctx, trail.record.pair, "rejected", reason=str(exc), trail=trail)


async def _configure(ctx: RequestContext, trail: Trail) -> Progress | Change:
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
) -> Progress | Change:
    """Read, then the change: keep the previous, tag a lineage target if allowed, update only
    on a difference (a FAILBACK server this request reversed is written unread:
    `_set_reversed`)."""
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
    return Change(
        trail,
        launching,
        desired,
        changes,
        _previous(pair, launching, current),
        unread=False,
        tag=target if will_tag else None,
    )


async def _set_reversed(
    ctx: RequestContext,
    trail: Trail,
    server: SourceServer,
    launching: SourceServer,
    target: TargetInstance | None,
) -> Progress | Change:
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
    return Change(
        trail,
        launching,
        desired,
        domain.changed_fields(UNREAD, desired),
        _previous(pair, launching, UNREAD),
        unread=True,
        tag=target if target is not None and not target.allows_launch_into else None,
    )


async def _write(ctx: RequestContext, change: Change, kept: PreviousSettings) -> Progress:
    """Tag the target where the check allowed it, then update, unless nothing changes."""
    trail, launching, desired = change.trail, change.launching, change.desired
    if change.tag is not None:
        await ctx.cloud.ec2.tag_launch_into(change.tag.place, change.tag.instance_id)
    if not change.unread and not change.changes:
        return result(
            ctx,
            trail.record.pair,
            "unchanged",
            trail=trail,
            launching=launching,
            previous=kept.configuration,
            desired=desired,
        )
    reported = await ctx.cloud.drs.update_launch_configuration(
        launching.place, launching.source_server_id, desired
    )
    # A server written unread reports the fields sent; another, what differs from the kept.
    sent = change.changes if change.unread else None
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
