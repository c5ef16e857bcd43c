"""The run's record of AWS calls for the least-privilege proof, shared by pytest-xdist processes.

`make test` runs the suite in two pytest-xdist processes. Both append to one calls file
(one `write` per line, see drsorch.runtime.calls) in the run's shared temporary folder,
and each notes there every end-to-end test it has finished, so the proof can wait for
the recording tests that run in the other process.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FINISHED_FILE = "finished.txt"


def record_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's folder for the record: shared by all pytest-xdist processes of one run."""
    base = tmp_path_factory.getbasetemp()
    # A pytest-xdist process's base is `<the run's base>/popen-gwN`.
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / "iam"
    folder.mkdir(exist_ok=True)
    return folder


def note_finished(folder: Path, nodeid: str) -> None:
    """Append one finished test, in one `write`, so both processes may share the file."""
    fd = os.open(folder / FINISHED_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (nodeid + "\n").encode())
    finally:
        os.close(fd)


def finished_tests(folder: Path) -> set[str]:
    """Node IDs of the end-to-end tests finished so far, by any process of the run."""
    path = folder / FINISHED_FILE
    return set(path.read_text().splitlines()) if path.exists() else set()
