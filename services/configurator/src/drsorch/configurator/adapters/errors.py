"""botocore errors as the configurator's own: transient (retry later) or refused (reject)."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from drsorch.configurator.errors import ConfiguratorError, Refused, Transient
from drsorch.contracts.types import Place

# Codes that mean "not now" rather than "never": throttling and server-side faults.
TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "InternalServerException",
        "InternalError",
        "ServiceUnavailable",
        "Unavailable",
    }
)


def code_of(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


def translate(error: Exception, operation: str, place: Place) -> ConfiguratorError:
    """The configurator's error for a failed AWS call, naming the call and where it was made."""
    if isinstance(error, ClientError):
        code = code_of(error)
        message = error.response.get("Error", {}).get("Message", "")
        text = f"{operation} in {place}: {code}: {message}"
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code in TRANSIENT_CODES or status >= 500:
            return Transient(text, retry_after=_retry_after(error))
        return Refused(text)
    if isinstance(error, BotoCoreError):  # connection reset, read timeout, ...
        return Transient(f"{operation} in {place}: {error}")
    raise error


def _retry_after(error: ClientError) -> float | None:
    raw = error.response.get("retryAfterSeconds") or error.response.get("ResponseMetadata", {}).get(
        "HTTPHeaders", {}
    ).get("retry-after")
    try:
        return float(str(raw)) if raw is not None else None
    except (TypeError, ValueError):
        return None
