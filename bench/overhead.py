"""drsorch's own overhead: a 1,000-server failback with DRS answering instantly.

Every simulated DRS duration is zero (jobs, launches, reverse replication's sync), and
the replicating-servers quota is raised so all `BENCH_OVERHEAD_SERVERS` (default 1000)
servers can replicate at once; what is left is drsorch: its four services, the bus,
DynamoDB and the calls themselves. The services run as a process each, as they are
deployed (`BENCH_OVERHEAD_SERVICES=tasks`: as in-process workers on one event loop), and
the endpoint in a process of its own, as AWS is apart from a deployment
(`BENCH_OVERHEAD_ENDPOINT=thread`: in a thread of this process). The request is planned
and approved first; the figure is the apply's wall time, from its request to its
RequestCompleted (issue 14 item 5: under 20 s on 2 cores, at most 3 DRS calls per
server), beside the CPU time over the apply of every process involved (`cpu_s`). Prints
when each event arrived on stderr, then one JSON line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from bench import economy, monitor
from bench.local import deploy, drs_admin, endpoint, endpoint_process
from drsorch.cli.workers import Workers
from drsorch.configurator.settings import ConfiguratorSettings
from drsorch.local.estate import parse_estate, seed_estate

N = int(os.environ.get("BENCH_OVERHEAD_SERVERS", "1000"))
INSTANT = ", ".join(
    f"{name}: {{min_seconds: 0, max_seconds: 0}}"
    for name in (
        "job_pending",
        "cleanup",
        "snapshot",
        "conversion",
        "launch",
        "job_end",
        "recovery_instance_initializing",
        "replication_initiating",
        "initial_sync",
        "rescan",
    )
)
ESTATE = re.sub(
    r"^drs: .*$",
    f"drs:\n  seed: 5\n  clock: {{scale: 1}}\n  timings: {{{INSTANT}}}\n"
    f"  quotas: {{replicating_servers: {2 * N}}}\n  call_log_limit: 1000000",
    monitor.ESTATE.replace(f"count: {monitor.N}", f"count: {N}"),
    flags=re.MULTILINE,
)


APART = os.environ.get("BENCH_OVERHEAD_ENDPOINT", "process") != "thread"
"""The endpoint in a process of its own (the default), or a thread of this one (`thread`)."""
PROCESSES = os.environ.get("BENCH_OVERHEAD_SERVICES", "processes") != "tasks"
"""The four services as a process each (the default), as deployed, or as in-process
workers on this process's event loop (`tasks`)."""


def _operations(url: str, *, clear: bool = False) -> list[str]:
    """The operations of the emulator's call log (every call DRS received); emptied after."""
    if not APART:
        return [record.operation for record in economy.calls_so_far(clear=clear)]
    operations = [str(call["operation"]) for call in drs_admin(url, "/calls")["calls"]]
    if clear:
        drs_admin(url, "/calls", method="DELETE")
    return operations


def _cpu(pids: list[int]) -> float:
    """CPU seconds so far of this process and of the others named (the endpoint's, the
    workers')."""
    return time.process_time() + monitor.cpu_seconds(pids)


@contextlib.contextmanager
def _endpoint() -> Iterator[tuple[str, int | None]]:
    if APART:
        with endpoint_process(monitor.PRIMARY, ESTATE, "bench-overhead") as (url, pid):
            yield url, pid
    else:
        with endpoint(monitor.PRIMARY) as local:
            seed_estate(parse_estate(ESTATE, "bench-overhead"))
            yield local.url, None


def main() -> None:
    with _endpoint() as (url, pid), tempfile.TemporaryDirectory() as folder:
        topology = deploy("bmon")
        _operations(url, clear=True)
        cpu: list[float] = []
        workers = Workers(Path(folder)) if PROCESSES else None

        def others() -> list[int]:
            running = [w.pid for w in workers.running()] if workers is not None else []
            return running + ([pid] if pid is not None else [])

        def plan_done() -> None:
            _operations(url, clear=True)  # the figures are the apply's alone
            cpu.append(_cpu(others()))

        # The configurator is told of the raised quota too, or it pipelines the failback
        # through 300 slots (issue 14 item 3) and the figure measures the pipeline.
        settings = ConfiguratorSettings(retry_seconds=1, replicating_servers_quota=2 * N)
        seen = asyncio.run(
            monitor.run(
                topology,
                settings,
                before_apply=plan_done,
                processes=Path(folder) if PROCESSES else None,
                after_apply=lambda: cpu.append(_cpu(others())),
            )
        )
        calls = _operations(url)
    by_type: dict[str, list[float]] = {}
    for at, envelope in sorted(seen.values(), key=lambda pair: pair[0]):
        by_type.setdefault(envelope.type, []).append(at)
    for kind, times in by_type.items():
        print(f"  {kind:<18} {times[0]:6.1f} {times[-1]:6.1f} s ({len(times)})", file=sys.stderr)
    operations = Counter(calls)
    print(f"  DRS calls by operation: {dict(operations.most_common())}", file=sys.stderr)
    done = [e.payload for _, e in seen.values() if e.type == "RequestCompleted"]
    lines = [line for chunk in done for line in getattr(chunk, "servers", ())]
    print(
        json.dumps(
            {
                "case": "failback-overhead-instant-drs",
                "servers": N,
                "status": getattr(done[0], "status", None) if done else None,
                "recovered": sum(1 for line in lines if line.outcome == "recovered"),
                "wall_s": round(max(by_type["RequestCompleted"]), 1),
                "drs_calls_per_server": round(len(calls) / N, 2),
                "endpoint": "process" if APART else "thread",
                "services": "processes" if PROCESSES else "tasks",
                # CPU time over the apply, the services' and the endpoint's: on a machine
                # shared with other runs, a figure load leaves alone.
                "cpu_s": round(cpu[-1] - cpu[0], 1),
            }
        )
    )
