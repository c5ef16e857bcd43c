"""The failback readiness gate: a server joins a job only once it replicates CONTINUOUS
with little lag, or is reported not ready at its wave's deadline.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from drsorch.contracts import RequestSpec
from drsorch.monitor.domain.facts import Replication
from drsorch.monitor.domain.records import ServerRecord

_DURATION = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def duration_seconds(text: str | None) -> int | None:
    """Whole seconds of an ISO-8601 duration such as `PT0S` or `PT1H2M3S`; None if unreadable."""
    match = _DURATION.match(text or "")
    if match is None or text in (None, "P", "PT"):
        return None
    parts = {key: float(value) if value else 0.0 for key, value in match.groupdict().items()}
    return int(parts["d"] * 86_400 + parts["h"] * 3_600 + parts["m"] * 60 + parts["s"])


def gated(spec: RequestSpec) -> bool:
    """Whether servers must be ready before they launch: failbacks (never a failover,
    which may have to launch from the last good point while the source is down)."""
    return spec.operation == "failback"


def not_ready_reason(replication: Replication | None, max_lag_seconds: int) -> str | None:
    """Why a FAILBACK-direction server may not launch yet, or None when it may."""
    if replication is None:
        return "its FAILBACK-direction source server is not in DRS"
    if replication.state != "CONTINUOUS":
        return f"reverse replication is {replication.state or 'unknown'}, not CONTINUOUS"
    lag = replication.lag_seconds or 0
    if lag > max_lag_seconds:
        return f"reverse replication lags {lag} s, more than {max_lag_seconds} s"
    return None


def observe(record: ServerRecord, reason: str | None, now: datetime) -> ServerRecord:
    """The server after a readiness check: ready since when, or why it waits."""
    if reason is None:
        if record.ready_since is not None and record.waiting_for is None:
            return record  # ready already: the same record, nothing to copy or write
        return record.model_copy(
            update={"ready_since": record.ready_since or now, "waiting_for": None}
        )
    return record.model_copy(update={"ready_since": None, "waiting_for": reason})


def deadline(wave_started_at: datetime, spec: RequestSpec) -> datetime:
    """When servers of a wave still not ready are reported not ready."""
    return wave_started_at + timedelta(seconds=spec.options.readiness_deadline_seconds)
