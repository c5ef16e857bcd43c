"""Shared test set-up: the local AWS endpoint, served in-process on a free port."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest

from drsorch.local.server import LocalEndpoint
from support.aws import LOCAL_SPOKES

# Tests must never reach a real AWS account, whatever the developer's shell holds.
for _name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(_name, None)
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ["AWS_MAX_ATTEMPTS"] = "2"  # moto answers 500 for what it lacks; fail fast
os.environ.update(LOCAL_SPOKES)  # the deployment's spoke access, for services run in-process
logging.getLogger("werkzeug").setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def endpoint() -> Iterator[LocalEndpoint]:
    """One local endpoint (moto + drsorch plugins) for the whole test session.

    `AWS_ENDPOINT_URL` points every boto3/aiobotocore client created afterwards at it,
    exactly as a user's shell would.
    """
    local = LocalEndpoint(port=0).start()
    os.environ["AWS_ENDPOINT_URL"] = local.url
    try:
        yield local
    finally:
        os.environ.pop("AWS_ENDPOINT_URL", None)
        local.stop()
