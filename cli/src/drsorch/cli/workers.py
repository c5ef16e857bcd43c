"""The four services as worker processes (`python -m drsorch.<service>`), started and stopped.

Each worker runs in a session of its own (a Ctrl-C in the terminal reaches the one
who started it, who stops them in order), logs to `<folder>/<service>.log`, and is
recorded in `<folder>/workers.json` so a later run can stop what an interrupted one
left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from drsorch.local import pids

SERVICES = ("discovery", "matcher", "configurator", "monitor")
READY_MARK = '"message":"consuming"'
STOP_SECONDS = 15.0
POLL_SECONDS = 0.1

FAST_LOCAL = {
    # Long polls end sooner, so workers stop quickly when asked.
    "DRSORCH_WAIT_SECONDS": "5",
    # A local DRS on a fast simulated clock finishes jobs in seconds: poll it that often.
    "DRSORCH_MONITOR_POLL_MIN_SECONDS": "1",
    "DRSORCH_MONITOR_POLL_MAX_SECONDS": "3",
    "DRSORCH_MONITOR_READINESS_POLL_SECONDS": "1",
    "DRSORCH_MONITOR_CAPACITY_RETRY_SECONDS": "2",
    "DRSORCH_MONITOR_BATCH_LINGER_SECONDS": "0",
    "DRSORCH_MONITOR_WAKE_DELAY_SECONDS": "0.5",
    "DRSORCH_CONFIGURATOR_RETRY_SECONDS": "2",
}
"""Settings for workers against the local stack, where DRS runs on a fast simulated clock."""


class WorkerError(Exception):
    """A worker did not start, or exited while starting."""


@dataclass(frozen=True)
class Worker:
    service: str
    pid: int
    log: Path


class Workers:
    """The workers of one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.record = folder / "workers.json"

    def start(
        self, env: Mapping[str, str], per_service: Mapping[str, Mapping[str, str]] | None = None
    ) -> list[Worker]:
        """Stop leftovers, then start one worker per service (`per_service`: its own
        variables on top of `env`, e.g. the credentials of the service's own role)."""
        self.stop()
        self.folder.mkdir(parents=True, exist_ok=True)
        own = per_service or {}
        started = [self._spawn(service, {**env, **own.get(service, {})}) for service in SERVICES]
        payload = [{"service": w.service, "pid": w.pid, "log": str(w.log)} for w in started]
        self.record.write_text(json.dumps(payload), encoding="utf-8")
        return started

    def _spawn(self, service: str, env: Mapping[str, str]) -> Worker:
        log = self.folder / f"{service}.log"
        with log.open("wb") as out:
            child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", f"drsorch.{service}"],
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return Worker(service, child.pid, log)

    def running(self) -> list[Worker]:
        """The recorded workers still alive."""
        try:
            rows = json.loads(self.record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        workers = [Worker(r["service"], int(r["pid"]), Path(r["log"])) for r in rows]
        return [w for w in workers if pids.is_alive(w.pid) and _is_worker(w)]

    def wait_ready(self, timeout: float) -> None:
        """Until every worker has said it consumes its queue; `WorkerError` otherwise."""
        deadline = time.monotonic() + timeout
        waiting = {w.service: w for w in self.running()}
        while waiting:
            for service, worker in list(waiting.items()):
                if READY_MARK in worker.log.read_text(encoding="utf-8", errors="replace"):
                    del waiting[service]
                elif not pids.is_alive(worker.pid):
                    raise WorkerError(f"{service} exited while starting; see {worker.log}")
            if waiting and time.monotonic() > deadline:
                raise WorkerError(f"not consuming after {timeout:.0f} s: {', '.join(waiting)}")
            time.sleep(POLL_SECONDS)

    def stop(self) -> int:
        """SIGTERM every recorded worker at once (SIGKILL after a deadline); how many ran."""
        workers = self.running()
        for worker in workers:
            _signal(worker.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for worker in workers:
            if not pids.wait_gone(worker.pid, max(0.0, deadline - time.monotonic())):
                _signal(worker.pid, signal.SIGKILL)
                pids.wait_gone(worker.pid, STOP_SECONDS)
        self.record.unlink(missing_ok=True)
        return len(workers)


def _signal(pid: int, signum: signal.Signals) -> None:
    # Each worker leads its own session: signal its whole group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signum)


def _is_worker(worker: Worker) -> bool:
    """A recycled PID is not our worker: check the command line where /proc tells it."""
    try:
        cmdline = Path(f"/proc/{worker.pid}/cmdline").read_bytes()
    except OSError:
        return True
    return f"drsorch.{worker.service}".encode() in cmdline
