"""Version 1, frozen as published (see `drsorch.contracts.events.v1`).

The problems discovery reported in v1; later versions name more kinds.
"""

from __future__ import annotations

from typing import Literal

from drsorch.contracts.events.common import Record
from drsorch.contracts.types import AccountId, Reason, Region, SourceServerId

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
