"""botocore errors as the monitor's own: throttled, refused, unreachable, or failed."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from drsorch.contracts.types import Place
from drsorch.monitor.errors import AwsFailure, MonitorError, StartRefused, Throttled, Unreachable

THROTTLING = frozenset({"ThrottlingException", "Throttling", "RequestLimitExceeded"})
UNREACHABLE = frozenset({"UninitializedAccountException", "AccessDeniedException", "AccessDenied"})
# StartRecovery answers these without creating a job.
REFUSALS = frozenset(
    {
        "ConflictException",
        "ServiceQuotaExceededException",
        "ValidationException",
        "ResourceNotFoundException",
    }
)


def code_of(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


def translate(error: Exception, operation: str, place: Place) -> MonitorError:
    """The monitor's error for a failed AWS call, naming the call and where it was made."""
    if isinstance(error, ClientError):
        code = code_of(error)
        message = error.response.get("Error", {}).get("Message", "")
        text = f"{operation} in {place}: {code}: {message}"
        if code in THROTTLING:
            return Throttled(text, retry_after=retry_after(error))
        if code in UNREACHABLE:
            return Unreachable(text)
        if operation == "StartRecovery" and code in REFUSALS:
            return StartRefused(text)
        return AwsFailure(text, retry_after=retry_after(error))
    if isinstance(error, BotoCoreError):  # connection reset, read timeout, ...
        return AwsFailure(f"{operation} in {place}: {error}")
    raise error


def retry_after(error: ClientError) -> float | None:
    """DRS's Retry-After: botocore puts it on the error (and never waits for it itself)."""
    raw: Any = error.response.get("retryAfterSeconds") or (
        error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("retry-after")
    )
    try:
        return float(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None
