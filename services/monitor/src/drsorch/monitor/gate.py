"""The failback readiness gate, as DRS reports it: which waiting servers may join a job."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from drsorch.contracts.types import Place
from drsorch.monitor.domain import readiness
from drsorch.monitor.domain.selection import Launch
from drsorch.monitor.errors import AwsFailure
from drsorch.monitor.run import Run, each_place, group_by


async def check_readiness(run: Run, launches: Mapping[str, Launch]) -> None:
    """Mark which waiting servers of the current wave may join a job now, and why not."""
    wave, state = run.state.summary.wave, run.state
    keys = [key for key in launches if wave is not None and state.servers[key].wave == wave]
    if not readiness.gated(state.spec):
        for key in keys:
            state.put_server(readiness.observe(state.servers[key], None, run.now))
        return
    max_lag = state.spec.options.max_replication_lag_seconds

    async def check(place: Place, group: Sequence[str]) -> None:
        views = await run.drs(place).replication([launches[k].launching_server_id for k in group])
        for key in group:
            view = views.get(launches[key].launching_server_id)
            reason = readiness.not_ready_reason(view, max_lag)
            state.put_server(readiness.observe(state.servers[key], reason, run.now))

    def unknown(place: Place, group: Sequence[str], exc: AwsFailure) -> None:
        for key in group:
            reason = f"readiness unknown: {exc}"
            state.put_server(readiness.observe(state.servers[key], reason, run.now))

    await each_place(run, group_by(keys, lambda key: launches[key].place), check, unknown)
