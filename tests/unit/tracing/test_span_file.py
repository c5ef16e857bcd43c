"""The spans file: one JSON span a line, shared by every worker of a run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support.alarm_traces import read_spans

SERVICES = ("discovery", "monitor")  # two processes make the point; four take twice as long
SPANS_EACH = 30

# What a worker's process does with tracing: configure it from the environment, then
# end spans; each one here far larger than any write buffer.
WORKER = """
from drsorch.runtime.tracing import configure_tracing, tracer
configure_tracing("drsorch-{name}", instrument_aws=False)
for i in range({count}):
    with tracer().start_as_current_span(f"{name} {{i}}", attributes={{"bulk": "x" * 20_000}}):
        pass
"""


def test_workers_append_whole_lines_to_the_file_the_environment_names(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    path.write_text("")  # a file from an earlier run is appended to, not replaced
    env = {**os.environ, "OTEL_TRACES_EXPORTER": "console", "DRSORCH_TRACES_FILE": str(path)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER.format(name=name, count=SPANS_EACH)], env=env
        )
        for name in SERVICES
    ]
    assert [worker.wait(timeout=60) for worker in workers] == [0] * len(SERVICES)

    spans = read_spans(path)  # every line parses: no worker cut into another's line
    assert sorted(s["name"] for s in spans) == sorted(
        f"{name} {i}" for name in SERVICES for i in range(SPANS_EACH)
    )
    assert {(s["name"].split()[0], s["resource"]["attributes"]["service.name"]) for s in spans} == {
        (name, f"drsorch-{name}") for name in SERVICES
    }
