"""The endpoint's state folder and the `drsorch local` flags, without starting an endpoint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from drsorch.cli.main import app
from drsorch.local import pids, process
from drsorch.local.statefiles import STATE_DIR_ENV, EndpointRecord, StateFiles, default_state_dir


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_state_folder_defaults_under_the_current_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(STATE_DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert default_state_dir() == tmp_path / ".drsorch" / "local"
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path / "elsewhere"))
    assert default_state_dir() == tmp_path / "elsewhere"


def test_a_stale_pid_file_is_cleaned_up(tmp_path: Path) -> None:
    files = StateFiles(tmp_path)
    files.write(EndpointRecord(pid=_dead_pid(), host="127.0.0.1", port=4566))

    result = process.status(tmp_path)

    assert not result.running
    assert not files.pid_file.exists()
    assert not files.record_file.exists()


def test_a_pid_that_is_not_an_endpoint_counts_as_stale(tmp_path: Path) -> None:
    files = StateFiles(tmp_path)
    files.write(EndpointRecord(pid=1, host="127.0.0.1", port=4566))  # init, never an endpoint

    assert process.down(tmp_path).record is None
    assert not files.pid_file.exists()


def test_a_dead_pid_is_not_alive() -> None:
    assert not pids.is_alive(_dead_pid())
    assert not pids.is_endpoint(_dead_pid())


def test_terminate_escalates_to_sigkill_when_sigterm_is_ignored() -> None:
    stubborn = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, sys; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('ready', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert stubborn.stdout is not None
    assert stubborn.stdout.readline() == "ready\n"  # SIGTERM is ignored from here on

    assert pids.terminate(stubborn.pid, timeout=0.5) is True
    assert not pids.is_alive(stubborn.pid)


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["local", "up", "--port", "70000"], "--port"),
        (["local", "up", "--port", "http"], "--port"),
        # An estate is answered as `estate check` answers it: the file, and what is wrong.
        (["local", "up", "--estate", "/no/such/estate.yaml"], "/no/such/estate.yaml"),
        (["local", "down", "--bogus"], "--bogus"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(args: list[str], flag: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert flag in result.output


def test_status_of_nothing_exits_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["local", "status", "--state-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "not running" in result.output
