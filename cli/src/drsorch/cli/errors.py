"""The exit codes of drsorch's request commands, and the errors that lead to them.

| code | meaning |
|---|---|
| 0 | every server in scope landed where expected; or a plan was made; or a request was sent |
| 1 | the request ended PARTIAL or FAILED, or drsorch could not reach what it needs |
| 2 | usage or input error: the message names the bad flag or value |
| 3 | refused: the approved plan changed (drift), or an apply came without an approval |
| 4 | `--timeout` expired: the request is still running; `drsorch status REQUEST_ID` follows it |
| 130 | interrupted (Ctrl-C): the request keeps running; the CLI's queue is deleted |
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What `drsorch failback|failover|status|report|restore` exit with."""

    OK = 0
    FAILED = 1
    USAGE = 2
    REFUSED = 3
    STILL_RUNNING = 4
    INTERRUPTED = 130


class CliError(Exception):
    """An error the CLI reports in one message and turns into an exit code."""

    exit_code: ExitCode = ExitCode.FAILED


class InputError(CliError):
    """A flag or value is wrong; the message names it."""

    exit_code = ExitCode.USAGE

    def __init__(self, flag: str, message: str) -> None:
        self.flag = flag
        super().__init__(f"{flag}: {message}")


class Refused(CliError):
    """drsorch refused to apply: no approval given, or the approved plan drifted."""

    exit_code = ExitCode.REFUSED


class Unreachable(CliError):
    """The stack, its topics or the request record cannot be found or reached."""

    exit_code = ExitCode.FAILED


class RequestNotFound(CliError):
    """No request with that ID in the monitor's record of requests."""

    exit_code = ExitCode.USAGE
