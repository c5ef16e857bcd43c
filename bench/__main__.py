"""Run benchmarks: `python -m bench` runs every registered one, `python -m bench NAME` one.

A benchmark is a module in this package with a `main() -> None` that prints its
figures; register it in `BENCHMARKS` below.
"""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ("matcher", "bus", "configurator", "monitor", "economy", "overhead")


def main(argv: list[str]) -> int:
    wanted = argv or list(BENCHMARKS)
    unknown = [name for name in wanted if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    for name in wanted:
        print(f"== {name}")
        importlib.import_module(f"bench.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
