"""Colours and words for server outcomes, shared by the picture, the HTML page and the terminal."""

from __future__ import annotations

from drsorch.contracts.events.report import ServerOutcome

OUTCOME_COLOURS: dict[str, str] = {
    "recovered": "#2e7d32",
    "recovered_elsewhere": "#f9a825",
    "failed": "#c62828",
    "timed_out": "#ef6c00",
    "rejected": "#6a1b9a",
    "not_ready": "#607d8b",
    "skipped": "#9e9e9e",
    "planned": "#1565c0",
    "unmatched": "#8d6e63",
    "ambiguous": "#ad1457",
}
"""By outcome, plus `unmatched` and `ambiguous` for servers the matcher left out."""

OUTCOME_WORDS: dict[str, str] = {
    "recovered": "recovered where expected",
    "recovered_elsewhere": "launched, not into the expected instance",
    "failed": "launch failed",
    "timed_out": "job timed out",
    "rejected": "target refused",
    "not_ready": "replication not ready",
    "skipped": "skipped (blocking problem)",
    "planned": "planned",
    "unmatched": "no target found",
    "ambiguous": "ambiguous target",
}

RICH_STYLES: dict[str, str] = {
    "recovered": "green",
    "recovered_elsewhere": "yellow",
    "failed": "bold red",
    "timed_out": "dark_orange",
    "rejected": "magenta",
    "not_ready": "grey50",
    "skipped": "grey50",
    "planned": "blue",
    "unmatched": "orange4",
    "ambiguous": "deep_pink3",
}


def colour(outcome: ServerOutcome | str) -> str:
    """The colour of an outcome (grey for one drsorch does not know)."""
    return OUTCOME_COLOURS.get(outcome, "#9e9e9e")
