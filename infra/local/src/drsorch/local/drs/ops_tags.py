"""Tag operations on DRS resources, addressed by ARN (percent-decoded by the router)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drsorch.local.drs.context import OpContext, Operation
from drsorch.local.drs.errors import AccessDeniedError, ResourceNotFoundError, ValidationError

MAX_TAGS = 50


def _tags_of(ctx: OpContext, resource_arn: str) -> dict[str, str]:
    """The live tag map of the resource an ARN names, in the caller's account and region."""
    parts = resource_arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "drs" or "/" not in parts[5]:
        raise ValidationError("Invalid ARN", fields=[("resourceArn", "is not a DRS resource ARN")])
    region, account_id, resource = parts[3], parts[4], parts[5]
    if account_id != ctx.account_id:
        raise AccessDeniedError(f"Not authorized to access {resource_arn}")
    state = ctx.emu.regions.get((account_id, region))
    kind, resource_id = resource.split("/", 1)
    holders: Mapping[str, Mapping[str, Any]] = (
        {
            "source-server": state.servers,
            "recovery-instance": state.recovery_instances,
            "job": state.jobs,
        }
        if state is not None
        else {}
    )
    found = holders.get(kind, {}).get(resource_id)
    if (
        found is None
        and state is not None
        and state.template is not None
        and state.template.arn == resource_arn
    ):
        found = state.template
    if found is None or getattr(found, "arn", None) != resource_arn:
        raise ResourceNotFoundError(
            f"Resource {resource_arn} not found",
            resource_id=resource_id,
            resource_type=kind.upper().replace("-", "_"),
        )
    tags: dict[str, str] = found.tags
    return tags


def tag_resource(ctx: OpContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """TagResource: add or overwrite tags (at most 50; no aws: keys)."""
    tags = _tags_of(ctx, params["resourceArn"])
    new = dict(params["tags"])
    reserved = [key for key in new if key.lower().startswith("aws:")]
    if reserved:
        raise ValidationError(
            "Tag keys may not start with aws:",
            fields=[(f"tags.{k}", "reserved prefix") for k in reserved],
        )
    if len(tags | new) > MAX_TAGS:
        raise ValidationError(
            f"A resource may have at most {MAX_TAGS} tags", fields=[("tags", "too many tags")]
        )
    tags.update(new)
    return {}


def untag_resource(ctx: OpContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """UntagResource."""
    tags = _tags_of(ctx, params["resourceArn"])
    for key in params["tagKeys"]:
        tags.pop(key, None)
    return {}


def list_tags_for_resource(ctx: OpContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """ListTagsForResource."""
    return {"tags": dict(_tags_of(ctx, params["resourceArn"]))}


OPERATIONS: dict[str, Operation] = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}
