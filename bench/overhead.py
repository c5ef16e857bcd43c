"""drsorch's own overhead: a 1,000-server failback with DRS answering instantly.

Every simulated DRS duration is zero (jobs, launches, reverse replication's sync), and
the replicating-servers quota is raised so all `BENCH_OVERHEAD_SERVERS` (default 1000)
servers can replicate at once; what is left is drsorch: its four services as in-process
workers, the bus, DynamoDB and the calls themselves. The request is planned and
approved first; the figure is the apply's wall time, from its request to its
RequestCompleted (issue 14 item 5: under 20 s on 2 cores, at most 3 DRS calls per
server). Prints when each event arrived on stderr, then one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections import Counter

from bench import economy, monitor
from bench.local import deploy, endpoint
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


def main() -> None:
    with endpoint(monitor.PRIMARY):
        seed_estate(parse_estate(ESTATE, "bench-overhead"))
        topology = deploy("bmon")
        economy.calls_so_far(clear=True)
        planned: list[object] = []

        def plan_done() -> None:
            planned.extend(economy.calls_so_far(clear=True))

        # The configurator is told of the raised quota too, or it pipelines the failback
        # through 300 slots (issue 14 item 3) and the figure measures the pipeline.
        settings = ConfiguratorSettings(retry_seconds=1, replicating_servers_quota=2 * N)
        seen = asyncio.run(monitor.run(topology, settings, before_apply=plan_done))
        calls = economy.calls_so_far()
    by_type: dict[str, list[float]] = {}
    for at, envelope in sorted(seen.values(), key=lambda pair: pair[0]):
        by_type.setdefault(envelope.type, []).append(at)
    for kind, times in by_type.items():
        print(f"  {kind:<18} {times[0]:6.1f} {times[-1]:6.1f} s ({len(times)})", file=sys.stderr)
    operations = Counter(record.operation for record in calls)
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
            }
        )
    )
