"""Serve the local endpoint in the foreground until SIGTERM or SIGINT.

This is what `python -m drsorch.local serve` runs, and what `drsorch local up`
starts detached. With a state folder it keeps the PID file there while it runs,
so `drsorch local status|down` also find an endpoint started by hand.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import threading
from pathlib import Path
from types import FrameType

from drsorch.local.server import LocalEndpoint
from drsorch.local.statefiles import EndpointRecord, StateFiles

log = logging.getLogger("drsorch.local.serve")


class EstateSeedError(Exception):
    """`--estate` was given, but the estate could not be loaded or seeded."""


def seed_estate_file(path: Path) -> None:
    """Load an estate file and seed it into this process's endpoint (`drsorch.local.estate`)."""
    try:
        estate = importlib.import_module("drsorch.local.estate")
    except ModuleNotFoundError as exc:
        if exc.name != "drsorch.local.estate":
            raise
        raise EstateSeedError(
            f"--estate {path}: this build of drsorch has no estate loader "
            "(drsorch.local.estate), so estates cannot be seeded yet"
        ) from exc
    try:
        estate.seed_estate(estate.load_estate(path))
    except Exception as exc:  # any failure ends serve, in the estate loader's own words
        raise EstateSeedError(f"--estate {path}: {exc}") from exc


def serve(host: str, port: int, estate: Path | None = None, state_dir: Path | None = None) -> None:
    """Bind, seed the estate, serve until SIGTERM/SIGINT, then shut down cleanly."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    endpoint = LocalEndpoint(host, port)
    # Health answers only once the estate is seeded: the port accepts, nothing replies.
    if estate is not None:
        seed_estate_file(estate)
        log.info("seeded estate %s", estate)
    files = StateFiles(state_dir) if state_dir is not None else None
    bound_port = int(endpoint.url.rsplit(":", 1)[1])
    record = EndpointRecord(pid=os.getpid(), host=host, port=bound_port)
    if files is not None:
        files.write(record)
    endpoint.start()
    log.info("drsorch local endpoint serving on %s (pid %d)", endpoint.url, os.getpid())
    try:
        stop.wait()
    finally:
        endpoint.stop()
        if files is not None:
            files.remove_if_owned(record.pid)
        log.info("drsorch local endpoint stopped")
