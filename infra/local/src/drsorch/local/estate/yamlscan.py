"""A first pass over a YAML text's events: refuse what would be costly to build, before building it.

PyYAML builds a document recursively and shares aliased nodes, so a 1 KB file of
anchors and aliases ("billion laughs") expands to billions of values once anything
walks it, and a few thousand nested brackets exhaust Python's recursion limit. The
event stream is flat, so one pass over it counts the depth and the size the document
would have with every alias expanded, and tries each scalar's conversion (a date
that does not exist, an integer of 10,000 digits), all in milliseconds and naming
the line and the key path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from drsorch.local.estate.errors import Loc, Problem, render_loc

MAX_DEPTH = 64
"""Nesting deeper than this is no estate (a real one nests about 8 deep)."""
MAX_NODES = 1_000_000
"""Values in the document with every alias expanded (30,000 servers written out fit)."""

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Stop(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


@dataclass
class _Frame:
    loc: Loc
    mapping: bool
    anchor: str | None
    nodes: int = 1
    index: int = 0
    key: str | int | None = None


@dataclass
class _Scan:
    frames: list[_Frame] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)
    total: int = 0
    problems: list[Problem] = field(default_factory=list)
    constructor: yaml.SafeLoader = field(default_factory=lambda: yaml.SafeLoader(""))

    def place(self, event: yaml.Event) -> Loc:
        """The key path of the node starting now; the parent moves past it."""
        if not self.frames:
            return ()
        parent = self.frames[-1]
        if not parent.mapping:
            parent.index += 1
            return (*parent.loc, parent.index - 1)
        if parent.key is None:  # this node is a key: its value will sit under it
            is_scalar = isinstance(event, yaml.ScalarEvent)
            parent.key = str(event.value) if is_scalar else f"<{type(event).__name__}>"  # type: ignore[attr-defined]
            return parent.loc
        loc = (*parent.loc, parent.key)
        parent.key = None
        return loc

    def count(self, nodes: int, line: int, loc: Loc) -> None:
        """Count `nodes` more values in the document (and in the open collection)."""
        self.total += nodes
        if self.frames:
            self.frames[-1].nodes += nodes
        if self.total > MAX_NODES:
            raise _Stop(
                Problem(
                    line,
                    render_loc(loc),
                    f"the document expands to more than {MAX_NODES:,} values (anchors and "
                    "aliases repeat what they name): refused before building it",
                )
            )


def scan_yaml(text: str) -> list[Problem]:
    """Problems found in the events; a syntax error is left to the parser to report."""
    scan = _Scan()
    try:
        for event in yaml.parse(text, Loader=_Loader):
            _on_event(scan, event)
    except _Stop as stop:
        return [*scan.problems, stop.problem]
    except yaml.reader.ReaderError as error:
        return [*scan.problems, reader_problem(text, error)]
    except yaml.MarkedYAMLError as error:  # said here: the parser that builds may not get this far
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        message = " ".join(part for part in (error.context, error.problem) if part)
        return [*scan.problems, Problem(line, "", f"YAML: {message}")]
    except yaml.YAMLError as error:
        return [*scan.problems, Problem(None, "", f"YAML: {error}")]
    return scan.problems


def reader_problem(text: str, error: yaml.reader.ReaderError) -> Problem:
    """A character YAML refuses (a NUL, a control character), with its line."""
    line = text.count("\n", 0, error.position) + 1
    return Problem(line, "", f"YAML: character #x{error.character:04x} is not allowed in YAML")


def _on_event(scan: _Scan, event: yaml.Event) -> None:
    line = event.start_mark.line + 1 if event.start_mark is not None else 0
    if isinstance(event, yaml.ScalarEvent):
        loc = scan.place(event)
        _convert(scan, event, line, loc)
        _anchor(scan, event.anchor, 1)
        scan.count(1, line, loc)
    elif isinstance(event, yaml.AliasEvent):
        loc = scan.place(event)
        scan.count(_alias_size(scan, event.anchor or "", line, loc), line, loc)
    elif isinstance(event, yaml.CollectionStartEvent):
        loc = scan.place(event)
        if len(scan.frames) >= MAX_DEPTH:
            message = f"nested more than {MAX_DEPTH} levels deep: no estate is"
            raise _Stop(Problem(line, render_loc(loc), message))
        scan.count(1, line, loc)  # the collection itself; its parent counts its items as they come
        mapping = isinstance(event, yaml.MappingStartEvent)
        scan.frames.append(_Frame(loc, mapping, event.anchor))
    elif isinstance(event, yaml.CollectionEndEvent):
        frame = scan.frames.pop()
        _anchor(scan, frame.anchor, frame.nodes)
        if scan.frames:
            scan.frames[-1].nodes += frame.nodes - 1  # its own node was counted at its start


def _anchor(scan: _Scan, anchor: str | None, nodes: int) -> None:
    if anchor is not None:
        scan.sizes[anchor] = nodes


def _alias_size(scan: _Scan, anchor: str, line: int, loc: Loc) -> int:
    if any(frame.anchor == anchor for frame in scan.frames):
        message = f"alias *{anchor} refers to a value that contains it: it never ends"
        raise _Stop(Problem(line, render_loc(loc), message))
    return scan.sizes.get(anchor, 1)  # an undefined alias is the parser's to report


def _convert(scan: _Scan, event: yaml.ScalarEvent, line: int, loc: Loc) -> None:
    """Convert the scalar as the loader will, so a failure names its line and key."""
    tag = event.tag
    if tag is None or tag == "!":
        tag = scan.constructor.resolve(yaml.ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
    # The C parser's marks quack like PyYAML's: line and column are all the constructor reads.
    start: Any = event.start_mark
    end: Any = event.end_mark
    node = yaml.ScalarNode(tag, event.value, start, end, event.style)
    try:
        scan.constructor.construct_object(node)
    except yaml.YAMLError:
        return  # an unknown tag: the loader says so with its own words
    except (ValueError, OverflowError, TypeError, ArithmeticError) as error:
        shown = event.value if len(event.value) <= 40 else event.value[:37] + "..."
        message = f"cannot read {shown!r}: {error}"
        scan.problems.append(Problem(line, render_loc(loc), message))
