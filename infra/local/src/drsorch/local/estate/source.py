"""Read an estate file's bytes within bounds, before any parsing.

Only a regular file, or a pipe (`drsorch local up --estate /dev/stdin < estate.yaml`,
`<(generate)`), is read. A pipe is read with a size cap and a deadline, so a pipe
nobody writes to, a FIFO, a device such as `/dev/zero` or a folder is a clear error
in seconds, never a hang or a full memory.
"""

from __future__ import annotations

import os
import select
import stat
import time
from pathlib import Path

from drsorch.local.estate.errors import EstateError, Problem

MAX_BYTES = 8 * 1024 * 1024
"""The largest estate file read: 8 MiB, some 30,000 servers written out one by one."""
PIPE_SECONDS = 5.0
"""How long a pipe may take to deliver the whole estate (`$DRSORCH_ESTATE_PIPE_SECONDS`)."""
PIPE_SECONDS_ENV = "DRSORCH_ESTATE_PIPE_SECONDS"
_CHUNK = 65536


def read_estate_bytes(path: Path, *, pipe_seconds: float | None = None) -> bytes:
    """The file's bytes; `EstateError` naming what is wrong with the path otherwise.

    A pipe must deliver everything within `pipe_seconds` (default `PIPE_SECONDS`).
    """
    try:
        mode = path.stat().st_mode
    except OSError as error:
        raise _error(path, f"cannot read the file: {error.strerror or error}") from None
    if stat.S_ISDIR(mode):
        raise _error(path, "is a folder, not an estate file")
    if stat.S_ISREG(mode):
        return _read_regular(path)
    if stat.S_ISFIFO(mode):
        return _read_pipe(path, _pipe_seconds() if pipe_seconds is None else pipe_seconds)
    kind = "a character device" if stat.S_ISCHR(mode) else "not a regular file"
    raise _error(path, f"is {kind}: give an estate file (or a pipe that ends)")


def _read_regular(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except OSError as error:
        raise _error(path, f"cannot read the file: {error.strerror or error}") from None
    if len(data) > MAX_BYTES:
        raise _too_big(path)
    return data


def _read_pipe(path: Path, seconds: float) -> bytes:
    deadline = time.monotonic() + seconds
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise _error(path, f"cannot open the pipe: {error.strerror or error}") from None
    chunks: list[bytes] = []
    size = 0
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLHUP)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(max(1, int(remaining * 1000))):
                raise _error(
                    path,
                    f"the pipe did not deliver a whole estate within {seconds:g} s "
                    "(nothing writes to it, or the writer never closes it)",
                )
            chunk = os.read(fd, _CHUNK)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > MAX_BYTES:
                raise _too_big(path)
            chunks.append(chunk)
    except BlockingIOError:  # pragma: no cover - poll said readable; a racing reader took it
        raise _error(path, "the pipe is being read by someone else") from None
    finally:
        os.close(fd)


def _pipe_seconds() -> float:
    try:
        seconds = float(os.environ.get(PIPE_SECONDS_ENV, PIPE_SECONDS))
    except ValueError:
        return PIPE_SECONDS
    return seconds if 0 < seconds <= 3600 else PIPE_SECONDS  # an hour at most


def decode(data: bytes, source: str) -> str:
    """UTF-8 text, or an `EstateError` naming the line and column of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        byte = data[error.start : error.start + 1].hex()
        message = (
            f"the file is not UTF-8 text: byte 0x{byte} at line {line}, column {column} "
            "(save it as UTF-8)"
        )
        raise EstateError(source, [Problem(line, "", message)]) from None


def _too_big(path: Path) -> EstateError:
    limit = MAX_BYTES // (1024 * 1024)
    return _error(path, f"is larger than {limit} MiB: an estate that big is a generator's job")


def _error(path: Path, message: str) -> EstateError:
    return EstateError(path, [Problem(None, "", message)])
