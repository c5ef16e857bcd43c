"""Bounds no estate can pass: what DRS and EC2 can really hold and report.

Two rounds, each yielding `(loc, message)` like the consistency checks:

- `raw_issues` walks the parsed YAML before the models see it: numbers must be finite
  and fit 64 bits, and `version` must be the integer 1 (`1.0` and `true` compare
  equal to 1 in Python, so the models alone would take them).
- `estate_issues` walks a well-shaped `Estate`: instance types from botocore's EC2
  model, fault operations from its DRS model, replication lags DRS can report,
  emulator settings within sense, and generated names a Name tag can hold.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator
from functools import cache
from typing import Any

from drsorch.local.drs.settings import DurationRange, EmulatorSettings
from drsorch.local.estate.errors import Loc
from drsorch.local.estate.models import Estate, Generator, InstanceSpec, ServerBody
from drsorch.local.estate.types import MAX_NAME

Issue = tuple[Loc, str]

MAX_LAG_SECONDS = 31_536_000
"""One year: the most the services' contracts take as a replication lag (`Seconds`)."""
MAX_DURATION_SECONDS = 31_536_000
"""A simulated step of the emulator lasts at most a year."""
MAX_CLOCK_SCALE = 1_000_000.0
MAX_SERVERS_PER_JOB = 200
"""The most `StartRecovery` accepts (botocore's DRS model: sourceServers max 200)."""
MAX_QUOTA = 100_000
MAX_PAGE_SIZE = 1000
MAX_CALL_LOG = 1_000_000
MAX_GENERATOR_START = 1_000_000_000
MAX_FAULT_TEXT = 1024
INT64 = 1 << 63


def raw_issues(data: Any) -> Iterator[Issue]:
    """Non-finite or oversized numbers anywhere, and a `version` that is not the integer 1."""
    if isinstance(data, dict) and "version" in data and type(data["version"]) is not int:
        shown = repr(data["version"])
        yield ("version",), f"the version is the integer 1, not {shown}"
    yield from _numbers(data, ())


