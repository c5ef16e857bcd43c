"""Put back the launch configurations a request changed, from the previous settings kept.

Each launching server gets back the configuration it had before drsorch first
changed it for that request (launch-into target included: cleared when there was
none). A server whose configuration already matches is left alone; one DRS refuses
(in an active job, deleted) is reported failed and the others go on. Throttling that
outlasts the client's retries fails the message, which returns: restoring again is
harmless, as servers already restored read `unchanged`.
"""

from __future__ import annotations

from collections.abc import Sequence

from drsorch.configurator.domain import unmet_fields
from drsorch.configurator.errors import RecoveryInstanceBusy, Refused
from drsorch.configurator.ports import Cloud, CloudFactory, Store
from drsorch.configurator.records import PreviousSettings
from drsorch.contracts import Chunk, LaunchSettingsRestored, RestoreRequested, RestoreResult
from drsorch.runtime.accounts import AccountUnreachable
from drsorch.runtime.chunks import split


async def restore(
    request: RestoreRequested, store: Store, cloud_factory: CloudFactory
) -> list[LaunchSettingsRestored]:
    """Restore every kept configuration of the request (or of the servers named)."""
    target = request.restore_request_id
    every = await store.previous(target)
    kept = _selected(every, request.source_server_ids)
    stored = await store.request(target)
    if not kept or stored is None:
        reason = f"no launch settings were kept for request {target}"
        if every and stored is not None:
            # Settings were kept, only not for the servers asked for: say so, not "none".
            asked = ", ".join(request.source_server_ids or ())
            reason = (
                f"request {target} kept no launch settings for {asked}; it kept them for"
                f" {len(every)} other server{'s' if len(every) != 1 else ''}"
            )[:1024]
        return [LaunchSettingsRestored(restore_request_id=target, reason=reason)]
    cloud = cloud_factory(stored.spec.accounts)
    results = [await restore_one(cloud, previous) for previous in kept]
    return _events(target, results, dict(cloud.calls))


def _selected(
    kept: Sequence[PreviousSettings], only: Sequence[str] | None
) -> list[PreviousSettings]:
    ordered = sorted(kept, key=lambda item: item.launching_server_id)
    if only is None:
        return ordered
    wanted = set(only)
    return [
        item
        for item in ordered
        if item.source_server_id in wanted or item.launching_server_id in wanted
    ]


async def restore_one(cloud: Cloud, previous: PreviousSettings) -> RestoreResult:
    """Put back one kept configuration unless it is already in place; the result."""
    place, server_id = previous.place, previous.launching_server_id
    try:
        current = await cloud.drs.launch_configuration(place, server_id)
        # Only what the update would set counts: a field kept empty is left as it is.
        if not unmet_fields(previous.configuration, current):
            return _result(previous, "unchanged")
        await cloud.drs.update_launch_configuration(place, server_id, previous.configuration)
    except (Refused, RecoveryInstanceBusy, AccountUnreachable) as exc:
        return _result(previous, "failed", reason=str(exc)[:1024])
    return _result(previous, "restored")


def _result(previous: PreviousSettings, outcome: str, reason: str | None = None) -> RestoreResult:
    return RestoreResult.model_validate(
        {
            "source_server_id": previous.source_server_id,
            "launching_server_id": previous.launching_server_id,
            "account_id": previous.account_id,
            "region": previous.region,
            "outcome": outcome,
            "reason": reason,
            "restored": previous.configuration if outcome != "failed" else None,
        }
    )


def _events(
    target: str, results: Sequence[RestoreResult], calls: dict[str, int]
) -> list[LaunchSettingsRestored]:
    def build(items: Sequence[RestoreResult], chunk: Chunk) -> LaunchSettingsRestored:
        return LaunchSettingsRestored(
            restore_request_id=target,
            results=tuple(items),
            api_calls=calls if chunk.index == 0 else {},
            chunk=chunk,
        )

    return split(build, results)
