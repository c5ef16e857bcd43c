"""The local endpoint's state folder: PID file, endpoint record, log, start lock.

Default folder: `.drsorch/local/` under the current directory, or
`$DRSORCH_STATE_DIR`. The PID file holds the PID alone (so `kill $(cat ...)`
works); `endpoint.json` says where the endpoint listens.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

STATE_DIR_ENV = "DRSORCH_STATE_DIR"


def default_state_dir() -> Path:
    configured = os.environ.get(STATE_DIR_ENV)
    return Path(configured) if configured else Path.cwd() / ".drsorch" / "local"


class EndpointRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    pid: int
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


class StateFiles:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pid_file = folder / "endpoint.pid"
        self.record_file = folder / "endpoint.json"
        self.log_file = folder / "endpoint.log"
        self._lock_file = folder / "up.lock"

    def write(self, record: EndpointRecord) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        _write_atomically(self.record_file, record.model_dump_json())
        _write_atomically(self.pid_file, f"{record.pid}\n")

    def read(self) -> EndpointRecord | None:
        """The recorded endpoint, or None when there is none or the files are unreadable."""
        try:
            pid = int(self.pid_file.read_text(encoding="utf-8").strip())
            record = EndpointRecord.model_validate_json(self.record_file.read_text("utf-8"))
        except (OSError, ValueError, ValidationError):
            return None
        return record if record.pid == pid else None

    def exists(self) -> bool:
        return self.pid_file.exists() or self.record_file.exists()

    def remove(self) -> None:
        self.pid_file.unlink(missing_ok=True)
        self.record_file.unlink(missing_ok=True)

    def remove_if_owned(self, pid: int) -> None:
        record = self.read()
        if record is not None and record.pid == pid:
            self.remove()

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Serialise `up`s of one state folder, so two cannot both start an endpoint."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._lock_file.open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
