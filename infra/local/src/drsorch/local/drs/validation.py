"""Server-side input validation, driven by botocore's model.

boto3 checks required members, types and minimums; it does not check list and
numeric maximums, enums or patterns. DRS does, and answers ValidationException with
a fieldList naming each offending member; so does this walker, for every operation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

Problem = tuple[str, str]


@cache
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


def validate(shape: Shape | None, value: Any, path: str = "") -> list[Problem]:
    """Every way `value` breaks `shape`, as (member path, message)."""
    if shape is None:
        return []
    if isinstance(shape, StructureShape):
        return _structure(shape, value, path)
    if isinstance(shape, ListShape):
        return _list(shape, value, path)
    if isinstance(shape, MapShape):
        return _map(shape, value, path)
    return _scalar(shape, value, path)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _structure(shape: StructureShape, value: Any, path: str) -> list[Problem]:
    if not isinstance(value, Mapping):
        return [(path or shape.name, "must be an object")]
    problems: list[Problem] = [
        (_join(path, name), "is required")
        for name in shape.required_members
        if value.get(name) is None
    ]
    for name, member in shape.members.items():
        if value.get(name) is not None:
            problems += validate(member, value[name], _join(path, name))
    return problems


def _size_problems(size: int, metadata: Mapping[str, Any], what: str) -> list[str]:
    problems = []
    if "min" in metadata and size < metadata["min"]:
        problems.append(f"{what} must be at least {metadata['min']}")
    if "max" in metadata and size > metadata["max"]:
        problems.append(f"{what} must be at most {metadata['max']}")
    return problems


def _list(shape: ListShape, value: Any, path: str) -> list[Problem]:
    if not isinstance(value, list):
        return [(path, "must be a list")]
    problems = [(path, text) for text in _size_problems(len(value), shape.metadata, "length")]
    for index, item in enumerate(value):
        problems += validate(shape.member, item, f"{path}[{index}]")
    return problems


def _map(shape: MapShape, value: Any, path: str) -> list[Problem]:
    if not isinstance(value, Mapping):
        return [(path, "must be an object")]
    problems = [(path, text) for text in _size_problems(len(value), shape.metadata, "size")]
    for key, item in value.items():
        problems += validate(shape.key, key, f"{path}.{key}")
        problems += validate(shape.value, item, f"{path}.{key}")
    return problems


def _scalar(shape: Shape, value: Any, path: str) -> list[Problem]:
    kind = shape.type_name
    if kind == "string":
        return _string(shape, value, path)
    if kind in {"integer", "long"}:
        if isinstance(value, bool) or not isinstance(value, int):
            return [(path, "must be an integer")]
        return [(path, text) for text in _size_problems(value, shape.metadata, "value")]
    if kind == "boolean" and not isinstance(value, bool):
        return [(path, "must be a boolean")]
    return []


def _string(shape: Shape, value: Any, path: str) -> list[Problem]:
    if not isinstance(value, str):
        return [(path, "must be a string")]
    problems = [(path, text) for text in _size_problems(len(value), shape.metadata, "length")]
    enum = shape.metadata.get("enum")
    if enum and value not in enum:
        problems.append((path, f"must be one of {', '.join(enum)}"))
    pattern = shape.metadata.get("pattern")
    if pattern and not _pattern(pattern).fullmatch(value):
        problems.append((path, f"must match the pattern {pattern}"))
    return problems
