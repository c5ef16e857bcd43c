"""Small value types of the estate file, each with a message an operator can act on."""

from __future__ import annotations

import ipaddress
import re
import string
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

Architecture = Literal["x86_64", "arm64"]
InstanceState = Literal["running", "stopped", "terminated"]
RecoveryState = Literal["running", "stopped"]
Outcome = Literal["land-in-original", "land-in-target", "new-instance", "must-not-launch"]
PhaseName = Literal["protected", "failed_over"]
ReplicationState = Literal[
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
RegionRole = Literal["primary", "recovery"]
MUST_NOT_LAUNCH: Literal["must-not-launch"] = "must-not-launch"
NoiseKind = Literal["case", "spaces", "dr_suffix"]
NoiseTarget = Literal["target", "original"]

DEFAULT_HUB_ACCOUNT = "123456789012"  # moto's default: plain test credentials land here
LAUNCH_INTO_TAG = ("AWSDRS", "AllowLaunchingIntoThisInstance")
WAVE_TAG = "dr:wave"

_ACCOUNT = re.compile(r"^[0-9]{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")
_ZONE = re.compile(r"^[a-z]$")
_ROLE = re.compile(r"^[\w+=,.@-]{1,64}$")


def _account_id(value: str) -> str:
    if not _ACCOUNT.match(value):
        raise ValueError('an account ID is 12 digits, quoted (e.g. "210987654321")')
    return value


def _region(value: str) -> str:
    if not _REGION.match(value):
        raise ValueError("a region name looks like 'us-east-1'")
    return value


def _zone(value: str) -> str:
    if not _ZONE.match(value):
        raise ValueError("write the zone letter only, e.g. 'b' (it names a zone in both regions)")
    return value


def _ipv4(value: str) -> str:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 address") from None
    return value


def _cidr(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 network like 10.0.0.0/16") from None
    if not 16 <= network.prefixlen <= 24:
        raise ValueError("a VPC CIDR is /16 to /24 (each zone gets a sixteenth of it)")
    return value


def _role_name(value: str) -> str:
    if not _ROLE.match(value):
        raise ValueError("an IAM role name is 1-64 of letters, digits and +=,.@_-")
    return value


def _tags(value: dict[str, str]) -> dict[str, str]:
    for key, tag_value in value.items():
        if not 1 <= len(key) <= 128:
            raise ValueError(f"tag key {key!r}: keys are 1-128 characters")
        if key.lower().startswith("aws:"):
            raise ValueError(f"tag key {key!r}: the 'aws:' prefix is reserved by AWS")
        if len(tag_value) > 256:
            raise ValueError(f"tag {key!r}: values are at most 256 characters")
    return value


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or only spaces")
    return value


MAX_NAME = 256
"""A Name tag value, and so a server's name, is at most 256 characters (EC2's tag limit)."""
_NUMBERS_IN_SPEC = re.compile(r"[0-9]+")


def _widths(value: str) -> None:
    """Refuse a field width or precision that would build a huge name, before building it."""
    try:
        fields = list(string.Formatter().parse(value))
    except ValueError as error:
        raise ValueError(f"not a pattern: {error}") from None
    for _, name, spec, _ in fields:
        if name is None or not spec:
            continue
        if "{" in spec:
            raise ValueError(f"{{{name}:{spec}}}: a width from another field is not supported")
        if any(int(number) > MAX_NAME for number in _NUMBERS_IN_SPEC.findall(spec)):
            raise ValueError(
                f"{{{name}:{spec}}}: a width over {MAX_NAME} makes names longer than "
                f"a Name tag can hold ({MAX_NAME} characters)"
            )


def _pattern(value: str, **fields: object) -> str:
    _widths(value)
    try:
        made = value.format(**fields)
    except (KeyError, IndexError, ValueError, AttributeError) as error:
        names = ", ".join("{" + name + "}" for name in fields)
        raise ValueError(f"not a pattern over {names}: {error!r}") from None
    if len(made) > MAX_NAME:
        raise ValueError(f"makes names of {len(made)} characters; a Name tag holds {MAX_NAME}")
    return value


def _name_pattern(value: str) -> str:
    if "{index" not in value:
        raise ValueError("a name pattern needs {index} (e.g. 'app-{index:04d}'), or names repeat")
    return _pattern(value, index=1)


def _hostname_pattern(value: str) -> str:
    return _pattern(value, index=1, name="app")


# The patterns are repeated for editors' sake; the validators say what is wrong in words.
AccountId = Annotated[
    str, AfterValidator(_account_id), Field(json_schema_extra={"pattern": _ACCOUNT.pattern})
]
RegionName = Annotated[
    str, AfterValidator(_region), Field(json_schema_extra={"pattern": _REGION.pattern})
]
ZoneLetter = Annotated[
    str, AfterValidator(_zone), Field(json_schema_extra={"pattern": _ZONE.pattern})
]
IPv4 = Annotated[str, AfterValidator(_ipv4)]
Cidr = Annotated[str, AfterValidator(_cidr)]
RoleName = Annotated[str, AfterValidator(_role_name)]
Tags = Annotated[dict[str, str], AfterValidator(_tags)]
Text = Annotated[str, AfterValidator(_text), Field(max_length=256)]
NamePattern = Annotated[str, AfterValidator(_name_pattern), Field(max_length=200)]
HostnamePattern = Annotated[str, AfterValidator(_hostname_pattern), Field(max_length=200)]
Wave = Annotated[int, Field(ge=0, le=999)]
