"""The launch configuration a pair should have."""

from __future__ import annotations

from collections.abc import Mapping

from drsorch.configurator import domain
from drsorch.configurator.launch_tags import BadLaunchTag, settings_for
from drsorch.configurator.progress import RequestContext
from drsorch.contracts import LaunchConfiguration, Pair


def desired_configuration(
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
