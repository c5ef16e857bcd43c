"""The drill evidence pack: JSON (with a published JSON Schema) and one readable HTML page.

Per server: the recovery point used (snapshot ID and time), the achieved recovery time
(StartRecovery to the instance running, from DRS's and EC2's timestamps), the instance
launched and the checks it passed, all as the configurator read them from DRS and EC2
(DrillVerified). `python -m drsorch.cli.drill_evidence [PATH]` writes the schema.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from drsorch.cli.html_page import STYLE
from drsorch.contracts import CleanedInstance, DrillInstance, RecoveryPoint
from drsorch.contracts.types import PlanHash

SCHEMA_PATH = Path(__file__).with_name("drill-evidence.schema.json")
SCHEMA_ID = "https://drsorch.dev/schemas/drill-evidence.v1.schema.json"


class DrillSummary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    servers: int
    passed: int
    failed: int
    recovery_seconds_max: int | None = None
    recovery_seconds_median: float | None = None


class DrillCleanup(BaseModel):
    """The clean-up, when it is done: what was terminated and whether any is left."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    trigger: str
    none_left: bool
    instances: tuple[CleanedInstance, ...] = ()
    reason: str | None = None


class EvidencePack(BaseModel):
    """A drill's evidence: what it launched, from which point in time, how fast, checked."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Annotated[int, Field(ge=1, le=1)] = 1
    drill_id: str
    status: str
    """The drill request's status (SUCCEEDED when every server launched)."""
    plan_hash: PlanHash | None = None
    recovery_point: RecoveryPoint | None = None
    keep_for_seconds: int
    cleanup_due_at: AwareDatetime | None = None
    trace_id: str | None = None
    started_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    summary: DrillSummary
    instances: tuple[DrillInstance, ...]
    cleanup: DrillCleanup | None = None
    """Set when the pack is written after the clean-up (`drsorch drill-cleanup`)."""


def summarize(instances: Sequence[DrillInstance]) -> DrillSummary:
    times = [i.recovery_seconds for i in instances if i.recovery_seconds is not None]
    passed = sum(1 for i in instances if i.check == "passed")
    return DrillSummary(
        servers=len(instances),
        passed=passed,
        failed=len(instances) - passed,
        recovery_seconds_max=max(times) if times else None,
        recovery_seconds_median=statistics.median(times) if times else None,
    )


def schema_text() -> str:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **EvidencePack.model_json_schema(),
    }
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def _cell(value: object) -> str:
    return f"<td>{'—' if value in (None, '') else escape(str(value))}</td>"


HEADS = (
    "server", "account", "region", "job", "recovery instance", "EC2 instance", "snapshot",
    "snapshot time", "StartRecovery", "running at", "recovery time (s)", "state",
    "instance check", "system check", "check", "why",
)  # fmt: skip
CLEANUP_HEADS = (
    "server", "recovery instance", "EC2 instance", "TERMINATE job", "outcome",
    "DRS record left", "EC2 state", "why",
)  # fmt: skip


def _row(values: Sequence[object]) -> str:
    return "<tr>" + "".join(_cell(v) for v in values) + "</tr>"


def _head(names: Sequence[str]) -> str:
    return "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in names) + "</tr>"


def _point(pack: EvidencePack) -> str:
    point = pack.recovery_point
    if point is None:
        return "latest data (on-demand snapshot)"
    if point.before is not None:
        return f"latest snapshot before {point.before.isoformat()}"
    return f"snapshots {', '.join(point.snapshot_ids)}"


def _instance_rows(pack: EvidencePack) -> str:
    return "".join(
        _row(
            (
                i.source_server_id,
                i.account_id,
                i.region,
                i.job_id,
                i.recovery_instance_id,
                i.ec2_instance_id,
                i.snapshot_id,
                i.snapshot_time,
                i.recovery_started_at,
                i.instance_running_at,
                i.recovery_seconds,
                i.ec2_state,
                i.instance_status,
                i.system_status,
                i.check,
                i.reason,
            )
        )
        for i in pack.instances
    )


def _cleanup_section(pack: EvidencePack) -> str:
    c = pack.cleanup
    if c is None:
        due = f" (due {pack.cleanup_due_at.isoformat()})" if pack.cleanup_due_at else ""
        return f"<p class='muted'>Not cleaned up yet{due}</p>"
    rows = "".join(
        _row(
            (
                x.source_server_id,
                x.recovery_instance_id,
                x.ec2_instance_id,
                x.terminate_job_id,
                x.outcome,
                x.drs_record_left,
                x.ec2_state,
                x.reason,
            )
        )
        for x in c.instances
    )
    left = "none left" if c.none_left else "NOT ALL GONE"
    why = f"<p class='muted'>{escape(c.reason)}</p>" if c.reason else ""
    return (
        f"<p class='status'>Cleaned up ({escape(c.trigger)}): {left}</p>"
        f"<table>{_head(CLEANUP_HEADS)}{rows}</table>{why}"
    )


def render_html(pack: EvidencePack) -> str:
    """One self-contained page: the headline, one row per server, the clean-up."""
    s = pack.summary
    top = "—" if s.recovery_seconds_max is None else str(s.recovery_seconds_max)
    median = "—" if s.recovery_seconds_median is None else str(s.recovery_seconds_median)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Drill {escape(pack.drill_id)}</title><style>{STYLE}</style></head><body>"
        f"<h1>Drill {escape(pack.drill_id)}</h1>"
        f"<p class='status'>{s.passed} of {s.servers} drill instances passed their checks</p>"
        f"<p>Recovery point: {escape(_point(pack))}. Achieved recovery time: max {top} s, "
        f"median {median} s (StartRecovery to the instance running, from DRS's and EC2's "
        "timestamps).</p>"
        f"<p class='muted'>Plan {escape(pack.plan_hash or '—')} · trace "
        f"{escape(pack.trace_id or '—')} · status {escape(pack.status)}</p>"
        f"<h2>Drill instances</h2><table>{_head(HEADS)}{_instance_rows(pack)}</table>"
        f"<h2>Clean-up</h2>{_cleanup_section(pack)}</body></html>\n"
    )


def write_pack(pack: EvidencePack, json_path: Path) -> tuple[Path, Path]:
    """The JSON and, beside it, the page (`.html`)."""
    json_path.parent.mkdir(parents=True, exist_ok=True)
    page = json_path.with_suffix(".html")
    json_path.write_text(pack.model_dump_json(indent=2) + "\n", encoding="utf-8")
    page.write_text(render_html(pack), encoding="utf-8")
    return json_path, page


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else SCHEMA_PATH
    path.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {path}")  # noqa: T201 - a command's one line of output
    return 0


if __name__ == "__main__":
    sys.exit(main())
