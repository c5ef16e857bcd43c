"""The local endpoint the end-to-end benchmarks run on: in this process, on a free port.

Not a benchmark itself (it is not in `BENCHMARKS`): `endpoint` starts moto's server and
the DRS emulator with test credentials (`endpoint_process`: in a process of its own, an
estate seeded), and `deploy` puts the drsorch stack on it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import urllib.request
import warnings
from collections.abc import Iterator
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from typing import Any

import boto3

from drsorch.local.deploy import StackOutputs, deploy_stack
from drsorch.local.estate import parse_estate, seed_estate
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


def _serve(estate: str, source: str, ready: Connection, stop: Event) -> None:
    """The child process of `endpoint_process`: serve, seed, say where, wait for the stop."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("moto").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", "Tried to parse AWS", UserWarning)
    local = LocalEndpoint(port=0).start()
    try:
        local.reset()
        os.environ["AWS_ENDPOINT_URL"] = local.url
        seed_estate(parse_estate(estate, source))
        ready.send((local.url, os.getpid()))
        stop.wait()
    finally:
        local.stop()


@contextlib.contextmanager
def endpoint_process(region: str, estate: str, source: str) -> Iterator[tuple[str, int]]:
    """An endpoint in a process of its own, `estate` seeded into it; its URL (which every
    boto3 client of this process talks to, until exit) and process ID.

    As AWS is to a deployment, the endpoint is apart from the services: its work and
    theirs do not take turns on one interpreter lock, and two cores serve both.
    """
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=region
    )
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    stop = context.Event()
    child = context.Process(target=_serve, args=(estate, source, theirs, stop), daemon=True)
    child.start()
    try:
        if not ours.poll(600):
            raise RuntimeError("the endpoint process did not come up within 600 s")
        url, pid = ours.recv()
        os.environ["AWS_ENDPOINT_URL"] = url
        yield str(url), int(pid)
    finally:
        stop.set()
        child.join(timeout=30)
        if child.is_alive():
            child.terminate()


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


def drs_admin(url: str, path: str, method: str = "GET") -> Any:
    """The JSON answer of a DRS emulator admin route (`/_drsorch/drs/...`) at `url`."""
    request = urllib.request.Request(f"{url}/_drsorch/drs{path}", method=method)
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.load(answer)
