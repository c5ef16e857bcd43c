"""Pieces several events share: the record base, chunks, server and target references."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from drsorch.contracts.types import (
    AccountId,
    Ec2InstanceId,
    IPv4,
    Name,
    Reason,
    Region,
    SourceServerId,
    Wave,
)


class Record(BaseModel):
    """Base of every model inside an event: frozen, strict, tolerant of unknown fields.

    Same rules as `Event`: a producer may add optional fields within a major version,
    so readers ignore what they do not know.
    """

    model_config = ConfigDict(
        frozen=True, extra="ignore", strict=True, use_attribute_docstrings=True
    )


class Chunk(Record):
    """Which part of a split result this message is.

    A request may hold more servers than fit in one 256 KB message, so a producer
    sorts its items by a stable key (the source server ID) and splits them into
    `count` messages, numbered from 0. All chunks of one result share the
    envelope's `request_id` and `causation_id`; a reader has the whole result once
    it holds every index below `count`. Fields that describe the whole result (the
    request spec, plan hash, status) repeat in every chunk.
    """

    index: Annotated[int, Field(ge=0, le=9_999)] = 0
    count: Annotated[int, Field(ge=1, le=10_000)] = 1

    @model_validator(mode="after")
    def _index_below_count(self) -> Self:
        if self.index >= self.count:
            raise ValueError(f"chunk index {self.index} must be below count {self.count}")
        return self


class ServerRef(Record):
    """A DRS source server as the report names it: identity, Name tag and wave."""

    source_server_id: SourceServerId
    account_id: AccountId
    region: Region
    name: Name | None = None
    """The server's `Name` tag (or hostname when it has none)."""
    wave: Wave = 0


class TargetRef(Record):
    """An EC2 instance a server is to be launched into."""

    instance_id: Ec2InstanceId
    account_id: AccountId
    region: Region
    name: Name | None = None
    """The instance's `Name` tag."""
    private_ip: IPv4 | None = None
    """Primary private IP at discovery; the instance must keep it after the launch."""


ProblemKind = Literal[
    "replication_unhealthy",
    "lag_too_high",
    "busy_in_job",
    "busy_in_request",
    "account_unreachable",
    "drs_not_initialized",
    "server_not_found",
    "wave_tag_invalid",
    "recovery_instance_missing",
    "record_invalid",
]


class Problem(Record):
    """Something discovery found that may keep a server, or a whole account, out of a request.

    The subject is the server when `source_server_id` is set, else the account (in
    `region` when set). `blocking` says whether the subject is left out of this
    request; a non-blocking problem (a lag that may shrink while drsorch waits for
    readiness) is reported and the subject goes on.
    """

    kind: ProblemKind
    account_id: AccountId
    region: Region | None = None
    source_server_id: SourceServerId | None = None
    reason: Reason
    blocking: bool = True

    def sort_key(self) -> tuple[str, str, str, str, str]:
        """The order producers sort problems in before splitting them into chunks."""
        return (
            self.account_id,
            self.region or "",
            self.source_server_id or "",
            self.kind,
            self.reason,
        )
