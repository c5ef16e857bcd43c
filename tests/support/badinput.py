"""Running one bad input and measuring it: time, peak memory, exit code, output.

In-process runs measure memory with tracemalloc (the peak of Python allocations during
the call); subprocess runs read the child's own maximum resident size from `wait4`.
Every bad input must finish in `SECONDS` and stay under `BYTES`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

SECONDS = 10.0
BYTES = 300 * 1024 * 1024
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
    process = subprocess.Popen(
        list(args),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=dict(env) if env is not None else None,
        cwd=cwd,
    )
    killer = threading.Timer(SECONDS * 2, process.kill)  # a hang fails the test, not the run
    killer.start()
    try:
        assert process.stdout is not None
        out = process.stdout.read()
        # wait4 reaps this child and gives its own rusage (RUSAGE_CHILDREN would be the
        # maximum over every child the test process ever had).
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        killer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    return Measured(
        process.returncode, out.decode(errors="replace"), seconds, usage.ru_maxrss * 1024
    )


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]
