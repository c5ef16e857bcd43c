"""The report as one readable HTML page: self-contained (inline style, inline picture, no scripts).

Sections: the headline and counts, the timeline picture, every server (one row each,
sortable by eye: wave, then name), servers left out by matching, problems, jobs,
DRS API calls, timings and what was asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from drsorch.cli.palette import OUTCOME_WORDS, colour
from drsorch.cli.report import Report
from drsorch.cli.timeline import render_timeline
from drsorch.contracts import ServerReport

STYLE = """
body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; margin: 24px; color: #212121; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; font-size: 12px; margin-top: 6px; }
th, td { border: 1px solid #e0e0e0; padding: 3px 7px; text-align: left; vertical-align: top;
  white-space: nowrap; }
td.wrap { white-space: normal; min-width: 220px; }
th { background: #f5f5f5; } tr:nth-child(even) td { background: #fafafa; }
.chip { display: inline-block; padding: 1px 7px; border-radius: 8px; color: #fff; }
.muted { color: #616161; } .mono { font-family: "DejaVu Sans Mono", monospace; }
.status { font-size: 16px; font-weight: bold; } .picture { overflow-x: auto; }
"""


def _cell(value: object, css: str = "") -> str:
    attr = f' class="{css}"' if css else ""
    if value is None or value == "":
        return f"<td{attr}>—</td>"
    return f"<td{attr}>{escape(str(value))}</td>"


def _table(headers: Sequence[str], rows: Iterable[str]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _chip(outcome: str) -> str:
    word = OUTCOME_WORDS.get(outcome, outcome)
    return (
        f'<td><span class="chip" style="background:{colour(outcome)}" title="{escape(word)}">'
        f"{escape(outcome)}</span></td>"
    )


def _server_row(s: ServerReport) -> str:
    target = s.target.instance_id if s.target else None
    landed = {None: None, True: "yes", False: "NO"}[s.launched_into_expected]
    cells = [
        _cell(s.server.wave),
        _cell(s.server.name),
        f'<td class="mono">{escape(s.server.source_server_id)}</td>',
        _cell(s.server.account_id),
        _cell(target),
        _cell(s.method),
        _cell("; ".join(s.evidence), "wrap"),
        _chip(s.outcome),
        _cell(s.reason, "wrap"),
        _cell(s.job_id),
        _cell(s.recovery_instance_id),
        _cell(s.ec2_instance_id),
        _cell(landed),
        _cell(s.private_ip_before),
        _cell(s.private_ip_after),
    ]
    return f'<tr data-server="{escape(s.server.source_server_id)}">{"".join(cells)}</tr>'


SERVER_HEADERS = (
    "wave",
    "name",
    "source server",
    "account",
    "target",
    "method",
    "evidence",
    "outcome",
    "reason",
    "job",
    "recovery instance",
    "EC2 instance",
    "into expected",
    "IP before",
    "IP after",
)


def _headline(report: Report) -> str:
    s = report.summary
    counts = ", ".join(f"{n} {o}" for o, n in s.by_outcome.items() if n)
    drill = " drill" if report.drill else ""
    reason = f'<p class="muted">{escape(report.reason)}</p>' if report.reason else ""
    trace = f" · trace <span class='mono'>{report.trace_id}</span>" if report.trace_id else ""
    return (
        f"<h1>drsorch {escape(report.operation)}{drill} "
        f'<span class="mono">{escape(report.request_id)}</span></h1>'
        f'<p class="status">{escape(report.status)}: {s.landed_where_expected} of {s.servers} '
        f"servers landed where expected</p>{reason}"
        f'<p class="muted">{escape(counts)}; {s.unmatched} unmatched, {s.ambiguous} ambiguous'
        f" · plan <span class='mono'>{escape(report.plan_hash or '—')}</span>{trace}</p>"
    )


def _left_out(report: Report) -> str:
    rows = [
        f"<tr>{_cell(u.server.name)}{_cell(u.server.source_server_id)}{_cell(u.server.account_id)}"
        f"<td>unmatched</td>{_cell(u.reason, 'wrap')}{_cell('')}</tr>"
        for u in report.unmatched
    ]
    rows += [
        f"<tr>{_cell(a.server.name)}{_cell(a.server.source_server_id)}{_cell(a.server.account_id)}"
        f"<td>ambiguous</td>{_cell(a.reason, 'wrap')}"
        f"{_cell(', '.join(a.candidate_instance_ids))}</tr>"
        for a in report.ambiguous
    ]
    if not rows:
        return "<p class='muted'>None: every server in scope was paired.</p>"
    return _table(("name", "source server", "account", "why", "reason", "candidates"), rows)


def _problems(report: Report) -> str:
    if not report.problems:
        return "<p class='muted'>None.</p>"
    rows = (
        f"<tr>{_cell(p.kind)}{_cell(p.account_id)}{_cell(p.region)}{_cell(p.source_server_id)}"
        f"{_cell('yes' if p.blocking else 'no')}{_cell(p.reason, 'wrap')}</tr>"
        for p in report.problems
    )
    return _table(("kind", "account", "region", "server", "blocking", "reason"), rows)


def _jobs(report: Report) -> str:
    if not report.jobs:
        return "<p class='muted'>No DRS job ran.</p>"
    rows = (
        f"<tr>{_cell(j.wave)}{_cell(j.job_id)}{_cell(j.account_id)}{_cell(j.region)}"
        f"{_cell(len(j.source_server_ids))}{_cell(j.started_at.isoformat())}"
        f"{_cell(j.ended_at.isoformat() if j.ended_at else 'did not complete')}</tr>"
        for j in report.jobs
    )
    return _table(("wave", "job", "account", "region", "servers", "started", "ended"), rows)


def _steps(report: Report) -> str:
    if not report.steps:
        return "<p class='muted'>No cancel, no round-trip step recorded with this report.</p>"
    rows = (
        f"<tr>{_cell(step.kind.replace('_', ' '))}{_cell(step.request_id or '')}"
        f"{_cell(step.at.isoformat() if step.at else '')}{_cell(step.by or '')}"
        f"{_cell(step.outcome)}</tr>"
        for step in report.steps
    )
    return _table(("step", "its request", "at (UTC)", "by", "outcome"), rows)


def _api_calls(report: Report) -> str:
    rows = (f"<tr>{_cell(op)}{_cell(n)}</tr>" for op, n in report.api_calls.items())
    return _table(("DRS operation", "calls"), rows)


def _timings(report: Report) -> str:
    fields = report.timings.model_dump(mode="json")
    rows = (f"<tr>{_cell(k.replace('_', ' '))}{_cell(v)}</tr>" for k, v in fields.items())
    return _table(("stage", "when (UTC) / seconds"), rows)


def _request(report: Report) -> str:
    if report.request is None:
        return "<p class='muted'>Not recorded with this report.</p>"
    text = report.request.model_dump_json(indent=2, exclude_none=True)
    return f"<pre class='mono'>{escape(text)}</pre>"


def render_html(report: Report) -> str:
    """The whole page."""
    servers = _table(SERVER_HEADERS, (_server_row(s) for s in report.servers))
    sections = [
        ("Timeline", f"<div class='picture'>{render_timeline(report)}</div>"),
        (f"Servers ({len(report.servers)})", servers),
        ("Left out by matching", _left_out(report)),
        ("Problems found by discovery", _problems(report)),
        (f"Jobs ({len(report.jobs)})", _jobs(report)),
        ("Cancel and round trip", _steps(report)),
        ("DRS API calls", _api_calls(report)),
        ("Timings", _timings(report)),
        ("Request", _request(report)),
    ]
    body = "".join(f"<h2>{escape(title)}</h2>{content}" for title, content in sections)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>drsorch {escape(report.operation)} {escape(report.request_id)}</title>"
        f"<style>{STYLE}</style></head><body>{_headline(report)}{body}"
        f"<p class='muted'>Generated {report.generated_at.isoformat()} by drsorch.</p>"
        "</body></html>\n"
    )
