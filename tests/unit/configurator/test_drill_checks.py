"""A drill instance passes only when EC2 shows it running with both status checks ok;
checks still initializing are looked at again, anything else fails with the reason."""

from __future__ import annotations

from datetime import UTC, datetime

from drsorch.configurator.drill.domain import judge, recovery_seconds
from drsorch.configurator.drill.ports import DrillRecord, InstanceFacts, Participant

NOW = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)
SERVER, RI, EC2 = "s-00000000000000001", "i-00000000000000001", "i-0000000000000e001"
LAUNCHED = Participant(SERVER, RI, "LAUNCHED")
RECORD = DrillRecord(RI, SERVER, EC2, "RUNNING", True, "drsjob-00000000000000001", NOW)


def _facts(state: str, instance: str | None, system: str | None) -> InstanceFacts:
    return InstanceFacts(EC2, state, NOW, instance, system)


def test_running_with_both_checks_ok_passes() -> None:
    verdict = judge(LAUNCHED, RECORD, _facts("running", "ok", "ok"))
    assert (verdict.passed, verdict.settled) == (True, True)


def test_checks_still_initializing_are_looked_at_again() -> None:
    verdict = judge(LAUNCHED, RECORD, _facts("running", "initializing", "ok"))
    assert (verdict.passed, verdict.settled) == (False, False)
    assert not judge(LAUNCHED, RECORD, _facts("pending", None, None)).settled


def test_an_impaired_or_stopped_instance_fails_with_the_reason() -> None:
    impaired = judge(LAUNCHED, RECORD, _facts("running", "impaired", "ok"))
    assert (impaired.passed, impaired.settled) == (False, True)
    assert "impaired" in (impaired.reason or "")
    stopped = judge(LAUNCHED, RECORD, _facts("stopped", None, None))
    assert (stopped.passed, stopped.settled) == (False, True)


def test_a_failed_launch_or_a_record_that_is_no_drill_fails() -> None:
    assert not judge(Participant(SERVER, None, "FAILED"), None, None).passed
    recovery = DrillRecord(RI, SERVER, EC2, "RUNNING", False, "drsjob-00000000000000001", NOW)
    assert "not a drill" in (judge(LAUNCHED, recovery, _facts("running", "ok", "ok")).reason or "")
    assert not judge(LAUNCHED, RECORD, None).passed


def test_recovery_time_runs_from_start_recovery_to_running() -> None:
    assert recovery_seconds(NOW, NOW.replace(minute=4)) == 240
    assert recovery_seconds(None, NOW) is None
