"""Hand-written fakes for the emulator's ports: EC2 in memory, a real-time clock by hand."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from drsorch.local.drs.bootstrap import event_handlers
from drsorch.local.drs.ec2_port import Ec2Error, InstanceView, NewInstance
from drsorch.local.drs.emulator import Emulator
from drsorch.local.drs.settings import DurationRange, EmulatorSettings, Timings


@dataclass
class FakeEc2:
    """EC2 as a dict of instances, recording what the emulator asked of it."""

    instances: dict[tuple[str, str, str], InstanceView] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    _next: int = 0

    def add(self, account_id: str, region: str, view: InstanceView) -> None:
        self.instances[account_id, region, view.instance_id] = view

    def describe(
        self, account_id: str, region: str, instance_ids: Iterable[str]
    ) -> dict[str, InstanceView]:
        return {
            instance_id: self.instances[account_id, region, instance_id]
            for instance_id in instance_ids
            if (account_id, region, instance_id) in self.instances
        }

    def create_launch_template(self, account_id: str, region: str, name: str) -> str:
        self._next += 1
        return f"lt-{self._next:017x}"

    def launch(self, account_id: str, region: str, spec: NewInstance) -> InstanceView:
        self._next += 1
        view = InstanceView(
            instance_id=f"i-{self._next:017x}",
            state="running" if spec.start else "stopped",
            architecture=spec.architecture,
            availability_zone=spec.availability_zone_hint,
            subnet_id="subnet-1",
            private_ip=spec.private_ip or f"10.0.0.{self._next}",
            tags=dict(spec.tags),
        )
        self.add(account_id, region, view)
        self.calls.append(("launch", view.instance_id))
        return view

    def launch_into(
        self,
        account_id: str,
        region: str,
        instance_id: str,
        disk_sizes: Sequence[tuple[str, int]],
        *,
        start: bool,
        tags: Mapping[str, str],
        force: bool = False,
    ) -> InstanceView:
        view = self.instances[account_id, region, instance_id]
        if view.state == "terminated" or (view.state != "stopped" and not force):
            raise Ec2Error(f"{instance_id} is {view.state}")
        view = replace(view, state="running" if start else "stopped", volume_ids=("vol-new",))
        self.add(account_id, region, view)
        self.calls.append(("launch_into", instance_id))
        return view

    def terminate(self, account_id: str, region: str, instance_id: str) -> None:
        key = (account_id, region, instance_id)
        if key in self.instances:
            self.instances[key] = replace(self.instances[key], state="terminated")
        self.calls.append(("terminate", instance_id))


class HandClock:
    """Real time that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fixed(seconds: int) -> DurationRange:
    return DurationRange(min_seconds=seconds, max_seconds=seconds)


FIXED_TIMINGS = Timings(
    job_pending=fixed(10),
    cleanup=fixed(20),
    snapshot=fixed(30),
    conversion=fixed(40),
    launch=fixed(50),
    job_end=fixed(5),
    terminate=fixed(25),
    terminated_record_retention=fixed(300),
    recovery_instance_initializing=fixed(60),
    replication_initiating=fixed(100),
    initial_sync=fixed(200),
    rescan=fixed(50),
)


def emulator(
    ec2: FakeEc2 | None = None, real: HandClock | None = None, **settings: object
) -> Emulator:
    """An emulator on fakes, its clock frozen at 2025-01-01T00:00:00Z, timings fixed."""
    document: dict[str, object] = {
        "clock": {"scale": 0, "start": "2025-01-01T00:00:00Z"},
        "timings": FIXED_TIMINGS.model_dump(),
        **settings,
    }
    return Emulator(
        EmulatorSettings.model_validate(document),
        ec2=ec2 or FakeEc2(),
        handlers=event_handlers(),
        real_clock=real or HandClock(),
    )
