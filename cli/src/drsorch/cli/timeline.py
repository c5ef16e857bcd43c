"""The timeline picture of a request: waves and jobs on a time axis, one bar per server.

An SVG written directly (no plotting library: the picture is boxes, lines and text,
and a browser or any SVG viewer shows it). Rows are grouped by wave, then by job;
each server's bar spans its job (DRS reports times per job, not per server) and is
coloured by the server's outcome, so a failed server stands out inside its job.
Servers that never reached a job (refused, left out by matching, not ready) are
listed below the jobs, and below them the steps taken about the request (its cancel,
the round trip chained after it). Rows stay readable at hundreds of servers: names are drawn
while a row is at least 9 px high, and each bar carries a tooltip either way.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from drsorch.cli.palette import OUTCOME_COLOURS, OUTCOME_WORDS, colour
from drsorch.cli.report import Report, Step
from drsorch.contracts import JobRecord, ServerReport

WIDTH = 1280
GUTTER = 300  # labels: wave, job, server name
RIGHT = 40
HEADER = 96
MAX_ROW = 14.0
MIN_ROW = 3.0
LEFT_OUT_ROW = 12.0
CHAR_WIDTH = 6.8  # of the 11 px job label, to decide whether it fits right of its span
TARGET_PLOT_HEIGHT = 1400.0
GROUP_GAP = 6.0
TICK_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400)


@dataclass(frozen=True)
class _Row:
    y: float
    server: ServerReport | None = None
    label: str = ""
    job: JobRecord | None = None
    kind: str = "server"  # server, job, wave, section, left_out, step
    h: float = 0.0  # a server row's height


def _row_height(rows: int) -> float:
    return max(MIN_ROW, min(MAX_ROW, TARGET_PLOT_HEIGHT / max(rows, 1)))


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass(frozen=True)
class _Axis:
    start: datetime
    seconds: float
    left: float = GUTTER
    right: float = WIDTH - RIGHT

    def x(self, moment: datetime) -> float:
        offset = (moment - self.start).total_seconds()
        return self.left + (self.right - self.left) * offset / self.seconds

    def ticks(self) -> list[float]:
        step = next((s for s in TICK_STEPS if self.seconds / s <= 12), TICK_STEPS[-1])
        return [float(t) for t in range(0, int(self.seconds) + 1, step)]


def _axis(jobs: tuple[JobRecord, ...], fallback_end: datetime) -> _Axis | None:
    if not jobs:
        return None
    start = min(j.started_at for j in jobs)
    end = max((j.ended_at or fallback_end) for j in jobs)
    return _Axis(start, max((end - start).total_seconds(), 1.0))


def _layout(report: Report) -> tuple[list[_Row], float]:
    """The rows, top to bottom, and the y where they end."""
    by_job: dict[str, list[ServerReport]] = defaultdict(list)
    left_out: list[ServerReport] = []
    jobs = {j.job_id: j for j in report.jobs}
    for server in report.servers:
        (by_job[server.job_id] if server.job_id in jobs else left_out).append(server)
    names = [(u.server, "unmatched", u.reason) for u in report.unmatched]
    names += [(a.server, "ambiguous", a.reason) for a in report.ambiguous]
    count = sum(len(v) for v in by_job.values()) + len(left_out) + len(names)
    height = _row_height(count)
    rows: list[_Row] = []
    y = float(HEADER)
    for wave in sorted({j.wave for j in report.jobs}):
        rows.append(_Row(y, label=_wave_label(wave, report, by_job), kind="wave"))
        y += 18
        for job in sorted((j for j in report.jobs if j.wave == wave), key=lambda j: j.started_at):
            rows.append(_Row(y, label=_job_label(job, by_job[job.job_id]), job=job, kind="job"))
            y += 14
            for server in sorted(by_job[job.job_id], key=_server_key):
                rows.append(_Row(y, server=server, job=job, h=height))
                y += height
            y += GROUP_GAP
    if left_out or names:
        rows.append(_Row(y, label="Not launched", kind="section"))
        y += 18
        # Few, and each with a reason worth reading: never shrunk below a line of text.
        tall = max(height, LEFT_OUT_ROW)
        for server in sorted(left_out, key=_server_key):
            rows.append(_Row(y, server=server, kind="left_out", h=tall))
            y += tall
        for ref, outcome, reason in names:
            placeholder = ServerReport(server=ref, outcome="skipped", reason=reason)
            rows.append(_Row(y, server=placeholder, label=outcome, kind="left_out", h=tall))
            y += tall
    if report.steps:
        rows.append(_Row(y, label="Cancel and round trip", kind="section"))
        y += 18
        for step in report.steps:
            rows.append(_Row(y, label=_step_label(step), kind="step"))
            y += LEFT_OUT_ROW + 2
    return rows, y


def _step_label(step: Step) -> str:
    """One line per step: what, when, by whom, and what it did."""
    when = f" at {step.at:%Y-%m-%d %H:%M:%S} UTC" if step.at else ""
    by = f" by {step.by}" if step.by else ""
    own = f" ({step.request_id})" if step.request_id else ""
    return f"{step.kind.replace('_', ' ')}{own}{when}{by}: {step.outcome}"


def _wave_label(wave: int, report: Report, by_job: dict[str, list[ServerReport]]) -> str:
    jobs = [j for j in report.jobs if j.wave == wave]
    servers = sum(len(by_job[j.job_id]) for j in jobs)
    start = min(j.started_at for j in jobs)
    ends = [j.ended_at for j in jobs if j.ended_at is not None]
    took = f" in {_clock((max(ends) - start).total_seconds())}" if len(ends) == len(jobs) else ""
    return f"Wave {wave} · {servers} servers, {len(jobs)} jobs{took}"


def _server_key(server: ServerReport) -> tuple[str, str]:
    return (server.server.name or "", server.server.source_server_id)


def _job_label(job: JobRecord, servers: list[ServerReport]) -> str:
    bad = sum(1 for s in servers if s.outcome != "recovered")
    took = f" · {_clock((job.ended_at - job.started_at).total_seconds())}" if job.ended_at else ""
    tail = f" · {bad} not recovered" if bad else ""
    return f"{len(servers)} servers{took}{tail}"


def _title(report: Report, axis: _Axis | None) -> list[str]:
    s = report.summary
    when = f" · jobs from {axis.start:%Y-%m-%d %H:%M:%S} UTC (DRS clock)" if axis else ""
    headline = (
        f"drsorch {report.operation}{' drill' if report.drill else ''} {report.request_id}"
        f" — {report.status}"
    )
    detail = (
        f"{s.servers} servers · {s.landed_where_expected} landed where expected · "
        f"{len(report.jobs)} jobs in {len({j.wave for j in report.jobs})} waves{when}"
    )
    return [
        f'<text x="16" y="26" class="h1">{escape(headline)}</text>',
        f'<text x="16" y="46" class="small">{escape(detail)}</text>',
    ]


def _legend(report: Report) -> list[str]:
    used: set[str] = {s.outcome for s in report.servers}
    used |= {"unmatched"} if report.unmatched else set()
    used |= {"ambiguous"} if report.ambiguous else set()
    parts, x = [], 16.0
    for outcome in OUTCOME_COLOURS:
        if outcome not in used:
            continue
        word = OUTCOME_WORDS[outcome]
        parts.append(f'<rect x="{x}" y="58" width="12" height="12" fill="{colour(outcome)}"/>')
        parts.append(f'<text x="{x + 16}" y="68" class="small">{escape(word)}</text>')
        x += 30 + 7.0 * len(word)
    return parts


def _grid(axis: _Axis | None, top: float, bottom: float) -> list[str]:
    if axis is None:
        return [f'<text x="{GUTTER}" y="{top - 8}" class="small">No DRS job ran.</text>']
    parts = []
    for tick in axis.ticks():
        x = axis.x(axis.start + timedelta(seconds=tick))
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" class="grid"/>')
        parts.append(f'<text x="{x:.1f}" y="{top - 6}" class="tick">+{_clock(tick)}</text>')
    return parts


def _server_bar(row: _Row, axis: _Axis | None, end: datetime) -> list[str]:
    server, height = row.server, row.h
    if server is None:
        return []
    name = server.server.name or server.server.source_server_id
    outcome = row.label or server.outcome
    tip = f"{name} ({server.server.source_server_id}, {server.server.account_id}): {outcome}"
    if server.reason:
        tip += f" — {server.reason}"
    bar_h = max(1.0, height - (1.0 if height >= 6 else 0.0))
    if axis is not None and row.job is not None:
        x = axis.x(row.job.started_at)
        width = max(2.0, axis.x(row.job.ended_at or end) - x)
    else:
        x, width = float(GUTTER), 8.0
    parts = [
        f'<rect class="server-bar" data-server="{escape(server.server.source_server_id)}" '
        f'data-outcome="{escape(outcome)}" x="{x:.1f}" y="{row.y:.1f}" width="{width:.1f}" '
        f'height="{bar_h:.1f}" fill="{colour(outcome)}"><title>{escape(tip)}</title></rect>'
    ]
    if height >= 9:
        font = min(11.0, height - 2)
        label = name if len(name) <= 40 else name[:39] + "…"
        parts.append(
            f'<text x="{GUTTER - 8}" y="{row.y + height - 2.5:.1f}" class="name" '
            f'style="font-size:{font:.0f}px">{escape(label)}</text>'
        )
        if row.kind == "left_out":
            why = f"{OUTCOME_WORDS.get(outcome, outcome)}: {server.reason or ''}".rstrip(": ")
            room = int((WIDTH - GUTTER - 24) / (font * 0.62))
            text = why if len(why) <= room else why[: room - 1] + "…"
            parts.append(
                f'<text x="{GUTTER + 14}" y="{row.y + height - 2.5:.1f}" class="why" '
                f'style="font-size:{font:.0f}px">{escape(text)}</text>'
            )
    return parts


def _group_rows(rows: list[_Row], axis: _Axis | None, end: datetime) -> list[str]:
    parts = []
    for row in rows:
        if row.kind in ("wave", "section"):
            parts.append(f'<text x="12" y="{row.y + 13}" class="wave">{escape(row.label)}</text>')
            parts.append(
                f'<line x1="12" y1="{row.y + 16}" x2="{WIDTH - RIGHT}" y2="{row.y + 16}" '
                'class="rule"/>'
            )
        elif row.kind == "step":
            parts.append(
                f'<text x="24" y="{row.y + 11}" class="step" data-step="{escape(row.label)}">'
                f"{escape(row.label)}</text>"
            )
        elif row.kind == "job" and row.job is not None:
            job = row.job
            parts.append(
                f'<text x="{GUTTER - 8}" y="{row.y + 10}" class="job name">'
                f"{escape(job.job_id)} · {escape(job.account_id)}</text>"
            )
            x1 = axis.x(job.started_at) if axis else float(GUTTER)
            x2 = max(axis.x(job.ended_at or end), x1 + 2) if axis else x1 + 2
            parts.append(
                f'<line x1="{x1:.1f}" y1="{row.y + 7}" x2="{x2:.1f}" y2="{row.y + 7}" '
                'class="jobspan"/>'
            )
            # The job's figures go after its span, or before it when the span ends late.
            if x2 + 8 + CHAR_WIDTH * len(row.label) <= WIDTH - 4:
                where = f'x="{x2 + 6:.1f}"'
            else:
                where = f'x="{x1 - 6:.1f}" text-anchor="end"'
            parts.append(f'<text {where} y="{row.y + 11}" class="job">{escape(row.label)}</text>')
    return parts


def _wave_bands(rows: list[_Row], bottom: float) -> list[str]:
    starts = [row.y for row in rows if row.kind in ("wave", "section")] + [bottom]
    return [
        f'<rect x="8" y="{top - 2:.1f}" width="{WIDTH - RIGHT}" height="{below - top - 2:.1f}" '
        f'class="band{index % 2}"/>'
        for index, (top, below) in enumerate(itertools.pairwise(starts))
    ]


STYLE = """
text { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; fill: #212121; }
.h1 { font-size: 18px; font-weight: bold; }
.small { font-size: 12px; fill: #424242; }
.wave { font-size: 13px; font-weight: bold; }
.job { font-size: 11px; fill: #37474f; }
.name { text-anchor: end; fill: #37474f; }
.why { fill: #4a148c; }
.step { font-size: 12px; fill: #1a237e; }
.tick { font-size: 11px; text-anchor: middle; fill: #616161; }
.grid { stroke: #e0e0e0; stroke-width: 1; }
.rule { stroke: #bdbdbd; stroke-width: 1; }
.jobspan { stroke: #263238; stroke-width: 3; }
.band0 { fill: #fafafa; }
.band1 { fill: #f1f5f9; }
"""


def render_timeline(report: Report) -> str:
    """The SVG picture of `report`: a standalone document, no scripts, no external files."""
    end = report.timings.last_job_ended_at or report.timings.ended_at
    axis = _axis(report.jobs, end)
    rows, bottom = _layout(report)
    bottom += GROUP_GAP
    total = bottom + 16
    body = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{total:.0f}" '
        f'viewBox="0 0 {WIDTH} {total:.0f}" role="img">',
        f"<title>drsorch request {escape(report.request_id)}: timeline</title>",
        f"<style>{STYLE}</style>",
        f'<rect width="{WIDTH}" height="{total:.0f}" fill="#ffffff"/>',
        *_title(report, axis),
        *_legend(report),
        *_wave_bands(rows, bottom),
        *_grid(axis, HEADER - 4, bottom),
        *_group_rows(rows, axis, end),
        *(part for row in rows for part in _server_bar(row, axis, end)),
        "</svg>",
    ]
    return "\n".join(body) + "\n"
