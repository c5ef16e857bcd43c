"""Turning the request flags into a `RequestSpec`: pure functions, every error naming its flag.

Flag grammar (also in `drsorch failback --help`):

- `--scope KEY=VALUE` (repeatable): servers carrying every one of these tags.
- `--servers ID,ID,...` (repeatable): DRS source server IDs. Exactly one of the two.
- `--accounts HUB,SPOKE,...` (repeatable, comma-separated): the first entry is the hub
  (default: the caller's account); each spoke is `ACCOUNT[:ROLE[:EXTERNAL_ID]]`, the role
  defaulting to the deployment's spoke role. An external ID may contain `:` but not `,`.
- `--set KEY=VALUE` (repeatable): launch settings: `copyPrivateIp=true|false`,
  `copyTags=true|false`, `licensing=BYOL|LICENSE_INCLUDED`,
  `rightSizing=NONE|BASIC|IN_AWS`, `launchDisposition=STOPPED|STARTED`. Keys are
  read without regard to case, `-` or `_` (`right-sizing`, `copy_tags`).
- `--option KEY=VALUE` (repeatable): how drsorch paces and judges the request:
  `batchSize` (servers per job, 1-100), `waveSuccessRatio` (0-1: share of a wave that must
  land before the next starts), `maxReplicationLagSeconds`, `readinessDeadlineSeconds`,
  `jobTimeoutSeconds`, `namePrefix` and `nameSuffix` (repeatable: stripped from Name tags
  before matching), `tagLineageTargets=true|false` (may drsorch add the AWSDRS tag to a
  target it paired by lineage). Keys are read as `--set` keys are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from drsorch.cli.checks import region
from drsorch.cli.errors import InputError
from drsorch.contracts import (
    Accounts,
    LaunchSettings,
    RequestOptions,
    RequestSpec,
    Scope,
    Spoke,
    TargetOverride,
)
from drsorch.contracts.types import LaunchIntoMode, Operation

M = TypeVar("M", bound=BaseModel)
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{message} ({where})" if where else message


def _pairs(flag: str, values: Sequence[str]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        key, sep, right = value.partition("=")
        if not sep or not key.strip():
            raise InputError(flag, f"{value!r} is not KEY=VALUE")
        pairs.append((key.strip(), right.strip()))
    return pairs


def split_list(values: Sequence[str]) -> list[str]:
    """Comma-separated values of a repeatable flag, flattened, blanks dropped."""
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def parse_scope(scope: Sequence[str], servers: Sequence[str]) -> Scope:
    """`--scope KEY=VALUE ...` or `--servers ID,...`, exactly one of them."""
    if scope and servers:
        raise InputError("--scope/--servers", "give tags (--scope) or server IDs, not both")
    if not scope and not servers:
        raise InputError(
            "--scope/--servers", "say which servers: --scope KEY=VALUE or --servers ID"
        )
    if scope:
        selector: dict[str, str] = {}
        for key, value in _pairs("--scope", scope):
            if key.lower().startswith("aws:"):
                raise InputError(
                    "--scope", f"tag key {key!r}: the 'aws:' prefix is reserved by AWS"
                )
            if key in selector and selector[key] != value:
                raise InputError("--scope", f"tag {key!r} given twice with different values")
            selector[key] = value
        return _validated("--scope", Scope, {"selector": selector})
    ids = split_list(servers)
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise InputError("--servers", f"server IDs given more than once: {', '.join(repeated)}")
    return _validated("--servers", Scope, {"source_server_ids": tuple(ids)})


def _spoke(entry: str) -> Spoke:
    account, _, rest = entry.partition(":")
    role, _, external_id = rest.partition(":")
    fields = {"account_id": account, "role_name": role or None, "external_id": external_id or None}
    return _validated("--accounts", Spoke, fields)


def parse_accounts(values: Sequence[str], caller_account: str) -> Accounts:
    """`--accounts HUB,SPOKE[:ROLE[:EXTERNAL_ID]],...`; without it, the caller's account alone."""
    entries = split_list(values)
    if values and not entries:  # given, but empty: never read as "the caller's account"
        raise InputError(
            "--accounts", "no account given: name the hub first (12 digits), or leave the flag out"
        )
    if not entries:
        return _validated("--accounts", Accounts, {"hub": caller_account})
    hub, *spokes = entries
    if ":" in hub:
        raise InputError("--accounts", f"the first entry is the hub account, not a spoke: {hub!r}")
    return _validated(
        "--accounts", Accounts, {"hub": hub, "spokes": tuple(_spoke(s) for s in spokes)}
    )