def _numbers(data: Any, loc: Loc) -> Iterator[Issue]:
    stack: list[tuple[Any, Loc]] = [(data, loc)]
    while stack:
        value, here = stack.pop()
        if isinstance(value, dict):
            stack += [(v, (*here, str(k))) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [(v, (*here, i)) for i, v in enumerate(value)]
        elif isinstance(value, float) and not math.isfinite(value):
            yield here, f"{value} is not a number an estate can hold: write a finite value"
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= INT64:
            yield here, "the number is too large (at most 19 digits)"


def estate_issues(estate: Estate) -> Iterator[Issue]:
    """Every value of a well-shaped estate that DRS or EC2 could not hold or report."""
    yield from _settings(estate.drs)
    if estate.reverse_replication is not None:
        yield from _lag(
            ("reverse_replication", "lag_seconds"), estate.reverse_replication.lag_seconds
        )
    for a, account in enumerate(estate.accounts):
        for s, server in enumerate(account.servers):
            yield from _body(("accounts", a, "servers", s), server)
        for g, generator in enumerate(account.generators):
            yield from _generator(("accounts", a, "generators", g), generator)


def _body(loc: Loc, body: ServerBody) -> Iterator[Issue]:
    yield from _instance_type((*loc, "instance_type"), body.instance_type)
    yield from _lag((*loc, "replication", "lag_seconds"), body.replication.lag_seconds)
    if body.reverse_replication is not None:
        lag = body.reverse_replication.lag_seconds
        yield from _lag((*loc, "reverse_replication", "lag_seconds"), lag)
    for role in ("original", "target"):
        spec: InstanceSpec | None = getattr(body, role)
        if spec is not None:
            yield from _instance_type((*loc, role, "instance_type"), spec.instance_type)


def _generator(loc: Loc, generator: Generator) -> Iterator[Issue]:
    yield from _body((*loc, "template"), generator.template)
    if generator.unhealthy is not None:
        yield from _lag((*loc, "unhealthy", "lag_seconds"), generator.unhealthy.lag_seconds)
    if generator.start > MAX_GENERATOR_START:
        yield (*loc, "start"), f"the first index is at most {MAX_GENERATOR_START:,}"
        return
    last = generator.start + generator.count - 1
    name = generator.name.format(index=last)
    if len(name) > MAX_NAME:
        message = f"index {last} makes a name of {len(name)} characters; a Name tag holds 256"
        yield (*loc, "name"), message
    elif generator.hostname is not None:
        hostname = generator.hostname.format(index=last, name=name)
        if len(hostname) > MAX_NAME:
            yield (*loc, "hostname"), f"makes hostnames of {len(hostname)} characters (max 256)"


def _lag(loc: Loc, seconds: int) -> Iterator[Issue]:
    if seconds > MAX_LAG_SECONDS:
        yield (
            loc,
            (
                f"{seconds:,} s is more replication lag than DRS reports "
                f"(at most {MAX_LAG_SECONDS:,} s, a year)"
            ),
        )


def _instance_type(loc: Loc, value: str | None) -> Iterator[Issue]:
    if value is None or value in ec2_instance_types():
        return
    close = difflib.get_close_matches(value, ec2_instance_types(), n=1, cutoff=0.75)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    yield loc, f"{value!r} is not an EC2 instance type{hint}"


def _settings(drs: EmulatorSettings) -> Iterator[Issue]:
    here: Loc = ("drs",)
    if drs.clock.scale > MAX_CLOCK_SCALE:
        yield (*here, "clock", "scale"), f"at most {MAX_CLOCK_SCALE:,.0f} simulated s per s"
    for name in type(drs.timings).model_fields:
        timing: DurationRange = getattr(drs.timings, name)
        if timing.max_seconds > MAX_DURATION_SECONDS:
            loc = (*here, "timings", name, "max_seconds")
            yield loc, f"at most {MAX_DURATION_SECONDS:,} s (a year)"
    quotas = drs.quotas
    if quotas.servers_per_job > MAX_SERVERS_PER_JOB:
        message = f"DRS's StartRecovery takes at most {MAX_SERVERS_PER_JOB} servers"
        yield (*here, "quotas", "servers_per_job"), message
    for name in ("concurrent_jobs", "servers_in_active_jobs", "replicating_servers"):
        if getattr(quotas, name) > MAX_QUOTA:
            yield (*here, "quotas", name), f"at most {MAX_QUOTA:,}"
    for name in ("default_page_size", "max_page_size"):
        if getattr(drs.paging, name) > MAX_PAGE_SIZE:
            yield (*here, "paging", name), f"at most {MAX_PAGE_SIZE} (DRS pages hold 1000)"
    if drs.call_log_limit > MAX_CALL_LOG:
        yield (*here, "call_log_limit"), f"at most {MAX_CALL_LOG:,}"
    yield from _faults(drs)


def _faults(drs: EmulatorSettings) -> Iterator[Issue]:
    here: Loc = ("drs", "faults")
    known = drs_operations()
    for operation, fault in drs.faults.operations.items():
        if operation != "*" and operation not in known:
            close = difflib.get_close_matches(operation, sorted(known), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else " (or '*' for every one)"
            yield (*here, "operations", operation), f"{operation!r} is no DRS operation{hint}"
        if fault.retry_after_seconds > 3600:
            loc = (*here, "operations", operation, "retry_after_seconds")
            yield loc, "at most 3600 s"
    for server, server_fault in drs.faults.servers.items():
        if len(server) > MAX_NAME:
            yield (*here, "servers", server), "a source server ID or hostname is at most 256"
        reason = server_fault.launch_failure
        if reason is not None and len(reason) > MAX_FAULT_TEXT:
            loc = (*here, "servers", server, "launch_failure")
            yield loc, f"at most {MAX_FAULT_TEXT} characters"


@cache
def ec2_instance_types() -> frozenset[str]:
    """Every instance type in botocore's EC2 model."""
    return frozenset(_shape_enum("ec2", "InstanceType"))


@cache
def drs_operations() -> frozenset[str]:
    """Every operation in botocore's DRS model."""
    return frozenset(_model("drs").operation_names)


def _model(service: str) -> Any:
    import botocore.session  # noqa: PLC0415 - the models load in a tenth of a second, on demand

    return botocore.session.get_session().get_service_model(service)


def _shape_enum(service: str, shape: str) -> list[str]:
    return list(_model(service).shape_for(shape).enum)
