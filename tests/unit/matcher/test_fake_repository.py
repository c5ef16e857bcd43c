"""The fake plan repository passes the suite the DynamoDB adapter passes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from drsorch.matcher.ports import PlanRepository
from support.matcher_fakes import FakePlanRepository
from support.matcher_repository_contract import SUITE


@pytest.mark.parametrize("behaviour", SUITE, ids=lambda f: f.__name__)
async def test_fake_plan_repository(
    behaviour: Callable[[PlanRepository], Awaitable[None]],
) -> None:
    await behaviour(FakePlanRepository())
