"""EC2 and IAM state written straight into moto's backends, in the endpoint's process.

moto has no type information; these small functions are the typed edge. Instances are
created in batches (one `run_instances` per shape) and tagged afterwards, which keeps a
1,000-server estate to a couple of seconds.
"""

from __future__ import annotations

import ipaddress
import json
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from drsorch.local.estate.plan import PlannedInstance

GIB = 2**30


@dataclass(frozen=True)
class CreatedInstance:
    instance_id: str
    private_ip: str
    zone: str


def ec2_backend(account_id: str, region: str) -> Any:
    from moto.ec2.models import ec2_backends  # noqa: PLC0415 - moto is heavy; load on use

    return ec2_backends[account_id][region]


def create_network(
    account_id: str, region: str, cidr: str, subnets: Mapping[str, ipaddress.IPv4Network], name: str
) -> dict[str, str]:
    """A VPC and one subnet per zone letter; returns zone letter -> subnet ID."""
    backend = ec2_backend(account_id, region)
    vpc = backend.create_vpc(cidr)
    backend.create_tags([vpc.id], {"Name": name})
    subnet_ids: dict[str, str] = {}
    for letter, network in subnets.items():
        subnet = backend.create_subnet(vpc.id, str(network), availability_zone=region + letter)
        backend.create_tags([subnet.id], {"Name": f"{name}-{letter}"})
        subnet_ids[letter] = str(subnet.id)
    return subnet_ids


def create_instances(
    account_id: str, region: str, subnet_ids: Mapping[str, str], specs: Sequence[PlannedInstance]
) -> list[CreatedInstance]:
    """Create every instance in `specs` (in its zone's subnet); results in the same order."""
    backend = ec2_backend(account_id, region)
    with _fast_image_lookup(backend):
        created = _create(backend, region, subnet_ids, specs)
    for spec, instance in zip(specs, created, strict=True):
        _finish(instance, spec)
    return [CreatedInstance(str(i.id), str(i.private_ip), str(i.placement.zone)) for i in created]


def _create(
    backend: Any, region: str, subnet_ids: Mapping[str, str], specs: Sequence[PlannedInstance]
) -> list[Any]:
    created: list[Any] = [None] * len(specs)
    # Fixed addresses first, so the automatic ones cannot take them.
    batches: defaultdict[tuple[str, str, str, tuple[tuple[str, int], ...]], list[int]] = (
        defaultdict(list)
    )
    for position, spec in enumerate(specs):
        disks = tuple((disk.device, disk.size_gib) for disk in spec.disks)
        key = (spec.zone, spec.instance_type, spec.architecture, disks)
        if spec.private_ip is None:
            batches[key].append(position)
            continue
        image = _image_id(backend, spec.architecture)
        created[position] = _run(backend, region, subnet_ids[spec.zone], image, spec)[0]
    for positions in batches.values():
        first = specs[positions[0]]
        image = _image_id(backend, first.architecture)
        subnet = subnet_ids[first.zone]
        instances = _run(backend, region, subnet, image, first, count=len(positions))
        for position, instance in zip(positions, instances, strict=True):
            created[position] = instance
    return created


def _run(
    backend: Any,
    region: str,
    subnet_id: str,
    image_id: str,
    spec: PlannedInstance,
    *,
    count: int = 1,
) -> list[Any]:
    """`count` instances shaped like `spec`, in one RunInstances reservation."""
    mappings = [
        {
            "DeviceName": disk.device,
            "Ebs": {"VolumeSize": disk.size_gib, "DeleteOnTermination": True},
        }
        for disk in spec.disks
    ]
    reservation = backend.run_instances(
        image_id,
        count,
        None,
        [],
        region_name=region,
        subnet_id=subnet_id,
        instance_type=spec.instance_type,
        is_instance_type_default=False,
        private_ip=spec.private_ip,
        block_device_mappings=mappings,
    )
    return list(reservation.instances)


def _finish(instance: Any, spec: PlannedInstance) -> None:
    instance.add_tags(dict(spec.tags))
    instance.architecture = spec.architecture
    if spec.state == "stopped":
        instance.stop()
    elif spec.state == "terminated":
        instance.terminate()


@contextmanager
def _fast_image_lookup(backend: Any) -> Iterator[None]:
    """Answer moto's own look-up of one image by ID from its dict, while instances are made.

    Every new moto instance finds its image with a filter that scans all ~1,300 images
    (7 ms); for thousands of instances that is most of the seeding time. The answer is
    the same: the image with that ID, or none.
    """
    scan = backend.describe_images

    def describe_images(
        ami_ids: Any = None, filters: Any = None, exec_users: Any = None, owners: Any = None
    ) -> Any:
        value = (filters or {}).get("image-id")
        exact = isinstance(value, str) and not any(char in value for char in "*?[")
        if exact and len(filters) == 1 and not (ami_ids or exec_users or owners):
            image = backend.amis.get(value)
            return [image] if image is not None else []
        return scan(ami_ids=ami_ids, filters=filters, exec_users=exec_users, owners=owners)

    backend.describe_images = describe_images
    try:
        yield
    finally:
        vars(backend).pop("describe_images", None)


_IMAGES: dict[tuple[str, str], str] = {}


def _image_id(backend: Any, architecture: str) -> str:
    """A Linux HVM EBS-backed image of moto's with this architecture (DRS launch-into needs it)."""
    key = (str(backend.region_name), architecture)
    known = _IMAGES.get(key)
    if known is not None and known in backend.amis:  # moto's images are the same after a reset
        return known
    _IMAGES[key] = _scan_image_id(backend, architecture)
    return _IMAGES[key]


def _scan_image_id(backend: Any, architecture: str) -> str:
    images = backend.describe_images(
        filters={
            "architecture": [architecture],
            "virtualization-type": ["hvm"],
            "root-device-type": ["ebs"],
        }
    )
    linux = sorted(str(image.id) for image in images if not image.platform)
    return linux[0] if linux else "ami-12c6146b"


def create_role(
    account_id: str, role_name: str, trusted_account_id: str, external_id: str | None
) -> bool:
    """The spoke role the hub assumes (moto does not enforce it); False if it already exists."""
    from moto.iam.models import iam_backends  # noqa: PLC0415

    backend = iam_backends[account_id]["aws"]
    if any(role.name == role_name for role in backend.get_roles()):
        return False
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{trusted_account_id}:root"},
        "Action": "sts:AssumeRole",
    }
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    description = "drsorch: the hub's access to this spoke account"
    backend.create_role(role_name, policy, "/", None, description, [], None)
    return True
