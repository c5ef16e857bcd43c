"""The local endpoint the end-to-end benchmarks run on: in this process, on a free port.

Not a benchmark itself (it is not in `BENCHMARKS`): `endpoint` starts moto's server and
the DRS emulator with test credentials, and `deploy` puts the drsorch stack on it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator

import boto3

from drsorch.local.deploy import StackOutputs, deploy_stack
from drsorch.local.server import LocalEndpoint


@contextlib.contextmanager
def endpoint(region: str) -> Iterator[LocalEndpoint]:
    """An endpoint every boto3 client of this process talks to, until exit."""
    # The figures, not moto's notes on the template resources drsorch.local.deploy fills in.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("moto").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", "Tried to parse AWS", UserWarning)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=region
    )
    local = LocalEndpoint(port=0).start()
    local.reset()  # moto's and the emulator's state live in the process: start empty
    os.environ["AWS_ENDPOINT_URL"] = local.url
    try:
        yield local
    finally:
        local.stop()


def deploy(name: str) -> StackOutputs:
    """The drsorch stack as `name`, its physical names prefixed the same."""
    return deploy_stack(
        boto3.client("cloudformation"),
        boto3.client("sns"),
        boto3.client("sqs"),
        boto3.client("cloudwatch"),
        stack_name=name,
        parameters={"Prefix": name},
    )
