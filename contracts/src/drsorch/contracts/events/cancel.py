"""Cancelling a running failover or failback.

An operator asks the monitor, which launches every batch, to stop a request: no new
batch is started from then on, the DRS jobs already running finish, and the servers
that never launched are reported `skipped`, with who cancelled. The monitor answers
every cancel, also one of a request it has no plan of or that has already ended.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, Field

from drsorch.contracts.envelope import Event, RequestId, Topic
from drsorch.contracts.types import Note, Principal, Reason

CancelState = Literal["cancelling", "cancelled", "finished", "unknown"]


class CancelRequested(Event):
    """Stop launching new batches of `cancel_request_id`; let its running jobs finish."""

    event_type: ClassVar[str] = "CancelRequested"
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic] = Topic.REQUESTS
    producers: ClassVar[tuple[str, ...]] = ("cli",)

    cancel_request_id: RequestId
    """The failover or failback to stop."""
    requested_by: Principal
    reason: Note | None = None


class RequestCancelled(Event):
    """The monitor's answer to a CancelRequested: what it did, and what it will still do."""

    event_type: ClassVar[str] = "RequestCancelled"
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic] = Topic.EVENTS
    producers: ClassVar[tuple[str, ...]] = ("monitor",)

    cancel_request_id: RequestId
    state: CancelState
    """`cancelling`: jobs still run and will finish; `cancelled`: nothing runs any more;
    `finished`: the request had already ended, nothing was changed; `unknown`: the monitor
    has no plan of that request (if one arrives later, it launches nothing)."""
    cancelled_by: Principal
    """Who cancelled first (a later cancel of the same request keeps the first one's name)."""
    cancelled_at: AwareDatetime
    skipped: Annotated[int, Field(ge=0)] = 0
    """Servers that will never be launched because of the cancel."""
    running_jobs: Annotated[int, Field(ge=0)] = 0
    """DRS jobs that were running when the cancel was taken, and are left to finish."""
    launched: Annotated[int, Field(ge=0)] = 0
    """Servers already in a job (running or done) when the cancel was taken."""
    reason: Reason | None = None
