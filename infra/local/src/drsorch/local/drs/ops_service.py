"""Operations on the account/region: InitializeService and the launch configuration template."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drsorch.local.drs import paging, views
from drsorch.local.drs.context import OpContext, Operation
from drsorch.local.drs.errors import ServiceQuotaExceededError, ValidationError, not_found
from drsorch.local.drs.servers import initialize
from drsorch.local.drs.state import LaunchConfigurationTemplate

_TEMPLATE_FIELDS = {
    "launchDisposition": "launch_disposition",
    "targetInstanceTypeRightSizingMethod": "right_sizing",
    "copyPrivateIp": "copy_private_ip",
    "copyTags": "copy_tags",
    "postLaunchEnabled": "post_launch_enabled",
    "launchIntoSourceInstance": "launch_into_source_instance",
    "recoveryMode": "recovery_mode",
    "exportBucketArn": "export_bucket_arn",
}


def initialize_service(ctx: OpContext, params: Mapping[str, Any]) -> None:
    """InitializeService (idempotent); creates the default launch configuration template."""
    initialize(ctx.emu, ctx.state)


def _template(ctx: OpContext) -> LaunchConfigurationTemplate:
    template = ctx.state.template
    assert template is not None  # every initialized region has one
    return template


def describe_launch_configuration_templates(
    ctx: OpContext, params: Mapping[str, Any]
) -> dict[str, Any]:
    """DescribeLaunchConfigurationTemplates: the one template of the region."""
    template = _template(ctx)
    wanted = params.get("launchConfigurationTemplateIDs") or []
    for template_id in wanted:
        if template_id != template.template_id:
            raise not_found("LAUNCH_CONFIGURATION_TEMPLATE", template_id)
    items, token = paging.page([template], params, ctx.emu.settings.paging, "lct", cap=1000)
    body: dict[str, Any] = {"items": [views.launch_configuration_template(item) for item in items]}
    return body | ({"nextToken": token} if token else {})


def _apply(template: LaunchConfigurationTemplate, params: Mapping[str, Any]) -> None:
    for api_name, attribute in _TEMPLATE_FIELDS.items():
        if api_name in params:
            setattr(template, attribute, params[api_name])
    if "licensing" in params:
        template.os_byol = bool(params["licensing"].get("osByol", template.os_byol))
    if template.launch_into_source_instance and (template.copy_private_ip or template.copy_tags):
        raise ValidationError(
            "launchIntoSourceInstance requires copyPrivateIp and copyTags to be off",
            fields=[("launchIntoSourceInstance", "copyPrivateIp and copyTags must be false")],
        )


def update_launch_configuration_template(
    ctx: OpContext, params: Mapping[str, Any]
) -> dict[str, Any]:
    """UpdateLaunchConfigurationTemplate."""
    template = _template(ctx)
    if params["launchConfigurationTemplateID"] != template.template_id:
        raise not_found("LAUNCH_CONFIGURATION_TEMPLATE", params["launchConfigurationTemplateID"])
    candidate = LaunchConfigurationTemplate(**vars(template))
    _apply(candidate, params)
    _apply(template, params)
    return {"launchConfigurationTemplate": views.launch_configuration_template(template)}


def create_launch_configuration_template(
    ctx: OpContext, params: Mapping[str, Any]
) -> dict[str, Any]:
    """CreateLaunchConfigurationTemplate: one per account and region, made by InitializeService."""
    raise ServiceQuotaExceededError(
        "Only one launch configuration template is allowed per account and region",
        quota_code="L-LCT00001",
        resource_type="LAUNCH_CONFIGURATION_TEMPLATE",
        resource_id=_template(ctx).template_id,
    )


OPERATIONS: dict[str, Operation] = {
    "InitializeService": initialize_service,
    "DescribeLaunchConfigurationTemplates": describe_launch_configuration_templates,
    "UpdateLaunchConfigurationTemplate": update_launch_configuration_template,
    "CreateLaunchConfigurationTemplate": create_launch_configuration_template,
}
