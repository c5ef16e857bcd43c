"""The JSON Schema of estate files, generated from the models (committed as estate.schema.json)."""

from __future__ import annotations

from typing import Any

from drsorch.local.estate.models import Estate


def estate_schema() -> dict[str, Any]:
    """The schema editors and `check` use; the committed file must equal it (a test says so)."""
    schema = Estate.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
    }
