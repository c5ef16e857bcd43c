"""CloudWatch alarm state changes onto EventBridge, as AWS sends them.

moto keeps alarms, and `SetAlarmState` changes their state, but nothing reaches
EventBridge, so a rule on "CloudWatch Alarm State Change" (drsorch's alarm path)
would never fire locally. `install` is a local-endpoint plugin (see
`drsorch.local.server`) that wraps the CloudWatch backend's `set_alarm_state`: after
a change of state it puts the event AWS would put on the default bus of the alarm's
account and region. Setting an alarm to the state it is already in sends nothing,
as on AWS.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from typing import Any

log = logging.getLogger("drsorch.local.alarms")

SOURCE = "aws.cloudwatch"
DETAIL_TYPE = "CloudWatch Alarm State Change"
_WRAPPED = "_drsorch_forwards_state_changes"


@dataclass(frozen=True)
class AlarmState:
    """One state of an alarm as the event's `state` / `previousState` carry it."""

    value: str
    reason: str
    reason_data: str | None
    timestamp: datetime

    @classmethod
    def of(cls, alarm: Any) -> AlarmState:
        return cls(
            alarm.state_value,
            alarm.state_reason,
            alarm.state_reason_data,
            alarm.state_updated_timestamp,
        )

    def detail(self) -> dict[str, str]:
        shown = {"value": self.value, "reason": self.reason, "timestamp": _stamp(self.timestamp)}
        if self.reason_data:
            shown["reasonData"] = self.reason_data
        return shown


def _utc(moment: datetime) -> datetime:
    # moto keeps naive UTC datetimes.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    """CloudWatch's own timestamp form: `2019-10-02T17:20:48.551+0000`."""
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _configuration(alarm: Any) -> dict[str, Any]:
    configuration: dict[str, Any] = {"description": alarm.description or ""}
    if alarm.metric_name:
        metric = {
            "namespace": alarm.namespace,
            "name": alarm.metric_name,
            "dimensions": {d.name: d.value for d in alarm.dimensions},
        }
        stat = {"metric": metric, "period": alarm.period, "stat": alarm.statistic}
        metric_id = str(uuid.uuid5(uuid.NAMESPACE_URL, alarm.alarm_arn))
        configuration["metrics"] = [{"id": metric_id, "metricStat": stat, "returnData": True}]
    return configuration


def state_change_entry(alarm: Any, previous: AlarmState) -> dict[str, Any]:
    """The PutEvents entry of `alarm`'s change from `previous` to its current state."""
    current = AlarmState.of(alarm)
    detail = {
        "alarmName": alarm.name,
        "state": current.detail(),
        "previousState": previous.detail(),
        "configuration": _configuration(alarm),
    }
    return {
        "Source": SOURCE,
        "DetailType": DETAIL_TYPE,
        "Detail": json.dumps(detail),
        "Resources": [alarm.alarm_arn],
        # moto keeps an event's time as epoch seconds, as PutEvents sends it on the wire.
        "Time": _utc(current.timestamp).timestamp(),
    }


def _forwarding(set_alarm_state: Callable[..., None]) -> Callable[..., None]:
    @wraps(set_alarm_state)
    def forwarding(backend: Any, alarm_name: str, *args: Any, **kwargs: Any) -> None:
        alarm = backend.alarms.get(alarm_name)
        previous = AlarmState.of(alarm) if alarm is not None else None
        set_alarm_state(backend, alarm_name, *args, **kwargs)
        if previous is None or previous.value == alarm.state_value:
            return
        _put_on_default_bus(backend.account_id, backend.region_name, alarm, previous)

    setattr(forwarding, _WRAPPED, True)
    return forwarding


def _put_on_default_bus(account_id: str, region: str, alarm: Any, previous: AlarmState) -> None:
    from moto.events.models import events_backends  # noqa: PLC0415 - moto is heavy

    try:
        results = events_backends[account_id][region].put_events(
            [state_change_entry(alarm, previous)]
        )
    except Exception:  # the state changed all the same: SetAlarmState still succeeds
        log.exception("alarm %s: state change not put on EventBridge", alarm.name)
        return
    failed = [r for r in results if "ErrorCode" in r]
    if failed:
        log.error("alarm %s: EventBridge refused its state change: %s", alarm.name, failed)


def install(dispatcher: Any, admin: MutableMapping[str, Any]) -> None:
    """Forward every alarm state change in this process to EventBridge (idempotent)."""
    from moto.cloudwatch.models import CloudWatchBackend  # noqa: PLC0415 - moto is heavy

    current = CloudWatchBackend.set_alarm_state
    if not getattr(current, _WRAPPED, False):
        CloudWatchBackend.set_alarm_state = _forwarding(current)  # type: ignore[method-assign]
