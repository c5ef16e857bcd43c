"""The last line of defence: an unexpected error is one line and a log file, never a traceback.

The details (the traceback, the command line, the version of Python) go to a file in
`.drsorch/logs/` (or `$DRSORCH_LOG_DIR`; the system's temporary folder when neither
can be written), and the operator reads one line naming that file.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

from drsorch.cli.errors import ExitCode

LOG_DIR_ENV = "DRSORCH_LOG_DIR"


def log_dir() -> Path:
    """Where crash logs go: `$DRSORCH_LOG_DIR`, or `.drsorch/logs` under the current folder."""
    configured = os.environ.get(LOG_DIR_ENV)
    return Path(configured) if configured else Path.cwd() / ".drsorch" / "logs"


def write_crash_log(error: BaseException) -> Path | None:
    """The traceback and the command line in a new file; None when no folder takes it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dt%H%M%S")
    text = "".join(
        [
            f"drsorch {' '.join(sys.argv[1:])}\n",
            f"at {datetime.now(UTC).isoformat()}, Python {sys.version.split()[0]}\n\n",
            *traceback.format_exception(error),
        ]
    )
    for folder in (log_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"drsorch-{stamp}-{os.getpid()}.log"
            path.write_text(text, encoding="utf-8")
        except OSError:
            continue
        return path
    return None


def unexpected(command: str, error: BaseException) -> tuple[str, ExitCode]:
    """The one line to print for an error no handler expected, and the exit code (1)."""
    path = write_crash_log(error)
    where = f"details in {path}" if path is not None else "no log file could be written"
    what = _kind(error)
    return f"drsorch {command}: {what}: {_first_line(error)} ({where})", ExitCode.FAILED


def _kind(error: BaseException) -> str:
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - only on a crash

    if isinstance(error, ClientError | BotoCoreError):
        return "AWS answered with an error"
    return f"unexpected error {type(error).__name__}"


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    line = text[0] if text else "(no message)"
    return line if len(line) <= 200 else line[:197] + "..."
