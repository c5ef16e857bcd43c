"""`drsorch history`: its flags, and the monitor's history lines as it reads them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from drsorch.cli.errors import InputError
from drsorch.cli.history import months_back, parse_line
from drsorch.cli.history_cmd import check_statuses


def test_statuses_are_checked_and_case_insensitive() -> None:
    assert check_statuses(["running,partial", "Failed"]) == {"RUNNING", "PARTIAL", "FAILED"}
    assert check_statuses(None) == frozenset()
    with pytest.raises(InputError) as refused:
        check_statuses(["HALFWAY"])
    assert refused.value.flag == "--status" and "HALFWAY" in str(refused.value)


def test_the_months_go_back_across_a_year_end() -> None:
    found = months_back(datetime(2026, 2, 3, tzinfo=UTC), 4)
    assert found == ["history#2026-02", "history#2026-01", "history#2025-12", "history#2025-11"]


def test_a_running_line_reads_running_or_cancelling_and_a_bad_one_is_skipped() -> None:
    line = {
        "request_id": "failback-20261204t120000-abcdef",
        "operation": "failback",
        "received_at": "2026-12-04T12:00:00+00:00",
        "phase": "running",
        "servers": 3,
        "requested_by": "ops",
        "approved_by": ["approver"],
    }
    running = parse_line(json.dumps(line))
    assert running is not None and running.status == "RUNNING"
    cancelling = parse_line(json.dumps(line | {"cancelled_by": "ops"}))
    assert cancelling is not None and cancelling.status == "CANCELLING"
    ended = parse_line(json.dumps(line | {"phase": "done", "status": "PARTIAL"}))
    assert ended is not None and ended.status == "PARTIAL" and ended.approved_by == ("approver",)
    assert parse_line("{not json") is None and parse_line(json.dumps({"phase": "done"})) is None
