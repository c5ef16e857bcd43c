"""DRS integration fixtures: a clean emulator and moto for every test, the clock frozen."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from drsorch.local.server import LocalEndpoint, reset_state
from integration.local_drs.drs_world import DrsWorld


@pytest.fixture
def world(endpoint: LocalEndpoint) -> Iterator[DrsWorld]:
    """Empty EC2 and DRS state; the simulated clock moves only when a test advances it."""
    here = DrsWorld(endpoint.url, boto3.Session())
    _reset(here)
    here.admin("PUT", "/settings", {"seed": 7, "clock": {"scale": 0}})
    yield here
    _reset(here)
    here.admin("PUT", "/settings", {})


def _reset(world: DrsWorld) -> None:
    reset_state(world.url)
