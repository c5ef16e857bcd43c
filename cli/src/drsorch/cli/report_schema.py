"""`python -m drsorch.cli.report_schema [PATH]`: write the report's JSON Schema.

Without PATH it writes `report.schema.json` next to this module, the committed copy.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from drsorch.cli.report import Report

SCHEMA_PATH = Path(__file__).with_name("report.schema.json")
SCHEMA_ID = "https://drsorch.dev/schemas/report.v1.schema.json"


def report_schema_text() -> str:
    """The report's JSON Schema as committed: sorted keys, two-space indent, final newline."""
    schema = Report.model_json_schema()
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0].startswith("-")):
        print(f"usage: python -m drsorch.cli.report_schema [PATH]  (default: {SCHEMA_PATH})")  # noqa: T201
        return 2
    path = Path(args[0]) if args else SCHEMA_PATH
    path.write_text(report_schema_text(), encoding="utf-8")
    print(f"wrote {path}")  # noqa: T201 - a command's one line of output
    return 0


if __name__ == "__main__":
    sys.exit(main())
