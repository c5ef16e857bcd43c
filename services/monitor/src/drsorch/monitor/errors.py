"""The monitor's errors: what waits and comes back later, and what is a bug to park.

Adapters turn AWS errors into these, so the workflow never reads a botocore error
code. `Throttled` and `AwsFailure` make the request wait (a delayed self-message, never
a sleep); `StartRefused` puts a batch's servers back to wait;
`TargetsChanged` and `TargetsUnread` stop a StartRecovery before it is made; `RequestBusy` and
`LeaseLost` mean another handler holds the request.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base of every error the monitor raises itself."""


class AwsFailure(MonitorError):
    """An AWS call failed after the client's own retries (server error, network, access)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Throttled(AwsFailure):
    """DRS throttled a call beyond the client's retries; `retry_after` is its Retry-After."""


class Unreachable(AwsFailure):
    """drsorch cannot act in an account: no role, access denied, DRS not initialized."""


class StartRefused(MonitorError):
    """StartRecovery was refused (ConflictException, ServiceQuotaExceeded): no job exists."""


class TargetsChanged(MonitorError):
    """A batch's launch-into targets, read again right before a StartRecovery that did not
    follow their check at once, are no longer safe: DRS was not called."""

    def __init__(self, refusals: dict[str, str]) -> None:
        super().__init__("; ".join(refusals.values()))
        self.refusals = refusals
        """Source server ID -> why its target may not be launched into now."""


class TargetsUnread(MonitorError):
    """EC2 could not be read right before StartRecovery: DRS was not called."""


class RequestBusy(MonitorError):
    """Another handler holds the request's lease; the message comes back later."""


class LeaseLost(MonitorError):
    """The handler's lease on the request expired and another took it: stop acting."""


class BadPlan(MonitorError):
    """The chunks of one PairsMatched disagree; the message is retried, then parked."""
