"""Waves in `dr:wave` order: the next starts when the previous completed and, by the
request's option, only if enough of it landed; else the request stops and says why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from drsorch.contracts import RequestSpec
from drsorch.monitor.domain.records import RequestState, ServerPhase, ServerRecord

# Float division of whole counts: 0.95 required of 19/20 must pass.
_EPSILON = 1e-9


@dataclass(frozen=True)
class WaveVerdict:
    """How one completed wave went, against the share the request requires."""

    wave: int
    landed: int
    total: int
    required: float

    @property
    def passed(self) -> bool:
        return self.total == 0 or self.landed / self.total + _EPSILON >= self.required

    @property
    def reason(self) -> str:
        return (
            f"wave {self.wave} landed {self.landed} of {self.total} servers where expected, "
            f"below the required {self.required:.0%}: later waves were not started"
        )


def required_ratio(spec: RequestSpec) -> float:
    """The share of a wave that must land; unset means all of it (the contract's default)."""
    ratio = spec.options.wave_success_ratio
    return 1.0 if ratio is None else ratio


def judge(wave: int, records: Iterable[ServerRecord], spec: RequestSpec) -> WaveVerdict:
    """The verdict on a completed wave: landed means recovered where expected."""
    outcomes = [record.outcome for record in records]
    landed = sum(1 for outcome in outcomes if outcome == "recovered")
    return WaveVerdict(wave, landed, len(outcomes), required_ratio(spec))


def complete(records: Iterable[ServerRecord]) -> bool:
    return all(record.phase is ServerPhase.DONE for record in records)


def progress(state: RequestState, now: datetime) -> None:
    """Move the request through its waves as far as they are complete.

    Starts the first wave, then each next one once the current is complete and its
    verdict passes. A failing verdict decides every server of the later waves
    `skipped` and records why on the summary.
    """
    waves = state.waves()
    summary = state.summary
    if not waves or summary.reason is not None:
        return
    if summary.wave is None:
        state.summary = summary.model_copy(update={"wave": waves[0], "wave_started_at": now})
    while True:
        current = state.summary.wave
        assert current is not None
        later = [wave for wave in waves if wave > current]
        if not later or not complete(state.in_wave(current)):
            return
        verdict = judge(current, state.in_wave(current), state.spec)
        if not verdict.passed:
            _stop(state, later, verdict.reason, now)
            return
        state.summary = state.summary.model_copy(update={"wave": later[0], "wave_started_at": now})


def _stop(state: RequestState, waves: list[int], reason: str, now: datetime) -> None:
    for wave in waves:
        for record in list(state.in_wave(wave)):
            if record.phase is not ServerPhase.DONE:
                state.put_server(record.decide("skipped", reason, now))
    state.summary = state.summary.model_copy(update={"reason": reason})


def finished(state: RequestState) -> bool:
    """Whether every server of the plan has its outcome."""
    return complete(state.servers.values())
