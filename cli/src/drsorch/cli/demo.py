"""`make demo`: the whole pipeline, locally, on a 100-server estate, in one command.

Starts the local endpoint seeded with `infra/local/estates/demo.yaml` (failed over,
two accounts, three waves, three traps), starts the four services as worker
processes, asks for the failback plan, applies it with `--approve` and live
progress, checks the outcome against what the estate's traps call for
(`demo_check`), re-protects the landed originals and plans their retire
(`--then reprotect,retire`), applies that retire with its own `--approve`, and stops
everything. Files land in `.drsorch/demo/`. Exit code 0
when the run behaved as expected.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

from drsorch.cli.demo_check import judge
from drsorch.cli.report import Report
from drsorch.cli.workers import FAST_LOCAL, Workers
from drsorch.local.estate.paths import estates_dir
from drsorch.local.process import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, REGION, down, up

ACCOUNTS = "123456789012,210987654321:drsorch-spoke-access:drsorch-hub-123456789012"
REQUEST = [
    "failback",
    "--primary-region", "us-east-1",
    "--recovery-region", "us-west-2",
    "--scope", "dr-plan=demo",
    "--accounts", ACCOUNTS,
    "--reason", "make demo",
]  # fmt: skip
WORKER_START_SECONDS = 90.0
CLI_SECONDS = 150.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


SPOKES = {
    # How the deployment reaches the demo estate's spoke (the services ignore any role
    # a request names): its role and ExternalId, as infra/local/estates/demo.yaml seeds it.
    "DRSORCH_SPOKE_ROLE_NAME": "drsorch-spoke-access",
    "DRSORCH_SPOKE_EXTERNAL_ID": "drsorch-hub-123456789012",
    "DRSORCH_SPOKE_ACCOUNTS": "210987654321",
}


def _env(url: str, folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRSORCH_", "AWS_"))}
    return (
        env
        | FAST_LOCAL
        | SPOKES
        | {
            "AWS_ENDPOINT_URL": url,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": LOCAL_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": LOCAL_SECRET_KEY,
            "DRSORCH_PLAN_DIR": str(folder / "plans"),
        }
    )


class Demo:
    """One run of the demo, its folder and its clock."""

    def __init__(self, folder: Path, console: Console) -> None:
        self.folder = folder
        self.console = console
        self.started = time.monotonic()
        self.workers = Workers(folder / "workers")

    def say(self, text: str) -> None:
        self.console.print(f"[bold cyan][{time.monotonic() - self.started:5.1f} s][/] {text}")

    def drsorch(self, args: list[str], env: dict[str, str]) -> int:
        """Run the CLI as an operator would, its output straight to this terminal."""
        self.say(f"$ drsorch {shlex.join(args)}")
        command = [str(Path(sys.executable).with_name("drsorch")), *args]
        try:
            return subprocess.run(command, env=env, check=False, timeout=CLI_SECONDS).returncode  # noqa: S603
        except subprocess.TimeoutExpired:
            self.say(f"[red]drsorch did not finish within {CLI_SECONDS:.0f} s[/]")
            return 4

    def run(self) -> int:
        estate = estates_dir() / "demo.yaml"
        self.say(
            f"Starting the local AWS endpoint, seeding {estate.name} (100 servers, failed over)"
        )
        result = up(_free_port(), self.folder / "local", estate)
        self.say(f"Endpoint {result.record.url} ready; topology deployed")
        env = _env(result.record.url, self.folder)
        self.workers.start(env)
        self.workers.wait_ready(WORKER_START_SECONDS)
        self.say("discovery, matcher, configurator and monitor are consuming their queues")
        if self.drsorch([*REQUEST, "--plan"], env) != 0:
            return self._fail("the plan failed")
        plan_hash = next((self.folder / "plans").glob("*.json")).stem
        report_path = self.folder / "report.json"
        code = self.drsorch(
            [
                *REQUEST,
                "--approve", plan_hash,
                "--wait",
                "--report", str(report_path),
                "--then", "reprotect,retire",
            ],
            env,
        )  # fmt: skip
        self.say(f"drsorch failback exited {code} (1: partial, the traps were refused)")
        verdict = self._verdict(report_path)
        return verdict or self._retire(report_path, env)

    def _retire(self, report_path: Path, env: dict[str, str]) -> int:
        """Apply the retire plan the failback's `--then reprotect,retire` made."""
        request_id = Report.model_validate_json(report_path.read_text(encoding="utf-8")).request_id
        planned = sorted((self.folder / "plans" / "retire").glob("*.json"))
        if not planned:
            return self._fail("the failback made no retire plan")
        code = self.drsorch(["retire", request_id, "--approve", planned[0].stem], env)
        if code != 0:
            return self._fail(f"the retire exited {code}")
        self.say(
            "[green]Round trip done[/]: the landed originals replicate to the recovery region "
            "again through their own DRS servers; the failover's recovery instances, their "
            "records and the FAILBACK servers are gone."
        )
        return 0

    def _verdict(self, report_path: Path) -> int:
        if not report_path.exists():
            return self._fail("no report was written")
        report = Report.model_validate_json(report_path.read_text(encoding="utf-8"))
        problems = judge(report)
        for problem in problems:
            self.console.print(f"  [red]unexpected:[/] {problem}")
        self.console.print(f"Report:  {report_path}")
        self.console.print(f"Page:    {report_path.with_suffix('.html')}")
        self.console.print(f"Picture: {report_path.with_suffix('.svg')}")
        self.console.print(f"Worker logs: {self.workers.folder}/")
        if problems:
            return self._fail(f"{len(problems)} unexpected outcomes")
        self.say(
            "[green]Behaved as expected[/]: the running and the untagged originals were refused; "
            f"{report.summary.landed_where_expected} servers landed in their own original "
            "instances, the two whose originals share a Name paired by lineage, not by it."
        )
        return 0

    def _fail(self, why: str) -> int:
        self.say(f"[red]The demo did not behave as expected: {why}.[/] Logs: {self.folder}/")
        return 1

    def stop(self) -> None:
        stopped = self.workers.stop()
        down(self.folder / "local")
        self.say(f"Stopped {stopped} workers and the endpoint")


def main() -> int:
    """Run the demo from a clean `.drsorch/demo/`; the exit code says whether it behaved."""
    folder = Path.cwd() / ".drsorch" / "demo"
    leftover = Workers(folder / "workers")
    leftover.stop()
    down(folder / "local")
    shutil.rmtree(folder, ignore_errors=True)
    demo = Demo(folder, Console(highlight=False, soft_wrap=True))
    try:
        return demo.run()
    except KeyboardInterrupt:
        demo.say("Interrupted")
        return 130
    finally:
        demo.stop()


if __name__ == "__main__":
    sys.exit(main())
