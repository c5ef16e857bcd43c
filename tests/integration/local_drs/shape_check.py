"""Checks a JSON document against a botocore shape: every rule comes from the model.

Independent of the emulator's own validation on purpose: this is the referee.
Structures: required members present, no members the model lacks. Lists and maps:
min/max sizes. Strings: min/max length, enum, pattern (full match). Integers and
longs: JSON integers (never floats or booleans), min/max. Booleans: JSON booleans.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape


def problems(shape: Shape | None, value: Any, path: str = "$") -> list[str]:
    """Every way `value` breaks `shape`, each as 'path: what'."""
    if shape is None:
        return [] if value in (None, {}) else [f"{path}: the model has no output here"]
    checks = {"structure": _structure, "list": _list, "map": _map, "string": _string}
    check = checks.get(shape.type_name)
    if check is not None:
        return check(shape, value, path)
    if shape.type_name in {"integer", "long"}:
        return _integer(shape, value, path)
    if shape.type_name == "boolean":
        return [] if isinstance(value, bool) else [f"{path}: {value!r} is not a boolean"]
    return [f"{path}: unchecked shape type {shape.type_name}"]


def _sized(shape: Shape, size: int, path: str, what: str) -> list[str]:
    found = []
    if "min" in shape.metadata and size < shape.metadata["min"]:
        found.append(f"{path}: {what} {size} < min {shape.metadata['min']}")
    if "max" in shape.metadata and size > shape.metadata["max"]:
        found.append(f"{path}: {what} {size} > max {shape.metadata['max']}")
    return found


def _structure(shape: Shape, value: Any, path: str) -> list[str]:
    assert isinstance(shape, StructureShape)
    if not isinstance(value, Mapping):
        return [f"{path}: {type(value).__name__} is not an object"]
    found = [
        f"{path}.{name}: required, missing" for name in shape.required_members if name not in value
    ]
    for name, item in value.items():
        member = shape.members.get(name)
        if member is None:
            found.append(f"{path}.{name}: not a member of {shape.name}")
        elif item is not None:
            found += problems(member, item, f"{path}.{name}")
    return found


def _list(shape: Shape, value: Any, path: str) -> list[str]:
    assert isinstance(shape, ListShape)
    if not isinstance(value, list):
        return [f"{path}: {type(value).__name__} is not a list"]
    found = _sized(shape, len(value), path, "length")
    for index, item in enumerate(value):
        found += problems(shape.member, item, f"{path}[{index}]")
    return found


def _map(shape: Shape, value: Any, path: str) -> list[str]:
    assert isinstance(shape, MapShape)
    if not isinstance(value, Mapping):
        return [f"{path}: {type(value).__name__} is not an object"]
    found = _sized(shape, len(value), path, "size")
    for key, item in value.items():
        found += problems(shape.key, key, f"{path}<{key}>")
        found += problems(shape.value, item, f"{path}.{key}")
    return found


def _string(shape: Shape, value: Any, path: str) -> list[str]:
    if not isinstance(value, str):
        return [f"{path}: {value!r} is not a string"]
    found = _sized(shape, len(value), path, "length")
    enum = shape.metadata.get("enum")
    if enum and value not in enum:
        found.append(f"{path}: {value!r} not in enum {shape.name}")
    pattern = shape.metadata.get("pattern")
    if pattern and not re.fullmatch(pattern, value):
        found.append(f"{path}: {value!r} does not match {pattern}")
    return found


def _integer(shape: Shape, value: Any, path: str) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int):
        return [f"{path}: {value!r} is not an integer"]
    return _sized(shape, value, path, "value")
