"""Pure decisions of the configurator: launch mode, target validation, desired settings, diff.

Nothing here talks to AWS. The workflow gathers facts (the target instance as EC2
sees it, the source server as DRS sees it, the current launch configuration) and
asks these functions what to do with them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from drsorch.configurator.errors import Refused
from drsorch.contracts import LaunchConfiguration, LaunchSettings, Pair, RequestSpec
from drsorch.contracts.types import LAUNCH_INTO_TAG_KEY, LAUNCH_INTO_TAG_VALUE, Place

LaunchKind = Literal["launch_into", "standard"]


@dataclass(frozen=True)
class TargetInstance:
    """An EC2 instance a server may be launched into, as EC2 reports it now."""

    instance_id: str
    place: Place
    state: str
    """EC2 state name: pending, running, stopping, stopped, shutting-down, terminated."""
    architecture: str | None
    platform: str
    """`windows` or `linux` (EC2 reports a platform only for Windows)."""
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def allows_launch_into(self) -> bool:
        return self.tags.get(LAUNCH_INTO_TAG_KEY) == LAUNCH_INTO_TAG_VALUE


@dataclass(frozen=True)
class SourceServer:
    """A DRS source server, as DescribeSourceServers reports it now."""

    source_server_id: str
    place: Place
    architecture: str | None = None
    platform: str | None = None
    """`windows` or `linux`, read from `sourceProperties.os.fullString`."""
    tags: Mapping[str, str] = field(default_factory=dict)
    direction: str | None = None
    aws_instance_id: str | None = None
    """`identificationHints.awsInstanceID`: for a FAILBACK server, the recovery EC2 instance."""
    origin_account_id: str | None = None
    """`sourceCloudProperties.originAccountID`: the account its origin instance is in."""
    origin_region: str | None = None
    """`sourceCloudProperties.originRegion`."""


def launch_kind(spec: RequestSpec, pair: Pair) -> LaunchKind | str:
    """How this pair's server launches, or why it is not launched at all (a reason).

    `never` (and every drill: a drill never touches a production instance) gives
    standard launches whatever the matcher paired; `preferred` launches into the
    target when there is one; `required` refuses a server without one.
    """
    mode = "never" if spec.drill else spec.effective_launch_into()
    if mode == "never":
        return "standard"
    if pair.target is not None:
        return "launch_into"
    if mode == "required":
        return (
            f"launch-into is required and server {pair.server.source_server_id} "
            "has no target instance: it is not launched"
        )
    return "standard"


def may_tag(spec: RequestSpec, pair: Pair) -> bool:
    """Whether drsorch may add the AWSDRS tag: lineage pairs only, and only when allowed."""
    return pair.method == "lineage" and spec.options.tag_lineage_targets


def target_place_problem(spec: RequestSpec, pair: Pair) -> str | None:
    """Why the pair's target is in the wrong account or region (None when it is not)."""
    target = pair.target
    if target is None:
        return None
    if target.account_id != pair.server.account_id:
        return (
            f"target {target.instance_id} is in account {target.account_id}, not the "
            f"operation's account {pair.server.account_id}"
        )
    if target.region != spec.launch_region:
        return (
            f"target {target.instance_id} is in {target.region}, not the launch region "
            f"{spec.launch_region}"
        )
    return None


def target_problem(
    spec: RequestSpec,
    pair: Pair,
    target: TargetInstance | None,
    server: SourceServer,
) -> str | None:
    """Why the server must not be launched into this target (None when it may).

    The target must exist where the launch happens, be stopped, carry the AWSDRS tag
    (or be a lineage target drsorch is allowed to tag), and fit the server's
    architecture and platform.
    """
    assert pair.target is not None
    wanted = Place(pair.server.account_id, spec.launch_region)
    target_id = pair.target.instance_id
    if target is None or target.state == "terminated":
        return f"target {target_id} was not found in account {wanted.account_id}, {wanted.region}"
    if target.place != wanted:
        return f"target {target_id} is in {target.place}, not {wanted}"
    if target.state != "stopped":
        return f"target {target_id} is {target.state}: launch-into needs a stopped instance"
    if not target.allows_launch_into and not may_tag(spec, pair):
        how = "matched by name" if pair.method == "name" else "tagging lineage targets is off"
        value = target.tags.get(LAUNCH_INTO_TAG_KEY)
        if value is not None:
            return (
                f"target {target_id} is tagged {LAUNCH_INTO_TAG_KEY}={value!r}, not "
                f"{LAUNCH_INTO_TAG_VALUE} ({how}: drsorch does not change it)"
            )
        return (
            f"target {target_id} lacks the tag {LAUNCH_INTO_TAG_KEY}={LAUNCH_INTO_TAG_VALUE} "
            f"({how}: drsorch does not add it)"
        )
    return _fit_problem(pair, target, server)


