"""What `make demo` expects of its failback of `infra/local/estates/demo.yaml`.

The traps must be refused or handled without a guess: the running original and the
untagged original are refused by the configurator (never launched into); the two
originals sharing a Name are paired by lineage alone, each landing in its own
instance, or reported (ambiguous, refused), never paired by that Name. Every other
server must land in its original instance, proven by instance ID.
"""

from __future__ import annotations

from drsorch.cli.report import Report
from drsorch.contracts import ServerReport

REFUSED_TRAPS = {
    "payments-app-07": "an original left running",
    "payments-app-08": "an original without the AWSDRS tag",
}
SAME_NAME = ("payments-web-01", "payments-web-02")
SERVERS = 100


def _trap_refused(name: str, why: str, server: ServerReport | None) -> list[str]:
    if server is None:
        return [f"{name} ({why}) is missing from the report"]
    if server.outcome != "rejected" or server.ec2_instance_id is not None:
        return [f"{name} ({why}) was not refused: {server.outcome}"]
    return []


def _same_name(server: ServerReport | None, name: str) -> list[str]:
    if server is None:
        return []  # reported as unmatched or ambiguous: left out, not guessed
    if server.outcome in ("rejected", "skipped"):
        return []
    if server.method != "lineage":
        return [f"{name} (two originals share its Name) was paired by {server.method}"]
    if server.outcome != "recovered" or not server.launched_into_expected:
        return [f"{name} did not land in its own original: {server.outcome}"]
    return []


def judge(report: Report) -> list[str]:
    """Every way the run differs from what the demo expects; empty when it behaved."""
    by_name = {s.server.name: s for s in report.servers if s.server.name}
    problems = (
        [f"the request ended {report.status}, not PARTIAL"] if report.status != "PARTIAL" else []
    )
    seen = len(report.servers) + len(report.unmatched) + len(report.ambiguous)
    if seen != SERVERS:
        problems.append(f"{seen} servers in the report, not {SERVERS}")
    for name, why in REFUSED_TRAPS.items():
        problems += _trap_refused(name, why, by_name.get(name))
    for name in SAME_NAME:
        problems += _same_name(by_name.get(name), name)
    landed = {s.ec2_instance_id for s in report.servers if s.ec2_instance_id}
    if len(landed) != sum(1 for s in report.servers if s.ec2_instance_id):
        problems.append("two servers landed in the same instance")
    others = [s for n, s in by_name.items() if n not in REFUSED_TRAPS and n not in SAME_NAME]
    problems += [
        f"{s.server.name} did not land where expected: {s.outcome} {s.reason or ''}".rstrip()
        for s in others
        if s.outcome != "recovered" or s.launched_into_expected is not True
    ]
    return problems
