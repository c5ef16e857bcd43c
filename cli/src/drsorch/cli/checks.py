"""Checks of what a command is given, made before anything is asked of AWS or sent.

Each raises `InputError` naming the flag (or variable) and saying what would be right,
so an operator learns about a report path that cannot be written, a timeout of `inf`
or a region that does not exist in one line, before the request runs rather than after.
"""

from __future__ import annotations

import difflib
import math
import os
import stat
import tempfile
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from drsorch.cli.errors import InputError

MAX_TIMEOUT_SECONDS = 7 * 86_400
"""A week: longer than any request's readiness deadline and job timeouts together."""
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SNS", "AWS_ENDPOINT_URL_SQS")


def timeout_seconds(flag: str, value: float | None) -> float | None:
    """A finite number of seconds from 1 to a week (`inf` and `nan` pass typer's own range)."""
    if value is None:
        return None
    if not math.isfinite(value):
        raise InputError(flag, f"{value} is not a number of seconds: give one from 1 to 604800")
    if not 1 <= value <= MAX_TIMEOUT_SECONDS:
        raise InputError(flag, f"{value:g} s is out of range: give 1 to {MAX_TIMEOUT_SECONDS}")
    return value


def report_file(flag: str, path: Path | None) -> Path | None:
    """A file that can be written, with its `.html` and `.svg`, in a folder that exists."""
    if path is None:
        return None
    if not path.name or str(path).endswith(os.sep):
        raise InputError(flag, f"{str(path)!r} names no file: give a path such as out/report.json")
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise InputError(flag, f"cannot use {path}: {error.strerror}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise InputError(flag, f"{path} is a folder: give a file name inside it")
    if mode is not None and not stat.S_ISREG(mode):
        raise InputError(flag, f"{path} is not a regular file (the report is written there)")
    folder(flag, path.parent)
    return path


def folder(flag: str, path: Path) -> Path:
    """An existing folder the CLI can write in (never created silently: a typo would hide)."""
    where = path if str(path) else Path()
    if not where.exists():
        raise InputError(flag, f"folder {where} does not exist: create it first (mkdir -p)")
    if not where.is_dir():
        raise InputError(flag, f"{where} is not a folder")
    try:
        with tempfile.NamedTemporaryFile(dir=where, prefix=".drsorch-write-check-"):
            pass
    except OSError as error:
        raise InputError(flag, f"cannot write in {where}: {error.strerror or error}") from None
    return path


def region(flag: str, name: str) -> str:
    """A region AWS has, in any partition of botocore's data."""
    regions = known_regions()
    if name in regions:
        return name
    close = difflib.get_close_matches(name, sorted(regions), n=1, cutoff=0.7)
    hint = f" (did you mean {close[0]!r}?)" if close else " (e.g. us-east-1)"
    raise InputError(flag, f"{name!r} is not an AWS region{hint}")


@cache
def known_regions() -> frozenset[str]:
    """Every region of every partition botocore knows."""
    from botocore.loaders import create_loader  # noqa: PLC0415 - loaded on demand

    endpoints = create_loader().load_data("endpoints")
    return frozenset(name for p in endpoints["partitions"] for name in p.get("regions", {}))


def endpoint_urls() -> None:
    """`AWS_ENDPOINT_URL` (and the per-service ones the CLI uses), when set, are http(s) URLs."""
    for variable in ENDPOINT_VARIABLES:
        value = os.environ.get(variable)
        if value is not None:
            _endpoint_url(variable, value)


def _endpoint_url(variable: str, value: str) -> None:
    example = "e.g. http://127.0.0.1:4566"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as error:
        raise InputError(variable, f"{value!r} is not a URL ({error}; {example})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(variable, f"{value!r} is not an http(s) URL with a host ({example})")
    if port == 0 or any(c.isspace() for c in value):
        raise InputError(variable, f"{value!r} is not a usable URL ({example})")
