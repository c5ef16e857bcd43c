"""AWS's evaluation of a resource policy, for what the local endpoint does not enforce.

moto stores topic and queue policies but never applies them. This evaluates a policy
document the way AWS does for the statements drsorch writes: an explicit Deny wins,
then an Allow; conditions `ArnEquals`, `ArnNotEquals`, `ArnLike`, `Bool`, `StringEquals`
and `StringNotEquals` over the request's context keys, several keys in one operator all
having to hold, several values of one key any one matching; a negated operator holds
when its key is absent from the request (IAM's rule), a plain one does not. Anything
else in a statement is refused loudly, so a policy this cannot read fails its test.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Decision(StrEnum):
    DENIED = "denied"  # an explicit Deny matched: nothing else can allow it
    ALLOWED = "allowed"  # an Allow matched and no Deny
    NOT_ALLOWED = "not-allowed"  # nothing matched: the caller's own IAM policy decides


@dataclass(frozen=True)
class Call:
    """One API call as AWS sees it when evaluating a resource policy."""

    action: str
    resource: str
    principal_arn: str | None = None  # a role or user calling with its credentials
    service: str | None = None  # a service principal calling (sns.amazonaws.com)
    source_arn: str | None = None  # the resource a service acts for (a topic, a rule)
    secure_transport: bool = True

    def context(self) -> dict[str, str]:
        keys = {
            "aws:PrincipalArn": self.principal_arn,
            "aws:SourceArn": self.source_arn,
            "aws:SecureTransport": "true" if self.secure_transport else "false",
        }
        return {k: v for k, v in keys.items() if v is not None}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principal_matches(principal: Any, call: Call) -> bool:
    if principal == "*" or principal == {"AWS": "*"}:
        return True
    if not isinstance(principal, Mapping):
        raise TypeError(f"unreadable Principal {principal!r}")
    if "Service" in principal and call.service in _list(principal["Service"]):
        return True
    return "AWS" in principal and call.principal_arn in _list(principal["AWS"])


def _action_matches(actions: Any, action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _list(actions))


def _resource_matches(resources: Any, resource: str) -> bool:
    return any(fnmatch.fnmatchcase(resource, r) for r in _list(resources))


def _equal(have: str, want: Any) -> bool:
    return bool(have == want)


def _like(have: str, want: Any) -> bool:
    return fnmatch.fnmatchcase(have, str(want))


def _same_bool(have: str, want: Any) -> bool:
    return have.lower() == str(want).lower()


Match = Callable[[str, Any], bool]
_OPERATORS: dict[str, tuple[Match, bool]] = {  # operator: (match, negated)
    "ArnEquals": (_equal, False),
    "ArnLike": (_like, False),
    "StringEquals": (_equal, False),
    "Bool": (_same_bool, False),
    "ArnNotEquals": (_equal, True),
    "StringNotEquals": (_equal, True),
}


def _conditions_hold(conditions: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    for operator, keys in conditions.items():
        if operator not in _OPERATORS:
            raise ValueError(f"condition operator {operator} is not evaluated here")
        match, negated = _OPERATORS[operator]
        for key, wanted in keys.items():
            if key not in context:
                holds = negated  # IAM: an absent key satisfies only a negated operator
            else:
                any_match = any(match(context[key], w) for w in _list(wanted))
                holds = not any_match if negated else any_match
            if not holds:
                return False
    return True


def evaluate(policy: Mapping[str, Any], call: Call) -> Decision:
    """What the resource policy says of `call`."""
    allowed = False
    context = call.context()
    for statement in policy["Statement"]:
        unknown = set(statement) - {"Sid", "Effect", "Principal", "Action", "Resource", "Condition"}
        if unknown:
            raise ValueError(f"statement {statement.get('Sid')} has {sorted(unknown)}")
        if not (
            _principal_matches(statement["Principal"], call)
            and _action_matches(statement["Action"], call.action)
            and _resource_matches(statement["Resource"], call.resource)
            and _conditions_hold(statement.get("Condition", {}), context)
        ):
            continue
        if statement["Effect"] == "Deny":
            return Decision.DENIED
        allowed = True
    return Decision.ALLOWED if allowed else Decision.NOT_ALLOWED
