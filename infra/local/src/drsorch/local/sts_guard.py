"""STS AssumeRole as AWS answers it: refused unless the role exists and trusts the caller.

moto maps an assumed role's account from the role ARN and checks nothing, so on a
bare moto every spoke is reachable, even one whose role was never created. This
plugin wraps moto's AssumeRole so that the local endpoint refuses, with
`AccessDenied` as AWS does, when the role is absent from the target account's IAM,
when its trust policy does not let the caller's account assume it, or when the
ExternalId does not match the policy's `sts:ExternalId` condition. That is what lets
a test (or a demo) show an unreachable spoke being reported rather than silently
reached.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

ROLE_ARN = re.compile(r"^arn:[a-z-]+:iam::(?P<account>[0-9]{12}):role/(?:.*/)?(?P<name>[^/]+)$")
_ASSUME_ACTIONS = {"sts:assumerole", "sts:*", "*"}


def install(dispatcher: Any, admin: MutableMapping[str, Any]) -> None:
    """Wrap moto's STS AssumeRole (once per process) so it checks the role's trust policy."""
    from moto.sts.responses import TokenResponse  # noqa: PLC0415 - moto is heavy

    if getattr(TokenResponse.assume_role, "drsorch_guarded", False):
        return
    unguarded = TokenResponse.assume_role

    def assume_role(self: Any) -> Any:
        role_arn = str(self._get_param("RoleArn") or "")
        external_id = self._get_param("ExternalId")
        caller = str(self.current_account)
        policy = _trust_policy(role_arn)
        if refusal(caller, role_arn, policy, external_id) is not None:
            raise _access_denied(caller, role_arn)
        return unguarded(self)

    assume_role.drsorch_guarded = True  # type: ignore[attr-defined]
    TokenResponse.assume_role = assume_role  # type: ignore[method-assign]


def refusal(
    caller_account: str,
    role_arn: str,
    trust_policy: Mapping[str, Any] | None,
    external_id: str | None,
) -> str | None:
    """Why AWS would refuse this AssumeRole (None: it would grant it).

    `trust_policy` is the role's parsed trust policy, None when the role does not
    exist. Allow statements are read for the action, the `AWS` principal (an account,
    its root, any ARN in it, or `*`) and a `StringEquals` `sts:ExternalId` condition;
    other conditions are not evaluated.
    """
    if ROLE_ARN.match(role_arn) is None:
        return f"{role_arn!r} is not an IAM role ARN"
    if trust_policy is None:
        return f"role {role_arn} does not exist"
    statements = trust_policy.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    for statement in statements:
        if _grants(statement, caller_account, external_id):
            return None
    return f"the trust policy of {role_arn} does not let {caller_account} assume it"


def _grants(statement: Mapping[str, Any], caller: str, external_id: str | None) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    if not {a.lower() for a in _strings(statement.get("Action"))} & _ASSUME_ACTIONS:
        return False
    if not _trusts(statement.get("Principal"), caller):
        return False
    condition = statement.get("Condition") or {}
    wanted = _strings((condition.get("StringEquals") or {}).get("sts:ExternalId"))
    return not wanted or external_id in wanted


def _trusts(principal: object, caller: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    for entry in _strings(principal.get("AWS")):
        if entry in ("*", caller) or entry.split(":")[4:5] == [caller]:
            return True
    return False


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [str(item) for item in value]
    return []


def _trust_policy(role_arn: str) -> dict[str, Any] | None:
    """The parsed trust policy of the role in moto's IAM, or None if there is no such role."""
    from moto.iam.models import iam_backends  # noqa: PLC0415

    match = ROLE_ARN.match(role_arn)
    if match is None:
        return None
    backend = iam_backends[match["account"]]["aws"]
    for role in backend.roles.values():
        if role.name == match["name"]:
            document: dict[str, Any] = json.loads(role.assume_role_policy_document or "{}")
            return document
    return None


def _access_denied(caller: str, role_arn: str) -> Exception:
    from moto.core.exceptions import AccessDeniedError  # noqa: PLC0415

    # HTTP 403, and only this message whatever the cause: AWS does not say whether the
    # role exists or which condition failed.
    return AccessDeniedError(
        f"arn:aws:iam::{caller}:root", f"sts:AssumeRole on resource: {role_arn}"
    )
