"""What goes wrong with an estate file, said with a path and a line for every problem."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an estate file: where (a path and, when known, a line) and what."""

    line: int | None
    path: str
    message: str

    def render(self) -> str:
        where = f"line {self.line}" if self.line is not None else "line ?"
        return f"{where:>9}  {self.path or '<file>'}: {self.message}"


class EstateError(Exception):
    """An estate file that cannot be seeded, with every problem found in it."""

    def __init__(self, source: Path | str, problems: Sequence[Problem]) -> None:
        self.source = str(source)
        self.problems = sorted(problems, key=_order)
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        head = f"{self.source}: {count} problem{'s' if count != 1 else ''}"
        return "\n".join([head, *(problem.render() for problem in self.problems)])


class SeedError(Exception):
    """The local endpoint refused part of a valid estate (a bug here or in the emulator)."""


def _order(problem: Problem) -> tuple[int, str]:
    return (problem.line if problem.line is not None else 1 << 30, problem.path)


Loc = tuple[str | int, ...]
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def render_loc(loc: Loc) -> str:
    """`("accounts", 1, "servers", 3, "wave")` -> `accounts[1].servers[3].wave`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out
