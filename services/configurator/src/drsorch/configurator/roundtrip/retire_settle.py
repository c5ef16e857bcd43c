"""Retire's last steps: launch settings back as the round trip found them, and the tag.

5. The `AWSDRS=AllowLaunchingIntoThisInstance` tag on each original the failback
   launched into: by default (`as_found`) removed only where that failback request
   tagged it itself (its intent is in the table), so an operator's own tag stays;
   `remove` takes it off every original, `keep` leaves every one.
6. Each paired server's launch configuration, put back to what drsorch kept before it
   first changed it in this round trip (the baseline), through `restore`'s own step;
   the baseline is forgotten once in place, so the next round trip starts afresh.

Both read before they act (the configuration, the instance's tags), so a step repeated
after a crash finds it done and says `already`. They are held, like every other action
of a server, until DRS shows that server re-protected.
"""

from __future__ import annotations

from collections.abc import Sequence

from drsorch.configurator.domain import changed_fields, describe_changes
from drsorch.configurator.errors import ConfiguratorError, RecoveryInstanceBusy, Refused, Transient
from drsorch.configurator.ports import Cloud, Store
from drsorch.configurator.restore import restore_one
from drsorch.configurator.roundtrip.retire_apply import RetireRecord, live
from drsorch.configurator.roundtrip.retire_plan import Lineage
from drsorch.contracts import RequestSpec, RetireAction
from drsorch.contracts.events.roundtrip import LaunchTagChoice, RetireKind, RetireOutcome
from drsorch.contracts.types import LAUNCH_INTO_TAG_KEY, LAUNCH_INTO_TAG_VALUE, Place
from drsorch.runtime.accounts import AccountUnreachable


async def plan(
    spec: RequestSpec,
    items: Sequence[Lineage],
    actions: Sequence[RetireAction],
    *,
    of_request_id: str,
    launch_tag: LaunchTagChoice,
    store: Store,
    cloud: Cloud,
) -> list[RetireAction]:
    """The restore and untag actions, held as the server's other actions are."""
    held = {a.source_server_id: a.held for a in actions if a.kind != "leave"}
    tagged = set(await store.tagged(of_request_id)) if launch_tag == "as_found" else set()
    found: list[RetireAction] = []
    for item in items:
        why_held = held.get(item.source_server_id)
        restore = await _restore_action(spec, item, store, cloud, why_held)
        found.extend([restore] if restore else [])
        if launch_tag != "keep":
            untag = await _untag_action(
                spec, item, tagged=tagged, launch_tag=launch_tag, cloud=cloud, held=why_held
            )
            found.extend([untag] if untag else [])
    return found


def _action(
    item: Lineage, kind: RetireKind, place: Place, resource: str, held: str | None, *evidence: str
) -> RetireAction:
    return RetireAction.model_validate(
        {
            "kind": kind,
            "source_server_id": item.source_server_id,
            "account_id": place.account_id,
            "region": place.region,
            "resource_id": resource,
            "ec2_instance_id": resource if resource.startswith("i-") else None,
            "evidence": tuple(e[:256] for e in evidence),
            "held": held,
        }
    )


async def _restore_action(
    spec: RequestSpec, item: Lineage, store: Store, cloud: Cloud, held: str | None
) -> RetireAction | None:
    place = Place(item.account_id, spec.recovery_region)
    kept = await store.baseline(place, item.source_server_id)
    if kept is None:
        return None
    current = await cloud.drs.launch_configuration(place, item.source_server_id)
    changes = changed_fields(current, kept.configuration)
    if not changes:
        return None
    why = (
        "drsorch kept its launch settings before it first changed them: "
        f"{describe_changes(changes)} back"
    )
    return _action(item, "restore_launch_settings", place, item.source_server_id, held, why)


async def _untag_action(
    spec: RequestSpec,
    item: Lineage,
    *,
    tagged: set[tuple[Place, str]],
    launch_tag: LaunchTagChoice,
    cloud: Cloud,
    held: str | None,
) -> RetireAction | None:
    place = Place(item.account_id, spec.primary_region)
    mine = (place, item.original_id) in tagged
    if launch_tag == "as_found" and not mine:
        return None
    instance = (await cloud.ec2.instances(place, [item.original_id])).get(item.original_id)
    if instance is None or instance.tags.get(LAUNCH_INTO_TAG_KEY) != LAUNCH_INTO_TAG_VALUE:
        return None
    who = "the failback tagged it" if mine else "asked to remove it (--launch-tag remove)"
    why = f"the failback launched {item.failback_server_id} into this original; {who}"
    return _action(item, "remove_launch_tag", place, item.original_id, held, why)


async def apply(record: RetireRecord, store: Store, cloud: Cloud) -> None:
    """Restore the kept settings, then remove the tags; each read first, each once."""
    for index, action in live(record, ("restore_launch_settings",)):
        place = Place(action.account_id, action.region)
        kept = await store.baseline(place, action.resource_id)
        if kept is None:
            record.outcomes[index] = ("already", "restored before: no settings kept any more")
            continue
        result = await restore_one(cloud, kept)
        if result.outcome == "failed":
            record.outcomes[index] = ("failed", result.reason)
            continue
        await store.forget_baseline(place, action.resource_id)
        record.outcomes[index] = ("done" if result.outcome == "restored" else "already", None)
    for index, action in live(record, ("remove_launch_tag",)):
        record.outcomes[index] = await _untag(cloud, action)
    for index, action in enumerate(record.actions):
        # The FAILBACK server is gone: what was kept of it is of no more use.
        if action.kind == "delete_source_server" and record.outcomes.get(index, ("",))[0] in (
            "done",
            "already",
        ):
            await store.forget_baseline(Place(action.account_id, action.region), action.resource_id)


async def _untag(cloud: Cloud, action: RetireAction) -> tuple[RetireOutcome, str | None]:
    place = Place(action.account_id, action.region)
    try:
        found = await cloud.ec2.instances(place, [action.resource_id])
        instance = found.get(action.resource_id)
        if instance is None or instance.tags.get(LAUNCH_INTO_TAG_KEY) != LAUNCH_INTO_TAG_VALUE:
            return "already", None
        await cloud.ec2.untag_launch_into(place, action.resource_id)
    except Transient:
        raise
    except (ConfiguratorError, Refused, RecoveryInstanceBusy, AccountUnreachable) as exc:
        return "failed", str(exc)[:1024]
    return "done", None
