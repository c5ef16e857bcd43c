"""Per-server launch settings from `drsorch:*` tags on the DRS source server.

A standard launch (into a new instance) takes the request's `launch_settings`; an
operator overrides them for one server by tagging its DRS source server:

| tag | values | DRS setting |
|---|---|---|
| `drsorch:copy-private-ip` | `true` / `false` | `copyPrivateIp` |
| `drsorch:copy-tags` | `true` / `false` | `copyTags` |
| `drsorch:os-byol` | `true` / `false` | `licensing.osByol` |
| `drsorch:right-sizing` | `NONE` / `BASIC` / `IN_AWS` | `targetInstanceTypeRightSizingMethod` |
| `drsorch:launch-disposition` | `STARTED` / `STOPPED` | `launchDisposition` |

Values are case-insensitive. A tag with any other value is an error for that server
(it is reported, not launched): drsorch does not guess what an operator meant. Tags
are read from the paired server (the one discovery found); for a failback, the
FAILBACK-direction server's own `drsorch:*` tags, if any, win over them. Launches
into an existing instance ignore these tags: their settings are fixed by DRS's rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drsorch.contracts import LaunchSettings

_BOOLEANS = {"true": True, "false": False}
_CHOICES: dict[str, tuple[str, dict[str, Any]]] = {
    "drsorch:copy-private-ip": ("copy_private_ip", _BOOLEANS),
    "drsorch:copy-tags": ("copy_tags", _BOOLEANS),
    "drsorch:os-byol": ("os_byol", _BOOLEANS),
    "drsorch:right-sizing": ("right_sizing", {v.lower(): v for v in ("NONE", "BASIC", "IN_AWS")}),
    "drsorch:launch-disposition": (
        "launch_disposition",
        {v.lower(): v for v in ("STARTED", "STOPPED")},
    ),
}
SETTING_TAGS = tuple(_CHOICES)
"""Every tag key drsorch reads launch settings from."""


class BadLaunchTag(ValueError):
    """A `drsorch:*` launch-setting tag with a value drsorch does not understand."""


def settings_for(requested: LaunchSettings, *tag_maps: Mapping[str, str]) -> LaunchSettings:
    """The request's settings, overridden by the servers' tags (later maps win)."""
    overrides: dict[str, Any] = {}
    for tags in tag_maps:
        for key, (attribute, choices) in _CHOICES.items():
            if key not in tags:
                continue
            raw = tags[key]
            value = choices.get(raw.strip().lower())
            if value is None:
                allowed = " or ".join(str(v).lower() for v in choices.values())
                raise BadLaunchTag(f"tag {key}={raw!r} is not understood: use {allowed}")
            overrides[attribute] = value
    return requested.model_copy(update=overrides)
