"""Every AWS action the services call during the end-to-end suite, recorded for the IAM proof.

`DRSORCH_AWS_CALLS_FILE` names one file for the whole run: the in-process workers
and the worker processes (which inherit it) append each (service, hub or spoke,
action) they call once. `tests/e2e/test_least_privilege.py`, run last, compares it
with the roles in the templates. Under pytest-xdist the file is shared by the run's
processes (support/iam_record.py) and the proof waits for the recording tests that
run in the other process.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from drsorch.runtime.calls import CALLS_FILE_VARIABLE
from support.iam_record import note_finished, record_folder

PROOF_MODULE = "test_least_privilege.py"
HERE = Path(__file__).parent
_RECORD = pytest.StashKey[Path]()


@pytest.fixture(scope="session", autouse=True)
def aws_calls_file(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    path = record_folder(tmp_path_factory) / "aws-calls.jsonl"
    path.touch()
    request.config.stash[_RECORD] = path.parent
    previous = os.environ.get(CALLS_FILE_VARIABLE)
    os.environ[CALLS_FILE_VARIABLE] = str(path)
    yield path
    if previous is None:
        os.environ.pop(CALLS_FILE_VARIABLE, None)
    else:
        os.environ[CALLS_FILE_VARIABLE] = previous


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """Note an end-to-end test as finished once its set-up, call and tear-down are over
    (services stopped with their module are done calling by then)."""
    result = yield
    folder = item.config.stash.get(_RECORD, None)
    if folder is not None and HERE in item.path.parents:
        note_finished(folder, item.nodeid)
    return result


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The proof reads what the rest of the suite recorded: it runs after every other test."""
    items.sort(key=lambda item: item.path.name == PROOF_MODULE)
