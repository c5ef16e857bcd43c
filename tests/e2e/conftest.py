"""Every AWS action the services call during the end-to-end suite, recorded for the IAM proof.

`DRSORCH_AWS_CALLS_FILE` names one file for the whole session: the in-process workers
and the worker processes (which inherit it) append each (service, hub or spoke,
action) they call once. `tests/e2e/test_least_privilege.py`, run last, compares it
with the roles in the templates.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from drsorch.runtime.calls import CALLS_FILE_VARIABLE

PROOF_MODULE = "test_least_privilege.py"


@pytest.fixture(scope="session", autouse=True)
def aws_calls_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("iam") / "aws-calls.jsonl"
    path.touch()
    previous = os.environ.get(CALLS_FILE_VARIABLE)
    os.environ[CALLS_FILE_VARIABLE] = str(path)
    yield path
    if previous is None:
        os.environ.pop(CALLS_FILE_VARIABLE, None)
    else:
        os.environ[CALLS_FILE_VARIABLE] = previous


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The proof reads what the rest of the suite recorded: it runs after every other test."""
    items.sort(key=lambda item: item.path.name == PROOF_MODULE)
