"""Items of the monitor's table: how each record is keyed and written, and read back."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from drsorch.contracts import ConfigurationResult, RecoveryPoint, RequestCompleted
from drsorch.monitor.domain.records import (
    BatchRecord,
    PlanExtras,
    RequestState,
    ServerRecord,
    Summary,
)
from drsorch.monitor.ports import Emission

Item = dict[str, Any]


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _body(model: BaseModel) -> str:
    return model.model_dump_json(exclude_none=True)


@dataclass(frozen=True)
class Layout:
    """The items of one request, all under `pk = request#<request_id>`."""

    request_id: str
    expires_at: int

    @property
    def pk(self) -> str:
        return f"request#{self.request_id}"

    def key(self, sk: str) -> Item:
        return {"pk": _s(self.pk), "sk": _s(sk)}

    def _item(self, sk: str, **attributes: Any) -> Item:
        return {**self.key(sk), "expires_at": {"N": str(self.expires_at)}, **attributes}

    def summary(self, summary: Summary, version: str) -> Item:
        """The summary item, carrying the version of the request's records."""
        spec = summary.spec
        optional = {
            name: _s(value)
            for name, value in (
                ("status", summary.status),
                ("reason", summary.reason),
                ("ended_at", summary.ended_at.isoformat() if summary.ended_at else None),
            )
            if value
        }
        return self._item(
            "summary",
            body=_s(_body(summary)),
            phase=_s(summary.phase.value),
            operation=_s(spec.operation),
            drill={"BOOL": spec.drill},
            plan_hash=_s(summary.plan_hash),
            received_at=_s(summary.received_at.isoformat()),
            version=_s(version),
            **({"wave": {"N": str(summary.wave)}} if summary.wave is not None else {}),
            **optional,
        )

    def history(self, summary: Summary) -> Item:
        """The request's line in the history: one partition per month it was received in,
        newest last, so `drsorch history` reads it with Query alone (never a Scan)."""
        spec = summary.spec
        line = {
            "request_id": summary.request_id,
            "operation": spec.operation,
            "drill": spec.drill,
            "plan_only": spec.plan_only,
            "received_at": summary.received_at.isoformat(),
            "ended_at": summary.ended_at.isoformat() if summary.ended_at else None,
            "phase": summary.phase.value,
            "status": summary.status,
            "reason": summary.reason,
            "servers": summary.servers,
            "requested_by": spec.requested_by,
            "approved_by": sorted({a.statement.approver for a in spec.approvals}),
            "cancelled_by": summary.cancelled_by,
        }
        return {
            "pk": _s(history_pk(summary.received_at)),
            "sk": _s(f"{summary.received_at.isoformat()}#{summary.request_id}"),
            "expires_at": {"N": str(self.expires_at)},
            "body": _s(json.dumps(line, sort_keys=True)),
            "phase": _s(summary.phase.value),
            **({"status": _s(summary.status)} if summary.status else {}),
        }

    def server(self, record: ServerRecord) -> Item:
        extra = {
            name: _s(value)
            for name, value in (("outcome", record.outcome), ("ec2_state", record.ec2_state))
            if value
        }
        return self._item(
            f"server#{record.source_server_id}",
            body=_s(_body(record)),
            phase=_s(record.phase.value),
            wave={"N": str(record.wave)},
            **extra,
        )

    def batch(self, batch: BatchRecord) -> Item:
        extra = {"job_id": _s(batch.job_id)} if batch.job_id else {}
        return self._item(
            f"batch#{batch.key}", body=_s(_body(batch)), status=_s(batch.status.value), **extra
        )

    def result(self, result: ConfigurationResult) -> Item:
        return self._item(f"result#{result.source_server_id}", body=_s(_body(result)))

    def calls(self, event_id: str, calls: Mapping[str, int], plan_hash: str | None = None) -> Item:
        extra = {"plan_hash": _s(plan_hash)} if plan_hash else {}
        return self._item(
            f"calls#{event_id}", body=_s(json.dumps(dict(calls), sort_keys=True)), **extra
        )

    def extras(self, extras: PlanExtras) -> Item:
        return self._item(f"plan#{extras.index:04d}", body=_s(_body(extras)))

    def drill(self, point: RecoveryPoint) -> Item:
        return self._item("drill", body=_s(point.model_dump_json()))

    def lease(self, holder: str, until: datetime) -> Item:
        return self._item("lease", holder=_s(holder), lease_until={"N": str(until.timestamp())})

    def emission(self, emission: Emission, order: int) -> Item:
        return self._item(
            f"emit#{emission.key}",
            body=_s(emission.body),
            seq={"N": str(emission.seq)},
            order={"N": str(order)},
        )

    def cancel(self, who: str, at: datetime) -> Item:
        return self._item("cancel", cancelled_by=_s(who), cancelled_at=_s(at.isoformat()))

    def report(self, chunk: RequestCompleted) -> Item:
        return self._item(f"report#{chunk.chunk.index:04d}", body=_s(chunk.model_dump_json()))


def history_pk(received_at: datetime) -> str:
    """The history partition of requests received in that month (UTC)."""
    return f"history#{received_at.astimezone(UTC):%Y-%m}"


def parse_state(items: list[Item]) -> RequestState | None:
    """A request's state from all its items; None without a summary."""
    by_kind: dict[str, list[Item]] = {}
    for item in items:
        by_kind.setdefault(item["sk"]["S"].split("#", 1)[0], []).append(item)
    summaries = by_kind.get("summary", [])
    if not summaries:
        return None

    def bodies(kind: str) -> list[str]:
        return [item["body"]["S"] for item in by_kind.get(kind, [])]

    servers = [ServerRecord.model_validate_json(b) for b in bodies("server")]
    batches = [BatchRecord.model_validate_json(b) for b in bodies("batch")]
    results = [ConfigurationResult.model_validate_json(b) for b in bodies("result")]
    points = [RecoveryPoint.model_validate_json(b) for b in bodies("drill")]
    return RequestState(
        summary=Summary.model_validate_json(summaries[0]["body"]["S"]),
        servers={s.source_server_id: s for s in servers},
        batches={b.key: b for b in batches},
        configs={r.source_server_id: r for r in results},
        extras=[PlanExtras.model_validate_json(b) for b in bodies("plan")],
        config_calls={
            item["sk"]["S"].removeprefix("calls#"): json.loads(item["body"]["S"])
            for item in by_kind.get("calls", [])
        },
        config_hashes={
            item["sk"]["S"].removeprefix("calls#"): item.get("plan_hash", {}).get("S")
            for item in by_kind.get("calls", [])
        },
        recovery_point=points[0] if points else None,
    )
