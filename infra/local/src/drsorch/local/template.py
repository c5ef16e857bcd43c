"""A CloudFormation template as data, and the intrinsics drsorch's template uses.

The local deploy creates what moto's CloudFormation skips from the same template,
so it resolves `Ref`, `Fn::GetAtt`, `Fn::Sub` and `Fn::Join` itself, against the
stack's parameters and physical resources. Only long-form intrinsics are read
(the template is plain YAML by convention).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PSEUDO_PARAMETERS = ("AWS::Region", "AWS::AccountId", "AWS::StackName", "AWS::StackId")
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")

GetAtt = Callable[[str, str], str]


class TemplateError(Exception):
    """The template cannot be read or a value in it cannot be resolved."""


@dataclass(frozen=True)
class Resource:
    logical_id: str
    type: str
    properties: Mapping[str, Any]


@dataclass(frozen=True)
class Template:
    body: str
    parameter_defaults: Mapping[str, str]
    resources: tuple[Resource, ...]
    list_parameters: frozenset[str] = frozenset()
    """Parameters of a list type (`CommaDelimitedList`, `List<...>`)."""
    parameters: frozenset[str] = frozenset()
    """Every parameter's name."""

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources if r.type in types]


def load_template(path: Path) -> Template:
    """Read a template written with long-form intrinsics (plain `yaml.safe_load`)."""
    try:
        body = path.read_text(encoding="utf-8")
        data = yaml.safe_load(body)
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError(f"cannot read template {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise TemplateError(f"template {path} has no Resources mapping")
    defaults = {
        name: str(spec["Default"])
        for name, spec in (data.get("Parameters") or {}).items()
        if "Default" in spec
    }
    resources = tuple(
        Resource(logical_id, spec["Type"], spec.get("Properties") or {})
        for logical_id, spec in data["Resources"].items()
    )
    lists = frozenset(
        name
        for name, spec in (data.get("Parameters") or {}).items()
        if str(spec.get("Type", "")).startswith(("CommaDelimitedList", "List<"))
    )
    names = frozenset((data.get("Parameters") or {}).keys())
    return Template(body, defaults, resources, lists, names)


class Resolver:
    """Resolves intrinsic functions the way CloudFormation would for one stack.

    `refs` maps parameter names, pseudo parameters and logical IDs to their `Ref`
    value (a topic's ARN, a queue's URL, a table's name); `get_att` answers
    `Fn::GetAtt` for a logical ID.
    """

    def __init__(self, refs: Mapping[str, str], get_att: GetAtt) -> None:
        self._refs = refs
        self._get_att = get_att

    def resolve(self, value: Any) -> Any:
        """The value with every intrinsic in it replaced by what it stands for."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            function = _FUNCTIONS.get(key)
            if function is not None:
                return function(self, argument)
        return {key: self.resolve(item) for key, item in value.items()}

    def ref(self, name: Any) -> str:
        if not isinstance(name, str) or name not in self._refs:
            raise TemplateError(f"Ref to {name!r}, which is no parameter or stack resource")
        return self._refs[name]

    def get_att(self, argument: Any) -> str:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not (isinstance(argument, list) and len(argument) == 2):
            raise TemplateError(f"Fn::GetAtt needs [LogicalId, Attribute], got {argument!r}")
        logical_id, attribute = (str(part) for part in argument)
        if logical_id not in self._refs:
            raise TemplateError(f"Fn::GetAtt on {logical_id!r}, which is no stack resource")
        return self._get_att(logical_id, attribute)

    def sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        local = {name: str(self.resolve(item)) for name, item in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in local:
                return local[name]
            if "." in name:
                return self.get_att(name)
            return self.ref(name)

        return _SUB_VARIABLE.sub(replace, str(text)).replace("${!", "${")

    def join(self, argument: Any) -> str:
        delimiter, items = argument
        return str(delimiter).join(str(item) for item in self.resolve(items))


_FUNCTIONS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Ref": Resolver.ref,
    "Fn::GetAtt": Resolver.get_att,
    "Fn::Sub": Resolver.sub,
    "Fn::Join": Resolver.join,
}
