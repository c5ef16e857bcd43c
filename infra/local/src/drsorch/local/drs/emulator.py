"""The process's one emulator, acting on moto's EC2 state, built on first use.

The `Emulator` class itself lives in `core.py` (every module of the emulator imports it
from there); this module only holds the process's instance, so that building it (in
`bootstrap.py`, which imports the job steps and moto) never imports its importers.
"""

from __future__ import annotations

import threading

from drsorch.local.drs.core import Emulator, EventHandler

__all__ = ["Emulator", "EventHandler", "default_emulator"]

_default: Emulator | None = None
_default_lock = threading.Lock()


def default_emulator() -> Emulator:
    """The process's emulator, acting on moto's EC2 state (built on first use)."""
    global _default  # noqa: PLW0603 - one emulator per process, like moto's backends
    with _default_lock:
        if _default is None:
            from drsorch.local.drs.bootstrap import build_emulator  # noqa: PLC0415

            _default = build_emulator()
        return _default
