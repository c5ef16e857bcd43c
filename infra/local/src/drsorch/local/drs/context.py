"""What an operation works with, and the shape of an operation (`ops_*` modules import this)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from drsorch.local.drs.core import Emulator
from drsorch.local.drs.errors import not_found
from drsorch.local.drs.state import RecoveryInstance, RegionState, SourceServer


@dataclass
class OpContext:
    """What an operation works with."""

    emu: Emulator
    account_id: str
    region: str
    now_ms: int

    @property
    def state(self) -> RegionState:
        """DRS state of the caller's account in the called region."""
        return self.emu.region(self.account_id, self.region)

    def server(self, server_id: str) -> SourceServer:
        """A source server of the caller, or ResourceNotFoundException."""
        server = self.state.servers.get(server_id)
        if server is None:
            raise not_found("SOURCE_SERVER", server_id)
        return server

    def recovery_instance(self, instance_id: str) -> RecoveryInstance:
        """A recovery instance of the caller, or ResourceNotFoundException."""
        instance = self.state.recovery_instances.get(instance_id)
        if instance is None:
            raise not_found("RECOVERY_INSTANCE", instance_id)
        return instance


Operation = Callable[[OpContext, Mapping[str, Any]], dict[str, Any] | None]
