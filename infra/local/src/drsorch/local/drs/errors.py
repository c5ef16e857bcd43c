"""DRS errors as the API models them: one exception per modelled error shape.

Each knows its HTTP status, its `x-amzn-ErrorType` and its modelled members, so the
wire layer can answer exactly what botocore expects to parse.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DrsError(Exception):
    """An error the DRS API answers with; subclasses are the modelled error shapes."""

    error_type: ClassVar[str] = "InternalServerException"
    status: ClassVar[int] = 500

    def __init__(self, message: str, **members: Any) -> None:
        super().__init__(message)
        self.message = message
        self.members = {key: value for key, value in members.items() if value is not None}

    def body(self) -> dict[str, Any]:
        """The JSON body: message plus the modelled members."""
        return {"message": self.message, **self.members}

    def headers(self) -> dict[str, str]:
        """Response headers; botocore reads the error code from x-amzn-ErrorType."""
        return {"x-amzn-ErrorType": self.error_type}


class ValidationError(DrsError):
    """400 ValidationException, with reason and fieldList."""

    error_type = "ValidationException"
    status = 400

    def __init__(
        self,
        message: str,
        *,
        reason: str = "fieldValidationFailed",
        fields: list[tuple[str, str]] | None = None,
    ) -> None:
        field_list = [{"name": name, "message": text} for name, text in fields or []]
        super().__init__(message, reason=reason, fieldList=field_list or None)


class UninitializedAccountError(DrsError):
    """400 UninitializedAccountException: InitializeService was never called here."""

    error_type = "UninitializedAccountException"
    status = 400

    def __init__(self, message: str = "Account not initialized") -> None:
        super().__init__(message)


class ServiceQuotaExceededError(DrsError):
    """402 ServiceQuotaExceededException."""

    error_type = "ServiceQuotaExceededException"
    status = 402

    def __init__(
        self,
        message: str,
        *,
        quota_code: str,
        resource_type: str,
        resource_id: str | None = None,
    ) -> None:
        super().__init__(
            message,
            quotaCode=quota_code,
            serviceCode="drs",
            resourceType=resource_type,
            resourceId=resource_id,
        )


class AccessDeniedError(DrsError):
    """403 AccessDeniedException."""

    error_type = "AccessDeniedException"
    status = 403


class ResourceNotFoundError(DrsError):
    """404 ResourceNotFoundException."""

    error_type = "ResourceNotFoundException"
    status = 404

    def __init__(self, message: str, *, resource_id: str, resource_type: str) -> None:
        super().__init__(message, resourceId=resource_id, resourceType=resource_type)


class ConflictError(DrsError):
    """409 ConflictException."""

    error_type = "ConflictException"
    status = 409

    def __init__(
        self, message: str, *, resource_id: str | None = None, resource_type: str | None = None
    ) -> None:
        super().__init__(message, resourceId=resource_id, resourceType=resource_type)


class ThrottlingError(DrsError):
    """429 ThrottlingException; Retry-After carries retryAfterSeconds."""

    error_type = "ThrottlingException"
    status = 429

    def __init__(self, message: str, *, retry_after_seconds: int, quota_code: str | None = None):
        super().__init__(message, serviceCode="drs", quotaCode=quota_code)
        self.retry_after_seconds = retry_after_seconds

    def headers(self) -> dict[str, str]:
        return {**super().headers(), "Retry-After": str(self.retry_after_seconds)}


class InternalServerError(DrsError):
    """500 InternalServerException (a fault: clients retry it)."""

    error_type = "InternalServerException"
    status = 500

    def __init__(self, message: str, *, retry_after_seconds: int | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds

    def headers(self) -> dict[str, str]:
        extra = (
            {}
            if self.retry_after_seconds is None
            else {"Retry-After": str(self.retry_after_seconds)}
        )
        return {**super().headers(), **extra}


def not_found(resource_type: str, resource_id: str) -> ResourceNotFoundError:
    """The usual 404 for a missing resource."""
    label = resource_type.replace("_", " ")
    return ResourceNotFoundError(
        f"{label} {resource_id} not found", resource_id=resource_id, resource_type=resource_type
    )
