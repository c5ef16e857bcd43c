"""CloudFormation KMS keys as declared: moto makes every `AWS::KMS::Key` symmetric.

moto 5.2.5's CloudFormation creates each key with `ENCRYPT_DECRYPT` and
`SYMMETRIC_DEFAULT`, whatever `KeySpec` and `KeyUsage` say, so the approvals key
(ECC_NIST_P256, SIGN_VERIFY) could neither sign nor verify. This plugin wraps the
key's CloudFormation constructor to pass the two properties on; moto's KMS then
signs and verifies with a real key pair, as AWS does.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any


def install(dispatcher: Any, admin: MutableMapping[str, Any]) -> None:
    """Wrap moto's `Key.create_from_cloudformation_json` (once per process)."""
    from moto.kms.models import Key, kms_backends  # noqa: PLC0415 - moto is heavy

    if getattr(Key.create_from_cloudformation_json, "drsorch_declared", False):
        return
    as_moto_does = Key.create_from_cloudformation_json

    def create(
        cls: Any,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        properties = cloudformation_json["Properties"]
        spec = properties.get("KeySpec", "SYMMETRIC_DEFAULT")
        usage = properties.get("KeyUsage", "ENCRYPT_DECRYPT")
        if (spec, usage) == ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"):
            return as_moto_does(
                resource_name, cloudformation_json, account_id, region_name, **kwargs
            )
        key = kms_backends[account_id][region_name].create_key(
            policy=properties["KeyPolicy"],
            key_usage=usage,
            key_spec=spec,
            description=properties.get("Description"),
            tags=properties.get("Tags", []),
        )
        key.enabled = properties.get("Enabled", True)
        return key

    create.drsorch_declared = True  # type: ignore[attr-defined]
    Key.create_from_cloudformation_json = classmethod(create)  # type: ignore[method-assign,assignment,arg-type]
