"""Lineage across staging accounts: a staging server and its extended server are one server.

Past DRS's 300 replicating servers per account and region, servers replicate in staging
accounts and are extended into the target account, where DRS shows each as a source
server of its own (`stagingArea` EXTENDED, naming the staging server). When a request's
scope holds both, they are the same workload twice: only the extended server is
matched (it is recovered in the target account), and the staging server is set aside.
Two extended servers naming the same staging server are one server DRS holds twice:
neither is matched, so nothing is paired across them twice.
"""

from __future__ import annotations

from collections import defaultdict

from drsorch.matcher.records import SourceServer, Unmatched, fact


def staging_twins(servers: list[SourceServer]) -> tuple[list[SourceServer], list[Unmatched]]:
    """The servers to match, and those set aside with why (order kept)."""
    extended: defaultdict[str, list[SourceServer]] = defaultdict(list)
    for server in servers:
        if server.staging_source_server_arn:
            extended[server.staging_source_server_arn].append(server)
    if not extended:
        return servers, []
    kept: list[SourceServer] = []
    aside: list[Unmatched] = []
    for server in servers:
        twins = extended.get(server.arn or "", [])
        shared = extended.get(server.staging_source_server_arn or "", [])
        if twins:
            names = ", ".join(f"{t.source_server_id} in account {t.account_id}" for t in twins)
            reason = (
                f"extended into the target account as {names}: the same server, recovered"
                " there and never here too"
            )
            aside.append(Unmatched(server, fact(reason, 1024)))
        elif len(shared) > 1:
            others = ", ".join(
                f"{t.source_server_id} in account {t.account_id}" for t in shared if t is not server
            )
            reason = (
                f"extended from staging server {server.staging_source_server_arn}, as {others}"
                " is too: DRS holds one server twice, so neither is paired"
            )
            aside.append(Unmatched(server, fact(reason, 1024)))
        else:
            kept.append(server)
    return kept, aside
