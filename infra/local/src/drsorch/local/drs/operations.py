"""Every operation the emulator implements, by name, gathered from the `ops_*` tables."""

from __future__ import annotations

from drsorch.local.drs import (
    ops_jobs,
    ops_recovery,
    ops_servers,
    ops_service,
    ops_tags,
    snapshots,
    staging,
)
from drsorch.local.drs.context import Operation

OPERATIONS: dict[str, Operation] = {
    **ops_service.OPERATIONS,
    **ops_servers.OPERATIONS,
    **ops_jobs.OPERATIONS,
    **ops_recovery.OPERATIONS,
    **ops_tags.OPERATIONS,
    **staging.OPERATIONS,
    **snapshots.OPERATIONS,
}


def implemented() -> dict[str, Operation]:
    """The operations the emulator implements, by name."""
    return dict(OPERATIONS)
