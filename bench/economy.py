"""DRS calls per server, by operation, on the 500-server failback with 20% throttling.

The in-process endpoint is seeded with `BENCH_ECONOMY_SERVERS` (default 500) failed-over
servers in three waves; every DRS operation is throttled at `BENCH_ECONOMY_THROTTLE`
(default 0.2, answered 429 with a one-second Retry-After). The four services run as
in-process workers through one whole failback. The figures come from the DRS emulator's
own call log: every call DRS received, throttled ones included, so retries count.
The goal (issue 10) is at most 3 DRS calls per server.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections import Counter

from bench import monitor
from bench.local import deploy, endpoint
from drsorch.local.drs.calls import CallRecord
from drsorch.local.drs.emulator import default_emulator
from drsorch.local.estate import parse_estate, seed_estate

N = int(os.environ.get("BENCH_ECONOMY_SERVERS", "500"))
THROTTLE = float(os.environ.get("BENCH_ECONOMY_THROTTLE", "0.2"))
GOAL = 3.0
ESTATE = re.sub(
    r"^drs: .*$",
    # One account holding all 500: a replicating-servers quota raised beyond DRS's 300.
    f"drs:\n  seed: 5\n  clock: {{scale: {monitor.SCALE}}}\n"
    "  quotas: {replicating_servers: 1000}\n  call_log_limit: 1000000\n"
    "  faults:\n    operations:\n"
    f'      "*": {{throttle_rate: {THROTTLE}, retry_after_seconds: 1}}',
    monitor.ESTATE.replace(f"count: {monitor.N}", f"count: {N}"),
    flags=re.MULTILINE,
)


def calls_so_far(clear: bool = False) -> list[CallRecord]:
    """The emulator's call log (every call DRS received, throttled ones included)."""
    emulator = default_emulator()
    with emulator.lock:
        records = list(emulator.calls.records())
        if clear:
            emulator.calls.clear()
    return records


def print_calls(servers: int, records: list[CallRecord]) -> None:
    calls = Counter(r.operation for r in records)
    throttled = Counter(r.operation for r in records if r.error_code == "ThrottlingException")
    total = sum(calls.values())
    print(f"  DRS calls: {total} for {servers} servers, {total / servers:.2f} per server")
    print(f"    {'operation':<30} {'calls':>7} {'per server':>11} {'throttled':>10}")
    for operation, count in calls.most_common():
        print(f"    {operation:<30} {count:>7} {count / servers:>11.2f} {throttled[operation]:>10}")
    verdict = "within" if total / servers <= GOAL else "ABOVE"
    print(f"  {verdict} the goal of {GOAL:g} DRS calls per server")


def main() -> None:
    with endpoint(monitor.PRIMARY):
        t0 = time.perf_counter()
        seed_estate(parse_estate(ESTATE, "bench-economy"))
        print(f"{N} failed-over servers seeded in {time.perf_counter() - t0:.1f} s")
        print(f"  every DRS operation throttled at {THROTTLE:.0%}")
        topology = deploy("bmon")
        calls_so_far(clear=True)
        planned: list[CallRecord] = []

        def plan_done() -> None:
            # The figures are the apply's alone; the plan's calls are shown apart.
            planned.extend(calls_so_far(clear=True))

        t0 = time.perf_counter()
        seen = asyncio.run(monitor.run(topology, before_apply=plan_done))
        print(f"  planned and applied in {time.perf_counter() - t0:.1f} s")
        print(f"  the plan-only request made {len(planned)} DRS calls")
        done = [e.payload for _, e in seen.values() if e.type == "RequestCompleted"]
        print(f"  status {getattr(done[0], 'status', '?') if done else 'none'}")
        print_calls(N, calls_so_far())
