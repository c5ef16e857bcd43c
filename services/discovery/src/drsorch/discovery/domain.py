"""What discovery reads from DRS and EC2, and the pure decisions over it.

The adapters turn AWS responses into the records below; everything else here is
plain functions over plain data: which servers a scope selects, which tags a server
effectively carries, its wave, and the lag DRS reports as an ISO-8601 duration.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from drsorch.contracts.types import (
    Architecture,
    DataReplicationState,
    FailbackState,
    RecoveryEc2State,
    ReplicationDirection,
)

WAVE_TAG = "dr:wave"
MAX_WAVE = 999
MAX_TAGS = 50
FAILBACK = "FAILBACK"

_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


@dataclass(frozen=True)
class SourceServerRecord:
    """A DRS source server as DescribeSourceServers shows it, reduced to what discovery uses."""

    source_server_id: str
    account_id: str
    region: str
    arn: str | None = None
    hostname: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    architecture: Architecture | None = None
    direction: ReplicationDirection | None = None
    replication_state: DataReplicationState | None = None
    lag_seconds: int | None = None
    origin_instance_id: str | None = None
    """identificationHints.awsInstanceID: the EC2 instance this server replicates."""
    origin_account_id: str | None = None
    origin_region: str | None = None
    reversed_arn: str | None = None
    recovery_instance_id: str | None = None
    staging_account_id: str | None = None
    """`stagingArea.stagingAccountID` of an extended server: the account it replicates in."""
    staging_source_server_arn: str | None = None
    staging_error: str | None = None
    """`stagingArea.errorMessage` when DRS cannot reach the staging server (EXTENSION_ERROR)."""


@dataclass(frozen=True)
class RecoveryInstanceRecord:
    """A DRS recovery instance (DescribeRecoveryInstances)."""

    recovery_instance_id: str
    source_server_id: str
    ec2_instance_id: str | None = None
    ec2_state: RecoveryEc2State | None = None
    is_drill: bool = False
    failback_state: FailbackState | None = None


@dataclass(frozen=True)
class ActiveJob:
    """A DRS job still PENDING or STARTED, and the source servers it holds."""

    job_id: str
    region: str
    server_ids: frozenset[str]


def user_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """Tags without AWS's own `aws:` keys, at most 50 (the contracts' TagMap)."""
    kept = {k: v for k, v in sorted(tags.items()) if not k.lower().startswith("aws:")}
    return dict(list(kept.items())[:MAX_TAGS])


def effective_tags(
    server_tags: Mapping[str, str], origin_tags: Mapping[str, str]
) -> dict[str, str]:
    """The server's tags, completed by its origin instance's where DRS lacks a key.

    EC2 tags do not reach DRS source servers, so a workload tagged on its instance
    is still selected; where both carry a key, DRS's value wins.
    """
    return user_tags({**origin_tags, **server_tags})


def selected(
    selector: Mapping[str, str] | None,
    ids: frozenset[str] | None,
    server_id: str,
    tags: Mapping[str, str],
) -> bool:
    """Does the scope take this server: by ID when `ids` is given, else by every selector tag?"""
    if ids is not None:
        return server_id in ids
    return all(tags.get(key) == value for key, value in (selector or {}).items())


def needs_origin_tags(
    selector: Mapping[str, str] | None,
    ids: frozenset[str] | None,
    server_id: str,
    tags: Mapping[str, str],
) -> bool:
    """Could the origin instance's tags change what discovery makes of this server?

    Only where DRS lacks a key: a selector key it misses, or, for a server in scope,
    the Name and wave tags. Where DRS has a key its value wins, so nothing else is
    worth an EC2 call.
    """
    if ids is not None:
        in_scope = server_id in ids
    else:
        wanted = selector or {}
        if any(key in tags and tags[key] != value for key, value in wanted.items()):
            return False
        in_scope = all(key in tags for key in wanted)
        if not in_scope:
            return True
    return in_scope and not ("Name" in tags and WAVE_TAG in tags)


def wave_of(tags: Mapping[str, str]) -> tuple[int, str | None]:
    """The server's wave from its `dr:wave` tag (0 without one), or 0 and why the tag is bad."""
    text = tags.get(WAVE_TAG)
    if text is None:
        return 0, None
    value = text.strip()
    if value.isascii() and value.isdigit() and int(value) <= MAX_WAVE:
        return int(value), None
    return 0, f"tag {WAVE_TAG}={text!r} is not a whole number from 0 to {MAX_WAVE}"


def duration_seconds(text: str | None) -> int | None:
    """Whole seconds of an ISO-8601 duration such as `PT12S` or `P1DT2H` (None if unreadable)."""
    if not text:
        return None
    match = _DURATION.match(text.strip())
    if match is None or text.strip() in ("P", "PT"):
        return None
    units = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
    total = sum(float(match[unit] or 0) * seconds for unit, seconds in units.items())
    return int(total)


def name_tag(tags: Mapping[str, str]) -> str | None:
    """The `Name` tag, unless absent or blank (a Name is never empty in the contracts)."""
    name = tags.get("Name")
    return name if name and name.strip() else None