def lineage_problem(
    spec: RequestSpec, pair: Pair, server: SourceServer, *, launch_into: bool
) -> str | None:
    """Why DRS's own record of the server's origin forbids this pair (None when it does not).

    Read from DRS before anything is created: a failback's origin must be in the
    server's account and the primary region, and a launch into an instance must go
    into the very instance DRS records, unless the operator overrode it.
    """
    if spec.operation != "failback":
        return None
    origin = server.aws_instance_id or "the origin"
    recorded = f"origin {origin} recorded by DRS for {server.source_server_id}"
    if server.origin_account_id not in (None, pair.server.account_id):
        return f"{recorded} is in account {server.origin_account_id}: nothing was started"
    if server.origin_region not in (None, spec.primary_region):
        return (
            f"{recorded} is in {server.origin_region}, not the primary region "
            f"{spec.primary_region}: nothing was started"
        )
    target = pair.target
    if launch_into and target is not None and pair.method != "override":
        # The pair rests on the awsInstanceID discovery read: the target itself, or the
        # first step of a lineage chain (a recovery instance whose origin is the target).
        paired_on = pair.origin_instance_id or target.instance_id
        if server.aws_instance_id is not None and server.aws_instance_id != paired_on:
            return (
                f"{recorded}, not {paired_on}, on which the pair to {target.instance_id} rests:"
                " lineage outranks names, and only an operator's override may choose"
                " another instance"
            )
    return None


def _fit_problem(pair: Pair, target: TargetInstance, server: SourceServer) -> str | None:
    """Why the target's architecture or platform does not fit the server."""
    target_id = target.instance_id
    architecture = pair.architecture or server.architecture
    if architecture is None or target.architecture != architecture:
        return (
            f"target {target_id} is {target.architecture or 'of unknown architecture'}, "
            f"server {server.source_server_id} is {architecture or 'of unknown architecture'}"
        )
    if server.platform is not None and server.platform != target.platform:
        return (
            f"target {target_id} runs {target.platform}, "
            f"server {server.source_server_id} runs {server.platform}"
        )
    return None


def launch_into_configuration(
    current: LaunchConfiguration, spec: RequestSpec, target_id: str
) -> LaunchConfiguration:
    """Settings for a launch into `target_id`.

    The instance keeps its own IP and tags, DRS refuses launch-into with copyPrivateIp
    or copyTags on, and the instance's type is kept (no right-sizing).
    """
    settings = LaunchSettings(
        copy_private_ip=False,
        copy_tags=False,
        right_sizing="NONE",
        launch_disposition=spec.launch_settings.launch_disposition,
    )
    return current.with_settings(settings, launch_into_instance_id=target_id)


def standard_configuration(
    current: LaunchConfiguration, settings: LaunchSettings
) -> LaunchConfiguration:
    """Settings for a launch into a new instance: any launch-into ID left from before is cleared."""
    return current.with_settings(settings, launch_into_instance_id=None)


def changed_fields(current: LaunchConfiguration, desired: LaunchConfiguration) -> tuple[str, ...]:
    """The fields `desired` changes, in declaration order; empty when nothing would change."""
    return tuple(
        name
        for name in LaunchConfiguration.model_fields
        if getattr(current, name) != getattr(desired, name)
    )


def unmet_fields(wanted: LaunchConfiguration, seen: LaunchConfiguration) -> tuple[str, ...]:
    """The fields an update with `wanted` sets that `seen` has otherwise: every field
    `wanted` names, and the launch-into target always (an update without one clears it)."""
    return tuple(
        name
        for name in LaunchConfiguration.model_fields
        if (getattr(wanted, name) is not None or name == "launch_into_instance_id")
        and getattr(seen, name) != getattr(wanted, name)
    )


def describe_changes(fields: Iterable[str]) -> str:
    names = list(fields)
    return "changes " + ", ".join(names) if names else "no change"


def server_place_problem(spec: RequestSpec, pair: Pair) -> str | None:
    """Why the paired server is not where this operation expects it (None when it is).

    A failover launches the FAILOVER server held in the recovery region; a failback
    reverses that same server's recovery instance. Either way the paired server sits
    in the recovery region, in one of the request's accounts.
    """
    server = pair.server
    accounts = {spec.accounts.hub, *(spoke.account_id for spoke in spec.accounts.spokes)}
    if server.account_id not in accounts:
        return f"server {server.source_server_id} is in account {server.account_id}, not in scope"
    if server.region != spec.recovery_region:
        return (
            f"server {server.source_server_id} is in {server.region}, not the recovery "
            f"region {spec.recovery_region}"
        )
    return None


def failback_server_of(
    candidates: Iterable[SourceServer], ec2_instance_id: str
) -> SourceServer | None:
    """The one FAILBACK-direction server replicating `ec2_instance_id` among live servers.

    Matched on identificationHints.awsInstanceID, not on reversedDirectionSourceServerArn
    (which can go stale across failover/failback cycles). Two such servers are refused,
    never guessed between: launching the wrong one would overwrite the original instance
    from the wrong recovery point.
    """
    found = [
        server
        for server in candidates
        if server.direction == "FAILBACK" and server.aws_instance_id == ec2_instance_id
    ]
    if len(found) > 1:
        ids = ", ".join(sorted(server.source_server_id for server in found))
        raise Refused(f"more than one FAILBACK server replicates {ec2_instance_id}: {ids}")
    return found[0] if found else None
