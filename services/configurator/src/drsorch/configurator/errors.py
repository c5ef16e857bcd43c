"""The configurator's errors: what is worth retrying, and what rejects a pair for good.

Adapters turn AWS errors into these, so the workflow never reads a botocore error
code. `Transient` leaves a pair pending (it is retried through a delayed
self-message); `Refused` and an unreachable account reject the pair with the reason.
"""

from __future__ import annotations

from pydantic import ValidationError


class ConfiguratorError(Exception):
    """Base of every error the configurator raises itself."""


class Transient(ConfiguratorError):
    """AWS was throttling or failing after the client's own retries; try again later."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Refused(ConfiguratorError):
    """AWS refused the call for a reason retrying will not change (validation, not found)."""


class RecordInvalid(Refused):
    """DRS reported a record of one server outside drsorch's contract: that pair is rejected."""

    @classmethod
    def of(cls, server_id: str, what: str, error: ValidationError) -> RecordInvalid:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "record"
        return cls(
            f"DRS reports the {what} of source server {server_id} out of range for drsorch:"
            f" {where}: {first['msg']}; the server is left out"
        )


class RecoveryInstanceBusy(ConfiguratorError):
    """ReverseReplication answered ConflictException: the recovery instance is not ready yet."""


class InconsistentPlan(ConfiguratorError):
    """The chunks of one PairsMatched disagree; the message is retried, then parked."""
