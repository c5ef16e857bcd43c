"""Write the published contracts: one JSON Schema per (event, version) and the AsyncAPI document.

Usage: `python -m drsorch.contracts.export OUTDIR [--template infra/aws/drsorch.yaml] [--check]`

The topology (queues, subscriptions, filters) is read from the CloudFormation
template, by default `infra/aws/drsorch.yaml` under the working directory. With
`--check` nothing is written; the exit code says whether OUTDIR is up to date.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from drsorch.contracts.asyncapi import build_asyncapi, render_yaml
from drsorch.contracts.cfn import TemplateError, load_template
from drsorch.contracts.events import EVENTS
from drsorch.contracts.registry import EventRegistry
from drsorch.contracts.schemas import render_schemas, schema_file_name
from drsorch.contracts.topology import read_topology

DEFAULT_TEMPLATE = Path("infra/aws/drsorch.yaml")
ASYNCAPI_FILE = "asyncapi.yaml"


def render_all(registry: EventRegistry, template: Path) -> dict[str, str]:
    """File name → text of everything the export writes."""
    topology = read_topology(load_template(template))
    files = render_schemas(registry)
    files[ASYNCAPI_FILE] = render_yaml(build_asyncapi(registry, topology, schema_file_name))
    return files


def _stale(outdir: Path, files: dict[str, str]) -> list[str]:
    return [
        name
        for name, text in files.items()
        if not (outdir / name).is_file() or (outdir / name).read_text() != text
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the export; 0 on success, 1 when `--check` finds stale files, 2 on errors."""
    parser = argparse.ArgumentParser(prog="python -m drsorch.contracts.export")
    parser.add_argument("outdir", type=Path, help="where to write the schemas")
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args(argv)
    try:
        files = render_all(EVENTS, args.template)
    except TemplateError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    stale = _stale(args.outdir, files)
    if args.check:
        for name in stale:
            sys.stderr.write(f"out of date: {args.outdir / name}\n")
        return 1 if stale else 0
    args.outdir.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (args.outdir / name).write_text(files[name])
    sys.stdout.write(f"{len(files)} files in {args.outdir}, {len(stale)} written\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
