"""`python -m drsorch.local serve --host H --port P [--estate FILE] [--state-dir DIR]`."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from drsorch.local.serve import EstateSeedError, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drsorch.local")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser(
        "serve", help="serve the local AWS endpoint in the foreground"
    )
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=4566)
    serve_parser.add_argument("--estate", type=Path, help="estate file (YAML) to seed")
    serve_parser.add_argument("--state-dir", type=Path, help="keep the PID file here while serving")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port {args.port}: must be between 0 and 65535")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    try:
        serve(args.host, args.port, args.estate, args.state_dir)
    except (EstateSeedError, OSError) as exc:
        logging.getLogger("drsorch.local").error("cannot serve: %s", exc)  # noqa: TRY400 - the message says it all
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
