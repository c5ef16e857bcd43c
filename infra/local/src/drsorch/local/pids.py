"""Is a PID still our endpoint, and how to stop it for good."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

POLL_SECONDS = 0.05
_SERVE_MARKERS = (b"drsorch.local", b"serve")


def is_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie (reaping it if it is our child)."""
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _proc_state(pid) != "Z"


def is_endpoint(pid: int) -> bool:
    """True when the PID runs `drsorch.local serve` (a recycled PID does not)."""
    if not is_alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return not Path("/proc/self").exists()  # no procfs here: trust the PID
    except OSError:
        return False
    return all(marker in cmdline for marker in _SERVE_MARKERS)


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while is_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_SECONDS)
    return True


def terminate(pid: int, timeout: float) -> bool:
    """SIGTERM, wait up to `timeout`, then SIGKILL. True when SIGKILL was needed."""
    _signal(pid, signal.SIGTERM)
    if wait_gone(pid, timeout):
        return False
    _signal(pid, signal.SIGKILL)
    if not wait_gone(pid, timeout):
        raise TimeoutError(f"process {pid} survived SIGKILL for {timeout:.0f} s")
    return True


def _signal(pid: int, signum: signal.Signals) -> None:
    # A detached endpoint leads its own process group: signal the whole group.
    with contextlib.suppress(ProcessLookupError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, signum)
        else:
            os.kill(pid, signum)


def _proc_state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return "?"
    # The state follows the command name, which is in parentheses and may hold spaces.
    return stat.rsplit(")", 1)[-1].split()[0]
