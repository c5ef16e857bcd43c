"""Writing a report: the JSON, the HTML page beside it, and the timeline picture."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from drsorch.cli.html_page import render_html
from drsorch.cli.report import Report
from drsorch.cli.timeline import render_timeline


@dataclass(frozen=True)
class ReportFiles:
    """Where one report was written."""

    json: Path
    html: Path
    picture: Path


def write_report(report: Report, json_path: Path) -> ReportFiles:
    """`json_path`, and the page and picture next to it (same name, `.html` and `.svg`)."""
    json_path.parent.mkdir(parents=True, exist_ok=True)
    files = ReportFiles(
        json=json_path,
        html=json_path.with_suffix(".html"),
        picture=json_path.with_suffix(".svg"),
    )
    files.json.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    files.html.write_text(render_html(report), encoding="utf-8")
    files.picture.write_text(render_timeline(report), encoding="utf-8")
    return files
