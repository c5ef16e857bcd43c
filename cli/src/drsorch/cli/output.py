"""`--output text|json`: where the command's words go, and its one JSON document.

With `--output json` (or `DRSORCH_OUTPUT=json`) stdout carries exactly one JSON
document when the command ends: the plan (`--plan`), the report (a request followed to
its end, `status` of an ended request, `report`), or the state of a running request
(`status`). Everything meant for people (progress, tables, hints) goes to stderr, so
`drsorch ... --output json | jq` reads clean JSON.
"""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from rich.console import Console

OUTPUT_VARIABLE = "DRSORCH_OUTPUT"


class Output(StrEnum):
    """`--output`."""

    text = "text"
    json = "json"


def json_mode() -> bool:
    return os.environ.get(OUTPUT_VARIABLE, Output.text) == Output.json


def console() -> Console:
    """The console for people: stdout, or stderr when stdout is JSON."""
    # Messages are never wrapped mid-line: logs and tests read them whole.
    return Console(highlight=False, soft_wrap=True, stderr=json_mode())


def emit(document: BaseModel | dict[str, Any]) -> None:
    """Write the command's JSON document on stdout (with `--output json` only)."""
    if not json_mode():
        return
    if isinstance(document, BaseModel):
        text = document.model_dump_json()
    else:
        text = json.dumps(document, default=str)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
