"""DRS and EC2 records at and past their bounds, drawn from botocore's own service models.

Each drawn `Fault` is one field of one record the services read (DescribeSourceServers,
GetLaunchConfiguration, DescribeRecoveryInstances, DescribeJobs, DescribeInstances),
with a value built from that field's shape in botocore's model: at its bounds (the
longest and shortest lengths, a value of its pattern, each enum value) or past them (one
character too long, off its pattern, a value DRS does not list today, the wrong JSON
type). EC2's model bounds almost nothing, so its tag limits are EC2's documented ones
(keys 128, values 256 characters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore.session
from botocore.model import Shape, StringShape
from hypothesis import strategies as st

# The record a field lives in, and the botocore shape the operation answers it with.
RECORDS = {
    "source_servers": ("drs", "SourceServer"),
    "launch_configurations": ("drs", "LaunchConfiguration"),
    "recovery_instances": ("drs", "RecoveryInstance"),
    "participants": ("drs", "ParticipatingServer"),
}

# The fields drsorch reads of each record (an ID that keys the record is never changed).
FIELDS: dict[str, tuple[str, ...]] = {
    "source_servers": (
        "tags",
        "arn",
        "recoveryInstanceId",
        "dataReplicationInfo.lagDuration",
        "dataReplicationInfo.dataReplicationState",
        "sourceProperties.identificationHints.hostname",
        "sourceProperties.identificationHints.awsInstanceID",
        "sourceProperties.architecture",
        "sourceProperties.os.fullString",
        "sourceCloudProperties.originAccountID",
        "sourceCloudProperties.originRegion",
    ),
    "launch_configurations": (
        "name",
        "launchDisposition",
        "targetInstanceTypeRightSizingMethod",
        "copyPrivateIp",
        "copyTags",
        "licensing.osByol",
        "postLaunchEnabled",
        "launchIntoInstanceProperties.launchIntoEC2InstanceID",
        "recoveryMode",
    ),
    "recovery_instances": ("ec2InstanceID", "ec2InstanceState", "isDrill"),
    "participants": ("launchStatus", "recoveryInstanceID"),
}
EC2_FIELDS = ("Tags", "Architecture")
EC2_TAG_KEY, EC2_TAG_VALUE = 128, 256  # EC2's documented tag limits (its model has none)
LONGEST = 300
TYPICAL = (
    "i-0123456789abcdef0",
    "i-01234567",
    "us-west-2",
    "ap-southeast-1",
    "123456789012",
    "arn:aws:drs:us-west-2:123456789012:source-server/s-0123456789abcdef0",
)  # a value longer than any field drsorch reads, to bound unbounded shapes


@dataclass(frozen=True)
class Fault:
    """One field of one server's record, set to a value at or past its bounds."""

    record: str
    """A `RawRecords` field (DRS), or `ec2` for the server's target instance."""
    path: str
    value: Any
    past: bool
    """Past the bounds botocore's model (or EC2's documentation) gives the field."""

    def patch(self) -> dict[str, Any]:
        """The value as a nested patch of the record."""
        out: dict[str, Any] = {}
        node = out
        *parents, leaf = self.path.split(".")
        for name in parents:
            node = node.setdefault(name, {})
        node[leaf] = self.value
        return out

    def describe(self) -> str:
        where = "past" if self.past else "at"
        return f"{self.record}.{self.path} {where} its bounds: {str(self.value)[:60]!r}"


@cache
def _model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


def shape_of(record: str, path: str) -> Shape:
    service, name = RECORDS[record]
    shape: Shape = _model(service).shape_for(name)
    for part in path.split("."):
        shape = shape.members[part]  # type: ignore[attr-defined]
    return shape


def _text(length: int) -> str:
    return ("drsorch-" * (length // 8 + 1))[:length]


def _off_pattern(pattern: str) -> str:
    for candidate in ("!", "not an id", "I-XYZ", "0" * 12 + "x"):
        if re.fullmatch(pattern, candidate) is None:
            return candidate
    raise AssertionError(f"no off-pattern value for {pattern}")  # pragma: no cover


def _strings(shape: StringShape) -> tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]:
    """(at its bounds, past them) for a string shape."""
    low = int(shape.metadata.get("min", 0))
    high = int(shape.metadata.get("max", LONGEST))
    if shape.enum:
        unknown = st.sampled_from(["NOT_A_DRS_VALUE", shape.enum[0].lower(), ""])
        return st.sampled_from(list(shape.enum)), unknown
    pattern = shape.metadata.get("pattern")
    if pattern:
        # Values of the pattern within the length bounds: real-looking ones, and the
        # longest the pattern allows.
        longest = _longest_matching(pattern, high)
        fitting = [
            value
            for value in (*TYPICAL, longest)
            if value and low <= len(value) <= high and re.fullmatch(pattern, value)
        ]
        assert fitting, f"no value of {pattern} within {low}..{high}"
        past: list[Any] = [_off_pattern(pattern)]
        if longest:
            past.append(longest + longest[-1])
        return st.sampled_from(fitting), st.sampled_from(past)
    at_bounds = st.sampled_from(sorted({_text(low), _text(max(low, 1)), _text(high)}))
    return at_bounds, st.just(_text(high + 1))


def _longest_matching(pattern: str, high: int) -> str | None:
    """The pattern's value of exactly `high` characters, when a run of digits can pad it."""
    for filler in ("0", "f", "a"):
        for prefix in ("i-", "s-", "arn:", ""):
            candidate = prefix + filler * (high - len(prefix))
            if len(candidate) == high and re.fullmatch(pattern, candidate):
                return candidate
    return None


def _tags(key_max: int, value_max: int) -> tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]:
    keys_at = st.sampled_from([1, key_max]).map(lambda n: "k" + _text(n - 1) if n > 1 else "k")
    values_at = st.sampled_from([0, value_max]).map(_text)
    at = st.dictionaries(keys_at, values_at, min_size=1, max_size=2)
    past = st.sampled_from(
        [
            {"k" + _text(key_max): "v"},
            {"k-long-value": _text(value_max + 1)},
        ]
    )
    return at, past


def values(record: str, path: str) -> tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]:
    """(at its bounds, past them) for one field, from its shape in botocore's model."""
    if record == "ec2":
        if path == "Tags":
            return _tags(EC2_TAG_KEY, EC2_TAG_VALUE)
        enum = _model("ec2").shape_for("ArchitectureValues").enum
        return st.sampled_from(list(enum)), st.sampled_from(["quantum", ""])
    shape = shape_of(record, path)
    if shape.type_name == "boolean":
        return st.booleans(), st.sampled_from(["yes", 1, None])
    if shape.type_name == "map":
        key_max = int(shape.key.metadata.get("max", LONGEST))  # type: ignore[attr-defined]
        value_max = int(shape.value.metadata.get("max", LONGEST))  # type: ignore[attr-defined]
        return _tags(key_max, value_max)
    assert isinstance(shape, StringShape), f"{record}.{path} is a {shape.type_name}"
    return _strings(shape)


@st.composite
def faults(draw: st.DrawFn) -> Fault:
    """One field of one record, at or past its bounds."""
    record = draw(st.sampled_from([*FIELDS, "ec2"]))
    path = draw(st.sampled_from(FIELDS.get(record, EC2_FIELDS)))
    at, past = values(record, path)
    is_past = draw(st.booleans())
    return Fault(record, path, draw(past if is_past else at), is_past)
