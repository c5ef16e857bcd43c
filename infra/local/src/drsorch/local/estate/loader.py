"""Load an estate file: parse, validate the shape, check consistency, report every problem."""

from __future__ import annotations

import difflib
import types
from collections import defaultdict
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from drsorch.local.estate.checks import check_estate
from drsorch.local.estate.errors import EstateError, Loc, Problem, render_loc
from drsorch.local.estate.limits import estate_issues, raw_issues
from drsorch.local.estate.models import Estate
from drsorch.local.estate.plan import plan_estate
from drsorch.local.estate.regions import zones_by_region
from drsorch.local.estate.source import decode, read_estate_bytes
from drsorch.local.estate.yamlscan import scan_yaml
from drsorch.local.estate.yamlsource import YamlDocument, parse_yaml

SAME_PLACE_LIMIT = 3  # a generator can repeat one mistake a thousand times: say it thrice


def load_estate(path: Path, *, pipe_seconds: float | None = None) -> Estate:
    """Read, validate and check an estate file; raise `EstateError` listing every problem.

    Only a regular file or a pipe is read, within `MAX_BYTES` (a pipe within
    `pipe_seconds` too, default `PIPE_SECONDS`), so no path makes this hang or fill the memory.
    """
    return parse_estate(read_estate_text(path, pipe_seconds=pipe_seconds), source=str(path))


def read_estate_text(path: Path, *, pipe_seconds: float | None = None) -> str:
    """The file's text, read within bounds; `EstateError` when it cannot be."""
    return decode(read_estate_bytes(path, pipe_seconds=pipe_seconds), str(path))


def parse_estate(text: str, source: str = "<estate>") -> Estate:
    """`load_estate` for text already in hand."""
    scanned = scan_yaml(text)  # depth, alias expansion, scalars: before anything is built
    if scanned:
        raise EstateError(source, _limit(scanned))
    doc = parse_yaml(text)
    if doc.data is None and not doc.problems:
        doc.problems.append(Problem(1, "", "the file is empty: an estate is a mapping"))
    if doc.problems and doc.data is None:
        raise EstateError(source, doc.problems)
    raw = [Problem(doc.line_of(loc), render_loc(loc), m) for loc, m in raw_issues(doc.data)]
    if raw:
        raise EstateError(source, _limit([*doc.problems, *raw]))
    try:
        # strict throughout, the emulator's `drs:` section too: "60" is not a number
        estate = Estate.model_validate(doc.data, strict=True)
    except ValidationError as error:
        raise EstateError(source, _limit([*doc.problems, *_shape_problems(error, doc)])) from None
    issues = [*estate_issues(estate)]
    if not issues:
        try:
            issues = check_estate(plan_estate(estate), zones_by_region())
        except ValidationError as error:  # a generated server the models refuse
            issues = [(tuple(d["loc"]), d["msg"]) for d in error.errors(include_url=False)]
    problems = [
        *doc.problems,
        *(Problem(doc.line_of(loc), render_loc(loc), m) for loc, m in issues),
    ]
    if problems:
        raise EstateError(source, _limit(problems))
    return estate


def _shape_problems(error: ValidationError, doc: YamlDocument) -> list[Problem]:
    problems = []
    for detail in error.errors(include_url=False):
        loc: Loc = tuple(part for part in detail["loc"] if part != "[key]")
        problems.append(Problem(doc.line_of(loc), render_loc(loc), _message(detail, loc)))
    return problems


def _message(detail: ErrorDetails, loc: Loc) -> str:
    kind, value = detail["type"], detail.get("input")
    if kind == "extra_forbidden":
        return f"unknown key {loc[-1]!r}{_did_you_mean(loc)}"
    if kind == "missing":
        return f"required key {loc[-1]!r} is missing"
    message = detail["msg"].removeprefix("Value error, ")
    if kind == "string_type" and isinstance(value, int | float | bool):
        read = "true/false" if isinstance(value, bool) else "a number"
        return f"{message}: quote it (YAML read {value!r} as {read})"
    if value is None:
        return f"{message} (the value is empty; write {{}} for a mapping of defaults)"
    if kind.endswith("_type") or kind == "literal_error":
        return _type_message(message, value, loc)
    return message


def _type_message(message: str, value: object, loc: Loc) -> str:
    if not loc:  # the whole document
        keys = "version, name, accounts, ..."
        return f"{message}: an estate is a mapping of keys ({keys}), not {_short(value)}"
    return f"{message} (got {_short(value)})"


def _did_you_mean(loc: Loc) -> str:
    keys = _keys_at(loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), keys, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (known keys: {', '.join(keys)})" if keys else ""


def _keys_at(loc: Loc) -> list[str]:
    """The keys the model allows at `loc`, found by walking the models' annotations."""
    current: Any = Estate
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int) or get_origin(current) is dict:
            args = get_args(current)
            current = args[-1] if args else None
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            current = field.annotation if field is not None else None
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """`X | None` -> `X`."""
    if get_origin(annotation) in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        return members[0] if len(members) == 1 else annotation
    return annotation


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _limit(problems: list[Problem]) -> list[Problem]:
    """Keep the first few problems said at one place with one message shape."""
    by_place: defaultdict[tuple[int | None, str], list[Problem]] = defaultdict(list)
    for problem in problems:
        by_place[(problem.line, problem.path)].append(problem)
    kept: list[Problem] = []
    for (line, path), group in by_place.items():
        kept += group[:SAME_PLACE_LIMIT]
        if len(group) > SAME_PLACE_LIMIT:
            more = len(group) - SAME_PLACE_LIMIT
            kept.append(Problem(line, path, f"... and {more} more problems here"))
    return kept
