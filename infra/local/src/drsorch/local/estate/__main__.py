"""`python -m drsorch.local.estate schema` prints the JSON Schema of estate files;
`python -m drsorch.local.estate check FILE...` checks files and prints every problem
(exit 2 when any file has one); `python -m drsorch.local.estate seed FILE` seeds a file
into this process's moto and DRS emulator and prints what it made and how long it took
(a dry run and a measurement: the state goes when the process ends)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from drsorch.local.estate.errors import EstateError
from drsorch.local.estate.loader import load_estate
from drsorch.local.estate.models import Estate
from drsorch.local.estate.plan import plan_estate
from drsorch.local.estate.schema import estate_schema
from drsorch.local.estate.seeding import seed_estate


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drsorch.local.estate")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("schema", help="print the JSON Schema of estate files")
    check = commands.add_parser("check", help="check estate files, print every problem")
    check.add_argument("files", nargs="+", type=Path)
    seed = commands.add_parser("seed", help="seed a file in this process, print the report")
    seed.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    if args.command == "schema":
        sys.stdout.write(json.dumps(estate_schema(), indent=2) + "\n")
        return 0
    if args.command == "seed":
        return _seed(args.file)
    return _check(args.files)


def _seed(path: Path) -> int:
    estate = _load(path)
    if estate is None:
        return 2
    sys.stdout.write(seed_estate(estate).render() + "\n")
    return 0


def _load(path: Path) -> Estate | None:
    """The estate, or None once its problems are printed: never a traceback for a bad file."""
    try:
        return load_estate(path)
    except EstateError as error:
        sys.stdout.write(error.render() + "\n")
    except Exception as error:  # noqa: BLE001 - the loader missed a case: still one clear line
        sys.stdout.write(f"{path}: cannot be loaded: {type(error).__name__}: {error}\n")
    return None


def _check(files: Sequence[Path]) -> int:
    status = 0
    for path in files:
        estate = _load(path)
        if estate is None:
            status = 2
            continue
        plan = plan_estate(estate)
        accounts = ", ".join(f"{a.id} ({a.kind}): {len(a.servers)}" for a in plan.accounts)
        sys.stdout.write(f"{path}: ok, {plan.server_count} servers; {accounts}\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
