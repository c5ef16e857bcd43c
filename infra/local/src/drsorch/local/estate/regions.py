"""The regions and zones the local endpoint knows: moto's, since moto holds the EC2 state."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def zones_by_region() -> dict[str, list[str]]:
    """Region name -> its availability zone names, as moto serves them."""
    from moto.ec2.models.availability_zones_and_regions import (  # noqa: PLC0415 - heavy import
        RegionsAndZonesBackend,
    )

    zones: dict[str, list[Any]] = RegionsAndZonesBackend.zones
    return {region: [str(zone.name) for zone in items] for region, items in zones.items()}
