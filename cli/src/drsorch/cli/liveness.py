"""Saying so when nothing consumes a request, instead of showing "discovered 0/?" until the end.

While the CLI follows a request it looks at the services' queues every few seconds. A
queue whose messages stay waiting (visible) with none being handled (in flight) for
`QUIET_SECONDS` has no worker reading it: the services are not running, or that one
is down or stuck. The CLI says so once per service, names the command that starts the
services, and goes on following (the request runs as soon as they start).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from drsorch.runtime.settings import output_key

log = logging.getLogger(__name__)
SERVICES = ("discovery", "matcher", "configurator", "monitor")
CHECK_SECONDS = 5.0
QUIET_SECONDS = 12.0
"""Long enough for a busy worker to pick up its next batch, short enough to say so in 30 s."""
QUIET_SECONDS_ENV = "DRSORCH_CLI_QUIET_SECONDS"
START_COMMAND = "python -m drsorch.{service}"


class QueueDepths(Protocol):
    """How many messages a queue holds waiting, and how many are being handled."""

    async def depths(self, queue_url: str) -> tuple[int, int]: ...


def queues_of(outputs: Mapping[str, str], monitor_queue_url: str) -> dict[str, str]:
    """The services' queue URLs from the stack's outputs (the monitor's is always known)."""
    keys = {service: output_key(service, "QueueUrl") for service in SERVICES}
    queues = {service: outputs[key] for service, key in keys.items() if key in outputs}
    queues.setdefault("monitor", monitor_queue_url)
    return queues


def quiet_seconds(environ: Mapping[str, str]) -> float:
    """`$DRSORCH_CLI_QUIET_SECONDS` (1 to 300), else `QUIET_SECONDS`."""
    try:
        seconds = float(environ.get(QUIET_SECONDS_ENV, QUIET_SECONDS))
    except ValueError:
        return QUIET_SECONDS
    return seconds if 1 <= seconds <= 300 else QUIET_SECONDS


def not_consuming_message(service: str, waiting: int, seconds: float) -> str:
    return (
        f"Nothing is consuming the {service} queue: {waiting} message"
        f"{'s' if waiting != 1 else ''} waited {seconds:.0f} s with none being handled. "
        f"Are the services running? Start it with: {START_COMMAND.format(service=service)} "
        "(each of discovery, matcher, configurator and monitor runs that way; see the "
        "README, 'Running one service by hand'). The request goes on once they consume."
    )


@dataclass
class Liveness:
    """Watches the services' queues while a request is followed."""

    queues: Mapping[str, str]
    probe: QueueDepths
    monotonic: Callable[[], float]
    quiet_seconds: float = QUIET_SECONDS
    check_seconds: float = CHECK_SECONDS
    _stuck_since: dict[str, float] = field(default_factory=dict)
    _said: set[str] = field(default_factory=set)
    _next: float | None = None

    def __post_init__(self) -> None:
        # Look at least twice within the quiet time, so a short one (tests) is honoured.
        self.check_seconds = min(self.check_seconds, self.quiet_seconds / 2)

    def seconds_to_next_check(self) -> float:
        if self._next is None:
            return self.check_seconds
        return max(0.0, self._next - self.monotonic())

    async def check(self) -> list[str]:
        """Messages for queues found not consuming since the last check (each said once)."""
        now = self.monotonic()
        if self._next is not None and now < self._next:
            return []
        self._next = now + self.check_seconds
        said = []
        for service, url in self.queues.items():
            try:
                waiting, handled = await self.probe.depths(url)
            except Exception:
                log.debug("cannot read the depth of %s", url, exc_info=True)
                continue
            if waiting == 0 or handled > 0:
                self._stuck_since.pop(service, None)
                continue
            since = self._stuck_since.setdefault(service, now)
            if now - since >= self.quiet_seconds and service not in self._said:
                self._said.add(service)
                said.append(not_consuming_message(service, waiting, now - since))
        return said
