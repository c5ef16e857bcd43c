"""The EC2 port on moto's EC2 backend, in the same process as the emulator.

moto's backend objects are untyped; everything that touches them stays in this
module and hands out `InstanceView`s. Launches pass the same arguments moto's own
RunInstances handler passes, so instances look as if EC2 had been called.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from moto.ec2.models import ec2_backends

from drsorch.local.drs.ec2_port import Ec2Error, InstanceView, NewInstance

_GIB = 2**30


def _backend(account_id: str, region: str) -> Any:
    return ec2_backends[account_id][region]


def _view(backend: Any, instance: Any) -> InstanceView:
    mapping = instance.block_device_mapping
    return InstanceView(
        instance_id=instance.id,
        state=str(instance.state),
        architecture=str(instance.architecture),
        availability_zone=str(instance.availability_zone),
        subnet_id=instance.subnet_id,
        private_ip=instance.private_ip,
        tags=dict(backend.tags.get(instance.id, {})),
        volume_ids=tuple(str(device.volume_id) for device in mapping.values()),
    )


def _gib(size_bytes: int) -> int:
    return max(1, -(-size_bytes // _GIB))


class MotoEc2:
    """`Ec2Port` on `moto.ec2.models.ec2_backends`."""

    def __init__(self) -> None:
        # moto finds an instance by scanning every reservation; seeding a thousand
        # recovery instances that way is quadratic. The index is rebuilt when an ID is
        # missing, and dropped when moto's reset replaces the backend.
        self._index: dict[tuple[str, str], tuple[Any, dict[str, Any]]] = {}

    def _instances(
        self, account_id: str, region: str, wanted: set[str]
    ) -> tuple[Any, dict[str, Any]]:
        backend = _backend(account_id, region)
        cached = self._index.get((account_id, region))
        if cached is not None and cached[0] is backend and wanted <= cached[1].keys():
            return cached
        index = {instance.id: instance for instance in backend.all_instances()}
        self._index[account_id, region] = (backend, index)
        return backend, index

    def describe(
        self, account_id: str, region: str, instance_ids: Iterable[str]
    ) -> dict[str, InstanceView]:
        wanted = set(instance_ids)
        if not wanted:
            return {}
        backend, index = self._instances(account_id, region, wanted)
        return {key: _view(backend, index[key]) for key in wanted if key in index}

    def create_launch_template(self, account_id: str, region: str, name: str) -> str:
        backend = _backend(account_id, region)
        if name in backend.launch_template_name_to_ids:
            # The DRS state was reset but EC2 kept the template: the same server ID reuses it.
            return str(backend.launch_template_name_to_ids[name])
        data = {"InstanceType": "t3.small"}
        template = backend.create_launch_template(name, "Created by DRS", data, {})
        return str(template.id)

    def launch(self, account_id: str, region: str, spec: NewInstance) -> InstanceView:
        backend = _backend(account_id, region)
        try:
            data = backend.get_launch_template(spec.launch_template_id).default_version().data
        except Exception as error:
            raise Ec2Error(f"EC2 launch template {spec.launch_template_id}: {error}") from error
        subnet = _subnet(backend, data, spec.availability_zone_hint)
        if spec.private_ip is not None:
            _check_ip_in_subnet(spec.private_ip, subnet)
        kwargs: dict[str, Any] = {
            "instance_type": data.get("InstanceType", "t3.small"),
            "is_instance_type_default": True,
            "region_name": region,
            "subnet_id": subnet.id,
            "security_group_ids": list(data.get("SecurityGroupIds", [])),
            "nics": [],
            "private_ip": spec.private_ip,
            "tags": {"instance": dict(spec.tags), "volume": dict(spec.tags)},
            "block_device_mappings": [
                {"DeviceName": device, "Ebs": {"VolumeSize": _gib(size), "VolumeType": "gp3"}}
                for device, size in spec.disk_sizes
            ],
            "client_token": None,
        }
        image_id = data.get("ImageId") or _linux_image(backend, spec.architecture)
        try:
            reservation = backend.run_instances(image_id, 1, None, [], **kwargs)
        except Exception as error:
            raise Ec2Error(f"RunInstances failed: {error}") from error
        instance = reservation.instances[0]
        if spec.launched_at_ms is not None:
            # moto stamps the wall clock; DRS's timestamps run on the simulated one.
            instance.launch_time = datetime.fromtimestamp(spec.launched_at_ms / 1000, UTC)
        if not spec.start:
            backend.stop_instances([instance.id])
        return _view(backend, instance)

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
        backend, index = self._instances(account_id, region, {instance_id})
        try:
            instance = index[instance_id]
            if force and instance.state not in {"stopped", "terminated"}:
                backend.stop_instances([instance_id])
            _swap_volumes(backend, instance, disk_sizes, tags)
            if tags:
                backend.create_tags([instance_id], dict(tags))
            if start:
                backend.start_instances([instance_id])
        except Ec2Error:
            raise
        except Exception as error:
            raise Ec2Error(f"Launch into {instance_id} failed: {error}") from error
        return _view(backend, instance)

    def terminate(self, account_id: str, region: str, instance_id: str) -> None:
        backend, index = self._instances(account_id, region, {instance_id})
        if instance_id in index:
            backend.terminate_instances([instance_id])


def _subnet(backend: Any, data: Mapping[str, Any], zone_hint: str) -> Any:
    interfaces = data.get("NetworkInterfaces") or [{}]
    subnet_id = data.get("SubnetId") or interfaces[0].get("SubnetId")
    if subnet_id:
        try:
            return backend.get_subnet(subnet_id)
        except Exception as error:
            raise Ec2Error(f"Subnet {subnet_id} not found") from error
    defaults = backend.get_default_subnets()
    if not defaults:
        raise Ec2Error("No subnet in the launch template and no default subnet")
    suffix = zone_hint[-1:]
    for zone in sorted(defaults):
        if zone.endswith(suffix):
            return defaults[zone]
    return defaults[min(defaults)]


def _check_ip_in_subnet(private_ip: str, subnet: Any) -> None:
    network = ipaddress.ip_network(str(subnet.cidr_block), strict=False)
    if ipaddress.ip_address(private_ip) not in network:
        raise Ec2Error(
            f"Private IP {private_ip} is not in subnet {subnet.id} ({subnet.cidr_block}): "
            "copyPrivateIp needs a subnet containing the source's IP"
        )


def _linux_image(backend: Any, architecture: str) -> str:
    """A Linux AMI of the architecture among moto's defaults (the recovery point's stand-in)."""
    candidates = [
        image_id
        for image_id, image in backend.amis.items()
        if image.architecture == architecture and image.platform is None
    ]
    return str(min(candidates)) if candidates else "ami-00000000000000000"


def _swap_volumes(
    backend: Any, instance: Any, disk_sizes: Sequence[tuple[str, int]], tags: Mapping[str, str]
) -> None:
    if instance.state != "stopped":
        raise Ec2Error(f"Instance {instance.id} is {instance.state}, not stopped")
    old = [(device, mapped.volume_id) for device, mapped in instance.block_device_mapping.items()]
    for device, volume_id in old:
        backend.detach_volume(volume_id, instance.id, device)
    root = str(instance.root_device_name or "/dev/xvda")
    for index, (device, size) in enumerate(disk_sizes):
        volume = backend.create_volume(size=_gib(size), zone_name=instance.availability_zone)
        if tags:
            backend.create_tags([volume.id], dict(tags))
        backend.attach_volume(volume.id, instance.id, root if index == 0 else device)
