"""The simulated clock, and the time formats DRS speaks.

Simulated time runs `scale` times faster than real time and can be pushed forward
by hand; it never runs backwards. It is kept in integer epoch milliseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from drsorch.local.drs.settings import ClockSettings

RealClock = Callable[[], float]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SimClock:
    """Simulated time: start + scale * real time elapsed + manual advances."""

    def __init__(self, settings: ClockSettings, real: RealClock = time.monotonic) -> None:
        self._real = real
        start = settings.start or datetime.now(UTC).replace(microsecond=0)
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        self._anchor_ms = (start - _EPOCH) // timedelta(milliseconds=1)
        self._anchor_real = real()
        self._scale = settings.scale

    @property
    def scale(self) -> float:
        """Simulated seconds per real second."""
        return self._scale

    def now_ms(self) -> int:
        """The simulated time now, in epoch milliseconds."""
        elapsed = self._real() - self._anchor_real
        return self._anchor_ms + int(elapsed * self._scale * 1000)

    def advance(self, seconds: float) -> int:
        """Move simulated time forward; returns the new now."""
        if seconds < 0:
            raise ValueError("the simulated clock never runs backwards")
        self._anchor_ms = self.now_ms() + int(seconds * 1000)
        self._anchor_real = self._real()
        return self._anchor_ms

    def rescale(self, scale: float) -> None:
        """Change the scale from now on, without a jump in simulated time."""
        self._anchor_ms = self.now_ms()
        self._anchor_real = self._real()
        self._scale = scale


def iso(ms: int) -> str:
    """An ISO-8601 UTC timestamp with milliseconds and Z: fixed width, so sortable."""
    moment = _EPOCH + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_iso(text: str) -> int:
    """Epoch milliseconds from an ISO-8601 timestamp (Z or an offset)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def iso_duration(seconds: int) -> str:
    """An ISO-8601 duration such as PT0S, PT12S or PT1H2M3S."""
    seconds = max(0, seconds)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    text = "P" + (f"{days}D" if days else "") + "T"
    text += (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return text + (f"{secs}S" if secs or text.endswith("T") else "")
