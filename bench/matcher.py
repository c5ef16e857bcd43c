"""How fast the matcher pairs: `python -m bench matcher`.

A failback estate of N source servers against N candidate targets in four
accounts: 60% carry lineage (a tenth of those with their target renamed since
failover), 30% match by a noisy Name (case, spaces, `-dr`), 5% have a similar but
unequal name (suggestions) and 5% nothing. Times `drsorch.matcher.domain.match`
alone, the median of several runs (wall clock, and the process's CPU time, which
other work on the machine disturbs less), and prints pairs per second. The estate
is built before timing and frozen out of the garbage collector's reach
(`gc.freeze`), as long-lived input is; the collector still runs during `match`.
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import time

from drsorch.matcher.domain import match
from drsorch.matcher.names import NameRules
from drsorch.matcher.records import MatchRules, SourceServer, TargetInstance

SIZES = (1_000, 10_000, 100_000)
RUNS = 5
ACCOUNTS = tuple(f"{n:012d}" for n in (111111111111, 222222222222, 333333333333, 444444444444))
PRIMARY, RECOVERY = "us-east-1", "us-west-2"


def estate(n: int, seed: int = 7) -> tuple[list[SourceServer], list[TargetInstance]]:
    """`n` servers and `n` targets in the mix the module docstring describes."""
    rng = random.Random(seed)
    servers: list[SourceServer] = []
    targets: list[TargetInstance] = []
    for i in range(n):
        account = ACCOUNTS[i % len(ACCOUNTS)]
        name = f"app-{i:06d}-{rng.choice(('web', 'db', 'api', 'batch'))}"
        instance = f"i-{i:017x}"
        kind = rng.random()
        lineage = kind < 0.60
        if lineage:
            target_name = name if rng.random() > 0.1 else f"renamed-{i}"
        elif kind < 0.90:
            target_name = f"  {name.upper()}   -dr "
        elif kind < 0.95:
            target_name = name.replace("-", "", 1)
        else:
            target_name = f"spare-{i:06d}"
        server_id = f"s-{i:017x}"
        servers.append(
            SourceServer(
                source_server_id=server_id,
                account_id=account,
                region=RECOVERY,
                name=name,
                wave=i % 10,
                # What discovery reports after a failover: the ARN, the reversed-direction
                # server, the recovery instance; lineage through awsInstanceID for most.
                arn=f"arn:aws:drs:{RECOVERY}:{account}:source-server/{server_id}",
                origin_instance_id=instance if lineage else None,
                reversed_direction_server_arn=f"arn:aws:drs:{PRIMARY}:{account}:source-server/s-{i:017d}",
                recovery_instance_id=f"i-{i + 10**9:017x}",
                recovery_ec2_instance_id=f"i-{i + 10**9:017x}",
            )
        )
        targets.append(TargetInstance(instance, account, PRIMARY, target_name, "stopped"))
    rng.shuffle(targets)
    return servers, targets


def main() -> None:
    rules = MatchRules(
        operation="failback",
        launch_region=PRIMARY,
        launch_into="required",
        names=NameRules.build((), (), (PRIMARY, RECOVERY)),
    )
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; {RUNS} runs each")
    print(
        f"{'servers':>8} {'targets':>8} {'wall s':>7} {'pairs/s':>9} {'cpu s':>6} {'pairs/s':>9}"
        "  pairs unmatched ambiguous suggestions"
    )
    for n in SIZES:
        servers, targets = estate(n)
        gc.collect()
        gc.freeze()
        walls, cpus = [], []
        for _ in range(RUNS):
            wall, cpu = time.perf_counter(), time.process_time()
            plan = match(servers, targets, rules)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        gc.unfreeze()
        wall, cpu, paired = statistics.median(walls), statistics.median(cpus), len(plan.pairs)
        print(
            f"{n:>8} {n:>8} {wall:>7.3f} {paired / wall:>9,.0f} {cpu:>6.3f} {paired / cpu:>9,.0f}"
            f"  {paired} {len(plan.unmatched)} {len(plan.ambiguous)} {len(plan.suggestions)}"
        )
        del servers, targets, plan


if __name__ == "__main__":
    main()
