"""What the emulator needs from EC2, as a port: moto's backend in the endpoint, a fake in tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


class Ec2Error(Exception):
    """EC2 refused or failed; the message becomes a job log rawError."""


@dataclass(frozen=True)
class InstanceView:
    """What DRS reads of an EC2 instance."""

    instance_id: str
    state: str
    """EC2 state name: pending, running, stopping, stopped, shutting-down, terminated."""
    architecture: str
    availability_zone: str
    subnet_id: str | None
    private_ip: str | None
    tags: Mapping[str, str] = field(default_factory=dict)
    volume_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class NewInstance:
    """A standard DRS launch: a new instance from the server's EC2 launch template."""

    launch_template_id: str
    availability_zone_hint: str
    """Used to pick a default subnet when the launch template names none."""
    private_ip: str | None
    tags: Mapping[str, str]
    start: bool
    disk_sizes: Sequence[tuple[str, int]]
    """(device name, size in bytes) of the disks built from the recovery point."""
    architecture: str = "x86_64"
    launched_at_ms: int | None = None
    """The simulated time of the launch: EC2's LaunchTime, on DRS's clock as on AWS."""


class Ec2Port(Protocol):
    """EC2 as the emulator uses it, always within one account and region."""

    def describe(
        self, account_id: str, region: str, instance_ids: Iterable[str]
    ) -> dict[str, InstanceView]:
        """The instances that exist (terminated ones included while EC2 keeps them)."""
        ...

    def create_launch_template(self, account_id: str, region: str, name: str) -> str:
        """Create the per-server EC2 launch template DRS keeps; returns its ID."""
        ...

    def launch(self, account_id: str, region: str, spec: NewInstance) -> InstanceView:
        """Run a new instance; raises Ec2Error."""
        ...

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
        """Swap the stopped instance's volumes for new ones, tag it, start it if asked.

        `force` (an injected fault only) stops a running instance first instead of failing.
        """
        ...

    def terminate(self, account_id: str, region: str, instance_id: str) -> None:
        """Terminate an instance (no error when it is already gone)."""
        ...
