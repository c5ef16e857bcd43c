"""The report: its committed schema, valid JSON, and a page and picture naming every server."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree

import jsonschema  # type: ignore[import-untyped]  # no stubs in the dev group
import pytest

from drsorch.cli import report_schema
from drsorch.cli.html_page import render_html
from drsorch.cli.report import Step, build_report
from drsorch.cli.report_schema import SCHEMA_PATH, report_schema_text
from drsorch.cli.timeline import render_timeline
from drsorch.contracts import RequestCompleted
from support.cli_reports import T0, made_up_report


def test_the_committed_schema_is_the_models() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == report_schema_text(), (
        "report.schema.json is stale: run .venv/bin/python -m drsorch.cli.report_schema"
    )


@pytest.mark.parametrize("servers", [1, 120, 600])
def test_a_report_as_json_validates_against_the_schema(servers: int) -> None:
    report = made_up_report(servers=servers, left_out=min(4, servers - 1))
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(report.model_dump_json()), schema)


def test_the_summary_counts_outcomes_and_landings() -> None:
    report = made_up_report(servers=120, left_out=4)
    by = report.summary.by_outcome
    assert report.summary.servers == 120
    assert by["rejected"] == 4
    assert by["recovered"] + by["failed"] == 116
    assert report.summary.landed_where_expected == by["recovered"]
    assert (report.summary.unmatched, report.summary.ambiguous) == (1, 1)


def test_chunks_merge_and_api_calls_sum() -> None:
    whole = made_up_report(servers=10, left_out=0)
    chunk = RequestCompleted(
        status="PARTIAL",
        operation="failback",
        drill=False,
        started_at=T0,
        ended_at=T0 + timedelta(minutes=5),
        api_calls={"StartRecovery": 2},
    )
    a = chunk.model_copy(update={"servers": whole.servers[:4]})
    b = chunk.model_copy(update={"servers": whole.servers[4:]})
    merged = build_report("req-merge-0001", [a, b], generated_at=T0)
    assert len(merged.servers) == 10
    assert merged.api_calls == {"StartRecovery": 4}
    assert merged.timings.duration_seconds == 300


def test_a_report_needs_a_chunk() -> None:
    with pytest.raises(ValueError, match="at least one"):
        build_report("req-empty-0001", [], generated_at=T0)


def test_the_html_page_names_every_server_and_is_self_contained() -> None:
    report = made_up_report(servers=150)
    page = render_html(report)
    for server in report.servers:
        assert f'data-server="{server.server.source_server_id}"' in page
        assert f">{server.server.name}<" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page
    assert "<script" not in page
    assert str(report.trace_id) in page


@pytest.mark.parametrize("servers", [12, 120, 1000])
def test_the_picture_has_one_bar_per_server_coloured_by_outcome(servers: int) -> None:
    report = made_up_report(servers=servers, left_out=3)
    svg = render_timeline(report)
    bars = re.findall(r'class="server-bar" data-server="([^"]+)" data-outcome="([^"]+)"', svg)
    expected: dict[str, str] = {s.server.source_server_id: s.outcome for s in report.servers}
    expected |= {u.server.source_server_id: "unmatched" for u in report.unmatched}
    expected |= {a.server.source_server_id: "ambiguous" for a in report.ambiguous}
    assert dict(bars) == expected
    assert len(bars) == len(expected)
    for wave in {j.wave for j in report.jobs}:
        assert f">Wave {wave} · " in svg
    for job in report.jobs:
        assert job.job_id in svg


def test_the_picture_is_well_formed_xml() -> None:
    root = ElementTree.fromstring(render_timeline(made_up_report(servers=40)))
    assert root.tag.endswith("svg")


def test_names_are_drawn_while_rows_are_tall_enough() -> None:
    small = render_timeline(made_up_report(servers=60))
    large = render_timeline(made_up_report(servers=1000))
    assert ">app-001<" in small
    assert ">app-001<" not in large  # too many rows for text; the tooltip names it
    assert "<title>app-001 (" in large


def test_the_schema_command_refuses_a_flag_instead_of_writing_a_file_named_after_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert report_schema.main(["--help"]) == 2
    assert "usage:" in capsys.readouterr().out
    assert report_schema.main([str(tmp_path / "report.schema.json")]) == 0
    assert (tmp_path / "report.schema.json").read_text(encoding="utf-8") == (
        report_schema.report_schema_text()
    )


def test_a_cancel_and_the_round_trip_are_in_the_report_its_page_and_its_picture() -> None:
    steps = (
        Step(kind="cancel", at=T0, by="arn:aws:iam::111122223333:user/ops", outcome="4 skipped"),
        Step(
            kind="reprotect", request_id="reprotect-20261204t120000-abcdef", outcome="40 protected"
        ),
        Step(kind="retire", request_id="retire-20261204t121000-abcdef", outcome="applied: 9 done"),
    )
    report = made_up_report(servers=40).model_copy(update={"steps": steps})
    jsonschema.validate(json.loads(report.model_dump_json()), json.loads(SCHEMA_PATH.read_text()))
    root = ElementTree.fromstring(render_timeline(report))
    drawn = [e.get("data-step") or "" for e in root.iter() if e.get("data-step")]
    assert [line.split(" ", 1)[0] for line in drawn] == ["cancel", "reprotect", "retire"]
    assert "by arn:aws:iam::111122223333:user/ops: 4 skipped" in drawn[0]
    page = render_html(report)
    assert "Cancel and round trip" in page and "retire-20261204t121000-abcdef" in page
