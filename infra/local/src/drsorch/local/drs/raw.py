"""A test hook: make the emulator answer a record DRS could report but drsorch never seeds.

Out-of-contract upstream data (a lag past what the services accept, a launch-into ID off
its pattern, a status DRS added later) cannot be built through the seed API, which only
makes sensible state. Tests set `RawRecords` on the in-process emulator
(`inject(default_emulator(), ...)`); every answer of the four read operations then has
the patch merged into the record of that server, after the emulator built it from its
state. No route reaches this: `drsorch local up` has no way to set it, so only a test
process that serves the endpoint itself can.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drsorch.local.drs.core import Emulator

Patch = Mapping[str, Any]
"""Keys to set in a record; a nested mapping merges into the nested object."""


@dataclass(frozen=True)
class RawRecords:
    """Patches by source server ID, per operation whose answer carries that server."""

    source_servers: Mapping[str, Patch] = field(default_factory=dict)
    """DescribeSourceServers `items[]`, by `sourceServerID`."""
    launch_configurations: Mapping[str, Patch] = field(default_factory=dict)
    """GetLaunchConfiguration (and UpdateLaunchConfiguration's answer), by `sourceServerID`."""
    recovery_instances: Mapping[str, Patch] = field(default_factory=dict)
    """DescribeRecoveryInstances `items[]`, by `sourceServerID`."""
    participants: Mapping[str, Patch] = field(default_factory=dict)
    """DescribeJobs `items[].participatingServers[]`, by `sourceServerID`."""

    def __bool__(self) -> bool:
        patches = (
            self.source_servers,
            self.launch_configurations,
            self.recovery_instances,
            self.participants,
        )
        return any(patches)


def inject(emu: Emulator, records: RawRecords) -> None:
    """Answer these patched records from now on (an empty `RawRecords` stops it)."""
    with emu.lock:
        emu.raw_records = records


def merged(record: Mapping[str, Any], patch: Patch) -> dict[str, Any]:
    """`record` with `patch` merged in: nested mappings merge, anything else replaces."""
    out = dict(record)
    for key, value in patch.items():
        current = out.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            out[key] = merged(current, value)
        else:
            out[key] = value
    return out


def _by_server(items: list[Any], patches: Mapping[str, Patch]) -> list[Any]:
    return [
        merged(item, patches[item["sourceServerID"]])
        if isinstance(item, dict) and item.get("sourceServerID") in patches
        else item
        for item in items
    ]


def applied(records: RawRecords, operation: str | None, body: dict[str, Any] | None) -> Any:
    """The answer `body` to `operation` with the injected records patched in."""
    if not records or body is None:
        return body
    items = body.get("items")
    if operation == "DescribeSourceServers" and isinstance(items, list):
        return {**body, "items": _by_server(items, records.source_servers)}
    if operation == "DescribeRecoveryInstances" and isinstance(items, list):
        return {**body, "items": _by_server(items, records.recovery_instances)}
    if operation == "DescribeJobs" and isinstance(items, list):
        return {
            **body,
            "items": [
                {
                    **job,
                    "participatingServers": _by_server(
                        list(job.get("participatingServers", [])), records.participants
                    ),
                }
                for job in items
            ],
        }
    if operation in ("GetLaunchConfiguration", "UpdateLaunchConfiguration"):
        patch = records.launch_configurations.get(str(body.get("sourceServerID")))
        return merged(body, patch) if patch else body
    return body
