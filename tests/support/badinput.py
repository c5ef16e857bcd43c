"""Running one bad input and measuring it: time, peak memory, exit code, output.

In-process runs measure memory with tracemalloc (the peak of Python allocations during
the call); subprocess runs read the command's own maximum resident size from `wait4`.
Every bad input must finish in `SECONDS` and stay under `BYTES`.

Linux keeps a process's peak resident size across `execve`, and a child made by
`vfork` shares its parent's memory until then: a command started straight from the
test process would report the test process's size. So a small launcher starts it and
reports the command's own peak.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

SECONDS = 10.0
BYTES = 300 * 1024 * 1024
# Run argv[2:], pass its exit code on, and write its own peak resident size (bytes) to argv[1].
LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss * 1024))
sys.exit(os.waitstatus_to_exitcode(status))
"""
T = TypeVar("T")


@dataclass(frozen=True)
class Measured:
    """What one bad input cost and said."""

    code: int
    out: str
    seconds: float
    peak_bytes: int

    def assert_clear(self, code: int, *named: str) -> None:
        """The documented exit code, no traceback, every `named` text shown, within bounds."""
        assert self.code == code, f"exit {self.code}, not {code}:\n{self.out}"
        assert "Traceback" not in self.out, self.out
        for text in named:
            assert text in self.out, f"{text!r} not named:\n{self.out}"
        assert self.seconds < SECONDS, f"took {self.seconds:.1f} s"
        assert self.peak_bytes < BYTES, f"peaked at {self.peak_bytes / 2**20:.0f} MiB"


def in_process(call: Callable[[], T]) -> tuple[T, float, int]:
    """`call()`'s result, its duration and its peak of Python allocations."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = call()
    finally:
        seconds = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return result, seconds, peak


def subprocess_run(
    args: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Measured:
    """A command run to its end (killed past the limit), with its own peak resident size."""
    started = time.monotonic()
    fd, peak_file = tempfile.mkstemp(prefix="drsorch-peak-")
    os.close(fd)
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, peak_file, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=dict(env) if env is not None else None,
        cwd=cwd,
        start_new_session=True,
    )
    # A hang fails the test, not the run: the launcher and the command go together.
    killer = threading.Timer(SECONDS * 2, os.killpg, (process.pid, signal.SIGKILL))
    killer.start()
    try:
        out, _ = process.communicate()
    finally:
        killer.cancel()
    seconds = time.monotonic() - started
    peak = Path(peak_file)
    text = peak.read_text()
    peak.unlink()
    return Measured(process.returncode, out.decode(errors="replace"), seconds, int(text or 0))


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]
