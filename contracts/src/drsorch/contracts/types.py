"""Constrained types the drsorch contracts are built from.

Every ID carries the pattern AWS documents for it, so a malformed ID is refused at
the edge of a service instead of deep inside a DRS or EC2 call. Patterns avoid
`\\d` and look-arounds: they must mean the same in pydantic's regex engine and in
any JSON Schema validator reading the exported schemas.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, Field, StringConstraints

# The bound of any one list in one chunk, so a malformed message cannot make a reader
# validate millions of items. Producers split by bytes first (SNS carries 256 KB),
# which usually ends a chunk well before this many items.
MAX_ITEMS_PER_CHUNK = 1000
# DRS's operational limit of source servers per recovery job (drs-api-facts §4).
MAX_SERVERS_PER_JOB = 100
MAX_TAGS = 50
# The tag DRS requires on an EC2 instance before it launches a server into it.
LAUNCH_INTO_TAG_KEY = "AWSDRS"
LAUNCH_INTO_TAG_VALUE = "AllowLaunchingIntoThisInstance"

# Region names: `us-east-1`, `eu-west-2`, `us-gov-west-1`, `us-isob-east-1`, `eusc-de-east-1`.
_REGION = r"[a-z]{2,4}(-[a-z]{2,5})?-[a-z]{4,10}-[0-9]{1,2}"
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"


def _doc(description: str, example: str) -> Any:
    return Field(description=description, examples=[example])


H = TypeVar("H", bound=Hashable)


def _no_duplicates(items: tuple[H, ...]) -> tuple[H, ...]:
    duplicates = sorted(str(item) for item, n in Counter(items).items() if n > 1)
    if duplicates:
        raise ValueError(f"duplicate entries: {', '.join(duplicates)}")
    return items


# For lists of IDs where a repeat is a mistake (a server twice in one job, say):
# `Annotated[tuple[X, ...], Unique, UNIQUE_ITEMS]` refuses and documents repeats.
Unique = AfterValidator(_no_duplicates)
UNIQUE_ITEMS = Field(json_schema_extra={"uniqueItems": True})


AccountId = Annotated[
    str, StringConstraints(pattern=r"^[0-9]{12}$"), _doc("AWS account ID", "111122223333")
]
Region = Annotated[str, StringConstraints(pattern=f"^{_REGION}$"), _doc("AWS region", "us-east-1")]
AvailabilityZone = Annotated[
    str,
    # A letter for a regular zone; a suffix such as `-lax-1a` for Local and Wavelength Zones.
    StringConstraints(pattern=f"^{_REGION}([a-z]|-[a-z0-9-]{{2,40}})$"),
    _doc("EC2 availability zone name", "us-east-1a"),
]
Ec2InstanceId = Annotated[
    str,
    StringConstraints(pattern=r"^i-([0-9a-f]{8}|[0-9a-f]{17})$"),
    _doc("EC2 instance ID", "i-0123456789abcdef0"),
]
RecoveryInstanceId = Annotated[
    str,
    StringConstraints(pattern=r"^i-[0-9a-fA-F]{8,17}$"),
    _doc("DRS recovery instance ID (EC2-ID shaped)", "i-0123456789abcdef0"),
]
SourceServerId = Annotated[
    str,
    StringConstraints(pattern=r"^s-[0-9a-zA-Z]{17}$"),
    _doc("DRS source server ID", "s-1234567890abcdef0"),
]
SourceServerArn = Annotated[
    str,
    StringConstraints(
        pattern=r"^arn:([0-9a-zA-Z_-]+:){3}[0-9]{12,}:source-server/s-[0-9a-zA-Z]{17}$",
        max_length=2048,
    ),
    _doc(
        "DRS source server ARN",
        "arn:aws:drs:us-east-1:111122223333:source-server/s-1234567890abcdef0",
    ),
]
JobId = Annotated[
    str,
    StringConstraints(pattern=r"^drsjob-[0-9a-zA-Z]{17}$"),
    _doc("DRS job ID", "drsjob-1234567890abcdef0"),
]
SubnetId = Annotated[
    str,
    StringConstraints(pattern=r"^subnet-([0-9a-f]{8}|[0-9a-f]{17})$"),
    _doc("EC2 subnet ID", "subnet-0123456789abcdef0"),
]
IPv4 = Annotated[
    str,
    StringConstraints(pattern=rf"^({_OCTET}\.){{3}}{_OCTET}$"),
    _doc("IPv4 address in dotted-decimal form", "10.0.1.17"),
]
PlanHash = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9a-f]{64}$"),
    _doc("SHA-256 of a request's plan, lowercase hex", "0" * 64),
]

TraceId = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9a-f]{32}$"),
    _doc("W3C trace ID, lowercase hex", "4bf92f3577b34da6a3ce929d0e0e4736"),
]
TagKey = Annotated[str, StringConstraints(min_length=1, max_length=128)]
TagValue = Annotated[str, StringConstraints(max_length=256)]
# EC2 and DRS allow 50 user tags per resource. `aws:` system tags do not count
# toward that limit and drsorch never reads them, so producers leave them out.
TagMap = Annotated[
    dict[TagKey, TagValue],
    Field(max_length=MAX_TAGS, description="Resource tags without `aws:` system tags"),
]

# Waves run in ascending order. An integer, not the raw `dr:wave` tag text, so that
# wave 10 follows wave 9 and every service orders waves the same way. A server
# without the tag is in wave 0; a tag that is not an integer in range is reported
# by discovery as a `wave_tag_invalid` problem.
Wave = Annotated[int, Field(ge=0, le=999, description="Recovery wave from the `dr:wave` tag")]
Seconds = Annotated[int, Field(ge=0, le=31_536_000)]
Ratio = Annotated[float, Field(ge=0.0, le=1.0)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]

Name = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Hostname = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Note = Annotated[str, StringConstraints(max_length=2048)]
Fact = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Principal = Annotated[str, StringConstraints(min_length=1, max_length=256)]
RoleName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9+=,.@_-]{1,64}$"),
    _doc("IAM role name in a spoke account", "drsorch-spoke"),
]
ExternalId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9+=,.@:/_-]{2,1224}$"),
    _doc("ExternalId the spoke role's trust policy requires", "drsorch-1234"),
]
NameAffix = Annotated[str, StringConstraints(min_length=1, max_length=64)]
ApiOperation = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z][A-Za-z0-9]{1,63}$"),
    _doc("DRS API operation name", "StartRecovery"),
]
# DRS has 70 operations. Readers sum the counts over every chunk of an event, so a
# producer counts each call in exactly one chunk.
ApiCalls = Annotated[
    dict[ApiOperation, Count],
    Field(max_length=100, description="DRS API calls by operation"),
]

# DRS enumerations, spelled as the DRS API spells them (drs-api-facts §2).
DataReplicationState = Literal[
    "STOPPED",
    "INITIATING",
    "INITIAL_SYNC",
    "BACKLOG",
    "CREATING_SNAPSHOT",
    "CONTINUOUS",
    "PAUSED",
    "RESCAN",
    "STALLED",
    "DISCONNECTED",
]
# A recovery instance's replication back to its origin adds two states.
RecoveryReplicationState = Literal[
    DataReplicationState, "NOT_STARTED", "REPLICATION_STATE_NOT_AVAILABLE"
]
LaunchStatus = Literal["PENDING", "IN_PROGRESS", "LAUNCHED", "FAILED", "TERMINATED"]
JobStatus = Literal["PENDING", "STARTED", "COMPLETED"]
# A job counts against DRS's quotas until it is COMPLETED.
ACTIVE_JOB_STATUSES: frozenset[JobStatus] = frozenset({"PENDING", "STARTED"})
LaunchDisposition = Literal["STOPPED", "STARTED"]
RightSizingMethod = Literal["NONE", "BASIC", "IN_AWS"]
RecoveryMode = Literal["FAST", "OPTIMAL"]
Architecture = Literal["x86_64", "arm64"]
ReplicationDirection = Literal["FAILOVER", "FAILBACK"]
RecoveryEc2State = Literal[
    "PENDING", "RUNNING", "STOPPING", "STOPPED", "SHUTTING-DOWN", "TERMINATED", "NOT_FOUND"
]
FailbackState = Literal[
    "FAILBACK_NOT_STARTED",
    "FAILBACK_IN_PROGRESS",
    "FAILBACK_READY_FOR_LAUNCH",
    "FAILBACK_COMPLETED",
    "FAILBACK_ERROR",
    "FAILBACK_NOT_READY_FOR_LAUNCH",
    "FAILBACK_LAUNCH_STATE_NOT_AVAILABLE",
]

# EC2 enumerations, spelled as the EC2 API spells them.
InstanceState = Literal["pending", "running", "shutting-down", "terminated", "stopping", "stopped"]
Platform = Literal["linux", "windows"]
BootMode = Literal["legacy-bios", "uefi", "uefi-preferred"]

# drsorch's own vocabulary.
Operation = Literal["failback", "failover"]
LaunchIntoMode = Literal["required", "preferred", "never"]
MatchMethod = Literal["lineage", "name"]
"""How v1 plans paired (kept as published)."""
PairMethod = Literal["lineage", "name", "override"]
"""How a server was paired: its lineage, its Name, or an operator's override."""


@dataclass(frozen=True, order=True)
class Place:
    """An account and a region: where a DRS or EC2 call acts and where DRS quotas count."""

    account_id: str
    region: str

    def __str__(self) -> str:
        return f"{self.account_id}/{self.region}"
