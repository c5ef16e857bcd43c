"""The inbox lease against the queue's redrive window: what fits, what is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drsorch.runtime.redrive import (
    MARGIN_SECONDS,
    LeaseOutlivesQueue,
    QueueLimits,
    choose_lease,
    lease_budget,
)

TEMPLATE = QueueLimits(visibility_seconds=60, max_receives=5)  # infra/aws/drsorch.yaml


def choose(limits: QueueLimits, configured: int | None, busy: int = 10, heartbeat: int = 60) -> int:
    return choose_lease(
        "q", limits, configured=configured, busy_seconds=busy, heartbeat_seconds=heartbeat
    )


def test_the_default_lease_fits_the_template_queues() -> None:
    assert choose(TEMPLATE, None) == 60 + 3 * 10 - MARGIN_SECONDS


def test_the_lease_that_wedged_the_monitor_is_refused_with_what_to_change() -> None:
    with pytest.raises(LeaseOutlivesQueue, match=r"DRSORCH_INBOX_LEASE_SECONDS=300.*at most 85"):
        choose(TEMPLATE, 300)


def test_a_lease_that_fits_is_kept() -> None:
    assert choose(TEMPLATE, 30) == 30


def test_a_queue_with_one_receive_leaves_no_lease() -> None:
    with pytest.raises(LeaseOutlivesQueue, match="no inbox lease fits"):
        choose(QueueLimits(60, 1), None)


def test_a_shorter_worker_visibility_shortens_the_budget() -> None:
    assert lease_budget(TEMPLATE, 10, heartbeat_seconds=20) == 20 + 30 - MARGIN_SECONDS


@given(
    visibility=st.integers(1, 43_200),
    receives=st.integers(2, 1000),
    busy=st.integers(0, 900),
    configured=st.none() | st.integers(1, 86_400),
)
def test_a_chosen_lease_expires_before_the_last_receive(
    visibility: int, receives: int, busy: int, configured: int | None
) -> None:
    limits = QueueLimits(visibility, receives)
    try:
        lease = choose(limits, configured, busy=busy, heartbeat=visibility)
    except LeaseOutlivesQueue:
        return
    # A consumer took the lease at receive 1 and died; the message came back after the
    # visibility timeout and was returned `busy` seconds after each BUSY receive.
    last_receive = visibility + (receives - 2) * busy
    assert lease + MARGIN_SECONDS <= last_receive