def _bool(value: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ValueError("expected true or false")


def _licensing(value: str) -> bool:
    normal = value.upper().replace("-", "_")
    if normal in ("BYOL", "TRUE"):
        return True
    if normal in ("LICENSE_INCLUDED", "FALSE"):
        return False
    raise ValueError("expected BYOL or LICENSE_INCLUDED")


def _whole(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError("expected a whole number") from None


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ValueError("expected a number") from None


def _upper(value: str) -> str:
    return value.upper().replace("-", "_")


@dataclass(frozen=True)
class _Setting:
    field: str
    convert: Callable[[str], Any]
    listed: bool = False
    """Repeatable: each value is added to a tuple instead of replacing the last."""


@dataclass(frozen=True)
class _Keys:
    """What one KEY=VALUE flag accepts: its keys by normalized name, and how to say them."""

    flag: str
    noun: str
    known: Mapping[str, _Setting]
    names: str


def _parse_keyed(keys: _Keys, values: Sequence[str], model: type[M]) -> M:
    """`FLAG KEY=VALUE ...` into `model`: keys read without regard to case, `-` or `_`, and
    every value checked as it comes, so the error names the pair that is wrong."""
    flag = keys.flag
    fields: dict[str, Any] = {}
    for key, value in _pairs(flag, values):
        setting = keys.known.get(key.lower().replace("-", "").replace("_", ""))
        if setting is None:
            raise InputError(flag, f"unknown {keys.noun} {key!r} (known: {keys.names})")
        try:
            converted = setting.convert(value)
            if setting.listed:
                converted = (*fields.get(setting.field, ()), converted)
            model.model_validate({setting.field: converted})
        except ValidationError as exc:
            raise InputError(flag, f"{key}={value!r}: {_first_error(exc)}") from exc
        except ValueError as exc:
            raise InputError(flag, f"{key}={value!r}: {exc}") from exc
        fields[setting.field] = converted
    return _validated(flag, model, fields)


SETTINGS = {
    "copyprivateip": _Setting("copy_private_ip", _bool),
    "copytags": _Setting("copy_tags", _bool),
    "licensing": _Setting("os_byol", _licensing),
    "osbyol": _Setting("os_byol", _bool),
    "rightsizing": _Setting("right_sizing", _upper),
    "targetinstancetyperightsizingmethod": _Setting("right_sizing", _upper),
    "launchdisposition": _Setting("launch_disposition", _upper),
}
SETTING_NAMES = "copyPrivateIp, copyTags, licensing, rightSizing, launchDisposition"
SETTING_KEYS = _Keys("--set", "launch setting", SETTINGS, SETTING_NAMES)


def parse_launch_settings(values: Sequence[str]) -> LaunchSettings:
    """`--set KEY=VALUE ...` into the launch settings a request applies."""
    return _parse_keyed(SETTING_KEYS, values, LaunchSettings)


OPTIONS = {
    "batchsize": _Setting("batch_size", _whole),
    "wavesuccessratio": _Setting("wave_success_ratio", _number),
    "maxreplicationlagseconds": _Setting("max_replication_lag_seconds", _whole),
    "readinessdeadlineseconds": _Setting("readiness_deadline_seconds", _whole),
    "jobtimeoutseconds": _Setting("job_timeout_seconds", _whole),
    "nameprefix": _Setting("name_prefixes", str, listed=True),
    "namesuffix": _Setting("name_suffixes", str, listed=True),
    "taglineagetargets": _Setting("tag_lineage_targets", _bool),
    "slots": _Setting("failback_slots", _whole),
    "failbackslots": _Setting("failback_slots", _whole),
    "assumedsyncseconds": _Setting("assumed_sync_seconds", _whole),
}
OPTION_NAMES = (
    "batchSize, waveSuccessRatio, maxReplicationLagSeconds, readinessDeadlineSeconds, "
    "jobTimeoutSeconds, namePrefix, nameSuffix, tagLineageTargets, slots, assumedSyncSeconds"
)
OPTION_KEYS = _Keys("--option", "option", OPTIONS, OPTION_NAMES)


def parse_request_options(values: Sequence[str]) -> RequestOptions:
    """`--option KEY=VALUE ...` into the request's options; name affixes accumulate."""
    return _parse_keyed(OPTION_KEYS, values, RequestOptions)


@dataclass(frozen=True)
class RequestFlags:
    """The request flags as given on the command line (already split by typer)."""

    operation: Operation
    scope: Sequence[str] = ()
    servers: Sequence[str] = ()
    accounts: Sequence[str] = ()
    primary_region: str = ""
    recovery_region: str = ""
    drill: bool = False
    launch_into: LaunchIntoMode | None = None
    settings: Sequence[str] = ()
    options: Sequence[str] = ()
    plan: bool = False
    approve: str | None = None
    reason: str | None = None
    targets: Sequence[str] = ()


def parse_targets(values: Sequence[str]) -> tuple[TargetOverride, ...]:
    """`--target SERVER=INSTANCE ...`: the operator's explicit targets, one per server."""
    overrides: dict[str, str] = {}
    for server_id, instance_id in _pairs("--target", values):
        if overrides.setdefault(server_id, instance_id) != instance_id:
            raise InputError("--target", f"server {server_id} is given two targets")
    return tuple(
        _validated("--target", TargetOverride, {"source_server_id": s, "instance_id": i})
        for s, i in sorted(overrides.items())
    )


def build_spec(
    flags: RequestFlags, *, caller_account: str, requested_by: str, requested_at: datetime
) -> RequestSpec:
    """The request's spec, or an `InputError` naming the first bad flag."""
    if flags.plan and flags.approve:
        raise InputError("--plan/--approve", "--plan asks for a plan, --approve applies one")
    if flags.drill and flags.launch_into in ("required", "preferred"):
        raise InputError(
            "--launch-into",
            f"{flags.launch_into} with --drill: a drill never launches into production "
            "instances (use never, or leave it unset)",
        )
    region("--primary-region", flags.primary_region)
    region("--recovery-region", flags.recovery_region)
    if flags.primary_region == flags.recovery_region:
        raise InputError("--recovery-region", "must differ from --primary-region")
    if flags.drill and flags.targets:
        raise InputError("--target", "a drill launches new instances only: it takes no --target")
    fields = {
        "operation": flags.operation,
        "scope": parse_scope(flags.scope, flags.servers),
        "accounts": parse_accounts(flags.accounts, caller_account),
        "primary_region": flags.primary_region,
        "recovery_region": flags.recovery_region,
        "drill": flags.drill,
        "launch_into": flags.launch_into,
        "launch_settings": parse_launch_settings(flags.settings),
        "options": parse_request_options(flags.options),
        "target_overrides": parse_targets(flags.targets),
        "plan_only": flags.plan,
        "approved_plan_hash": flags.approve.lower() if flags.approve else None,
        "requested_by": requested_by,
        "reason": flags.reason,
        "requested_at": requested_at,
    }
    try:
        return RequestSpec.model_validate(fields)
    except ValidationError as exc:
        raise InputError(_flag_of(exc), _first_error(exc)) from exc


_FLAG_OF_FIELD = {
    "primary_region": "--primary-region",
    "recovery_region": "--recovery-region",
    "approved_plan_hash": "--approve",
    "requested_by": "requested_by",
    "reason": "--reason",
    "launch_into": "--launch-into",
}


def _flag_of(exc: ValidationError) -> str:
    loc = exc.errors()[0]["loc"]
    return _FLAG_OF_FIELD.get(str(loc[0]), "request") if loc else "request"


def _validated(flag: str, model: type[M], fields: dict[str, Any]) -> M:
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise InputError(flag, _first_error(exc)) from exc
