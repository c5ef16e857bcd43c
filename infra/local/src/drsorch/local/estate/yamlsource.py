"""Read YAML keeping where every value came from, and catch what PyYAML lets slip.

PyYAML silently keeps the last of two equal keys; an estate file with a key written
twice almost always holds a mistake, so it is reported. Every mapping key and list item
is recorded with its 1-based line, so a problem found later can point into the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from drsorch.local.estate.errors import Loc, Problem, render_loc
from drsorch.local.estate.yamlscan import reader_problem

MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass
class YamlDocument:
    """The plain data of one YAML document and the line of every key and item in it."""

    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, loc: Loc) -> int | None:
        """The line of the deepest recorded prefix of `loc` (a missing key points at its parent)."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(loc[:end])
            if line is not None:
                return line
        return None


def parse_yaml(text: str) -> YamlDocument:
    """Parse one YAML document; syntax errors come back as problems, not exceptions."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as error:  # a character YAML does not allow
        return YamlDocument(data=None, problems=[reader_problem(text, error)])
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(data=None, lines={(): 1})
        duplicates = list(_duplicate_keys(loader, node, (), set()))
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        message = " ".join(part for part in (error.context, error.problem) if part)
        return YamlDocument(data=None, problems=[Problem(line, "", f"YAML: {message}")])
    except yaml.YAMLError as error:
        return YamlDocument(data=None, problems=[Problem(None, "", f"YAML: {error}")])
    finally:
        loader.dispose()
    doc = YamlDocument(data=data, lines={(): node.start_mark.line + 1}, problems=duplicates)
    _record_lines(loader, node, (), doc.lines, set())
    return doc


def _duplicate_keys(
    loader: yaml.SafeLoader, node: yaml.Node, loc: Loc, seen: set[int]
) -> list[Problem]:
    if id(node) in seen:  # an alias: its anchor was checked already
        return []
    seen.add(id(node))
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        first: dict[object, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            key = _key(loader, key_node)
            line = key_node.start_mark.line + 1
            if key in first:
                message = f"key {key!r} is written twice (first at line {first[key]}); keep one"
                problems.append(Problem(line, render_loc((*loc, _loc_key(key))), message))
            else:
                first[key] = line
            problems += _duplicate_keys(loader, value_node, (*loc, _loc_key(key)), seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems += _duplicate_keys(loader, item, (*loc, index), seen)
    return problems


def _record_lines(
    loader: yaml.SafeLoader, node: yaml.Node, loc: Loc, lines: dict[Loc, int], seen: set[int]
) -> None:
    if id(node) in seen:  # aliases share their anchor's lines; do not loop on recursion
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            child = (*loc, _loc_key(_key(loader, key_node)))
            lines[child] = key_node.start_mark.line + 1
            _record_lines(loader, value_node, child, lines, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*loc, index)] = item.start_mark.line + 1
            _record_lines(loader, item, (*loc, index), lines, seen)


def _key(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_object(node, deep=True)
    return f"<{type(node).__name__} at line {node.start_mark.line + 1}>"


def _loc_key(key: object) -> str | int:
    return key if isinstance(key, str) else str(key)
