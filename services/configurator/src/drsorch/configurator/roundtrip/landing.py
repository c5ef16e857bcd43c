"""Whether a FAILBACK server's recovery instance is this failback's landing, by DRS's facts.

A failback launches its FAILBACK server (A2) from the replication that failback started.
DRS keeps the record of an earlier round trip's launch of the same server into the same
original (A3, when that round trip was never retired), and a launch-into original is
stopped before every launch, so neither the record nor EC2's state tells the two apart.
DRS's own times do: a landing of this failback was made by a job DRS created no earlier
than A2's current replication began (`dataReplicationInitiation.startDateTime`, which a
ReverseReplication starts afresh). Re-protecting or retiring on an older one would
protect, or keep, the original's old data and let the newest go. The failback pipeline
frees a slot by the same rule (`pipeline.domain.landing_proof`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from drsorch.configurator.roundtrip.ports import RecoveryView, RoundTripDrs, ServerView
from drsorch.contracts.types import Place


@dataclass(frozen=True)
class Landings:
    """When each FAILBACK server's replication began, and when DRS made the jobs that
    launched its recovery instances."""

    since: dict[str, datetime | None]
    """FAILBACK server -> when its current replication began, as DRS lists it."""
    created: dict[str, datetime]
    """Job -> when DRS created it."""

    def fresh(self, view: RecoveryView) -> bool:
        """Launched from the server's current replication, as DRS's times show."""
        return self.why_not(view) is None

    def why_not(self, view: RecoveryView) -> str | None:
        """Why DRS's facts do not show `view` launched from the current replication."""
        server = view.source_server_id
        since = self.since.get(server)
        if since is None:
            return (
                f"DRS does not say when {server}'s current replication began, so its "
                f"recovery instance {view.recovery_instance_id} cannot be told from an "
                "earlier round trip's"
            )
        created = self.created.get(view.job_id or "")
        if created is None:
            return (
                f"DRS lists no job created since {server}'s current replication began "
                f"({since.isoformat()}) that launched {view.recovery_instance_id}: an "
                "earlier round trip's, never retired"
            )
        if created < since:
            return (
                f"{view.recovery_instance_id} was launched by job {view.job_id} at "
                f"{created.isoformat()}, before {server}'s current replication began "
                f"({since.isoformat()}): an earlier round trip's, never retired"
            )
        return None


async def landings(
    drs: RoundTripDrs,
    place: Place,
    servers: Mapping[str, ServerView],
    found: Sequence[RecoveryView],
) -> Landings:
    """The facts for `found` (recovery instances of `servers`, all in `place`)."""
    since = {server_id: view.replicating_since for server_id, view in servers.items()}
    known = [moment for moment in since.values() if moment is not None]
    wanted = {view.job_id for view in found if view.job_id}
    created: dict[str, datetime] = {}
    if known and wanted:
        for job in await drs.jobs_since(place, min(known)):
            if job.job_id in wanted and job.created is not None:
                created[job.job_id] = job.created
    return Landings(since, created)
