"""Running the `drsorch` command as a subprocess against the test session's local endpoint."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from drsorch.runtime.calls import CALLS_FILE_VARIABLE

DRSORCH = Path(sys.executable).with_name("drsorch")


@dataclass(frozen=True)
class Ran:
    """What one run of the command did."""

    code: int
    out: str
    err: str

    def field(self, pattern: str) -> str:
        """The first group of `pattern` in stdout (fails the test when absent)."""
        found = re.search(pattern, self.out)
        assert found, f"{pattern!r} not in the output:\n{self.out}\n{self.err}"
        return found.group(1)


def cli_env(stack: str, plan_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a user's shell pointed at the endpoint and the test's stack."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRSORCH_", "OTEL_"))}
    # The end-to-end suite's record of AWS calls (the IAM proof) includes the command's.
    env.update({k: v for k, v in os.environ.items() if k == CALLS_FILE_VARIABLE})
    env.update(
        DRSORCH_STACK_NAME=stack,
        DRSORCH_PLAN_DIR=str(plan_dir),
        DRSORCH_AWS_MAX_ATTEMPTS="2",
        COLUMNS="200",
        NO_COLOR="1",
        **extra,
    )
    return env


async def start(args: list[str], env: Mapping[str, str]) -> asyncio.subprocess.Process:
    """The command, started; its output piped."""
    return await asyncio.create_subprocess_exec(
        str(DRSORCH),
        *args,
        env=dict(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def run(args: list[str], env: Mapping[str, str], within: float = 90.0) -> Ran:
    """Run the command to its end (the test's event loop keeps serving workers meanwhile)."""
    process = await start(args, env)
    out, err = await asyncio.wait_for(process.communicate(), within)
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), err.decode())
