"""botocore's DRS service model (2020-02-26), loaded once: the source of truth for the wire."""

from __future__ import annotations

from functools import cache

import botocore.session
from botocore.model import OperationModel, ServiceModel


@cache
def service_model() -> ServiceModel:
    """The `drs` service model installed with botocore."""
    return botocore.session.get_session().get_service_model("drs")


@cache
def operation(name: str) -> OperationModel | None:
    """The model of one operation, or None when DRS has no such operation."""
    model = service_model()
    return model.operation_model(name) if name in model.operation_names else None


def success_status(name: str) -> int:
    """The HTTP status DRS answers this operation with on success (200, 201, 202 or 204)."""
    op = operation(name)
    return int(op.http.get("responseCode", 200)) if op is not None else 200
