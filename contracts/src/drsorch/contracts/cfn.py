"""Reading drsorch's CloudFormation template as plain data.

The template is written with long-form intrinsics so `yaml.safe_load` reads it;
short forms (`!Ref X`) are read too, as their long form, so a template edited by
hand does not break the export.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml


class TemplateError(Exception):
    """The template is missing, unreadable, or does not follow drsorch's conventions."""


class _ShortFormLoader(yaml.SafeLoader):
    """SafeLoader that also reads short-form intrinsics as their long form."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        scalar = loader.construct_scalar(node)
        value = scalar.split(".", 1) if suffix == "GetAtt" else scalar
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_ShortFormLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path) -> dict[str, Any]:
    """The parsed template at `path`, or a `TemplateError` saying what is wrong."""
    if not path.is_file():
        raise TemplateError(
            f"CloudFormation template {path} not found: the AsyncAPI topology is read "
            "from it (run from the repository root, or pass --template PATH)"
        )
    try:
        document = yaml.load(path.read_text(), Loader=_ShortFormLoader)  # noqa: S506 - SafeLoader
    except yaml.YAMLError as exc:
        raise TemplateError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise TemplateError(f"{path} has no Resources section")
    return document


class Template:
    """Resources of one parsed template, with parameter references resolved to defaults.

    Physical names given as `Fn::Sub: "${Prefix}-events"` become `drsorch-events`:
    the names of a deployment that keeps the default parameters.
    """

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.resources: Mapping[str, Any] = document["Resources"]
        parameters: Mapping[str, Any] = document.get("Parameters") or {}
        self.defaults = {
            name: spec["Default"] for name, spec in parameters.items() if "Default" in spec
        }

    def of_type(self, resource_type: str) -> list[str]:
        """Logical IDs of every resource of `resource_type`, in template order."""
        return [
            logical_id
            for logical_id, resource in self.resources.items()
            if resource.get("Type") == resource_type
        ]

    def props(self, logical_id: str) -> Mapping[str, Any]:
        """A resource's Properties (empty when it has none)."""
        props: Mapping[str, Any] = self.resources[logical_id].get("Properties") or {}
        return props

    def value(self, raw: Any) -> Any:
        """A property value with `Ref` to a parameter and `Fn::Sub` of parameters resolved."""
        if isinstance(raw, dict) and set(raw) == {"Ref"} and raw["Ref"] in self.defaults:
            return self.defaults[raw["Ref"]]
        if isinstance(raw, dict) and set(raw) == {"Fn::Sub"} and isinstance(raw["Fn::Sub"], str):
            return re.sub(
                r"\$\{([A-Za-z0-9]+)\}",
                lambda m: str(self.defaults.get(m[1], m[0])),
                raw["Fn::Sub"],
            )
        return raw

    def json_value(self, raw: Any) -> Any:
        """A JSON-typed property (a policy), given either as YAML or as a JSON string."""
        value = self.value(raw)
        return json.loads(value) if isinstance(value, str) else value

    def name(self, logical_id: str, key: str) -> str:
        """A resource's physical name property, or its logical ID when not resolvable."""
        name = self.value(self.props(logical_id).get(key))
        return name if isinstance(name, str) else logical_id

    @staticmethod
    def target(raw: Any) -> str | None:
        """The logical ID a `Ref` or `Fn::GetAtt` points at."""
        if isinstance(raw, dict) and "Ref" in raw:
            return str(raw["Ref"])
        if isinstance(raw, dict) and "Fn::GetAtt" in raw:
            att = raw["Fn::GetAtt"]
            return str(att[0] if isinstance(att, list) else str(att).split(".", 1)[0])
        return None
