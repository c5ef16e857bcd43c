"""drsorch's DRS emulator: AWS Elastic Disaster Recovery inside the local endpoint.

`install` is the local endpoint's plugin hook (see `drsorch.local.server`); the seed
API is `drsorch.local.drs.seed`; the settings model is
`drsorch.local.drs.settings.EmulatorSettings`.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

__all__ = ["install"]


def install(dispatcher: Any, admin: MutableMapping[str, Any]) -> None:
    """Install the DRS emulator into a local endpoint (moto dispatcher + admin routes)."""
    from drsorch.local.drs.wire import install as install_wire  # noqa: PLC0415 - moto is heavy

    install_wire(dispatcher, admin)
