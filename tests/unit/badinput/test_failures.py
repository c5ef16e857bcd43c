"""What is not the operator's fault still reads as one line: an unreachable endpoint, an
error nobody expected (with a log file for the details), servers a restore knows nothing of,
and a report that cannot be written once the request has run."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from drsorch.cli import main as cli_main
from drsorch.cli.errors import ExitCode
from drsorch.cli.feed import SqsEventFeed
from drsorch.cli.main import app
from drsorch.cli.outcome import finish_apply
from drsorch.cli.restore_run import show
from drsorch.cli.tracker import fold
from drsorch.contracts import EVENTS, ContractError, LaunchSettingsRestored
from drsorch.contracts.events import RestoreResult
from support.badinput import Measured, in_process, python_module, subprocess_run
from support.cli_fakes import REQUEST_ID, events, spec

REGIONS = ["--primary-region", "us-east-1", "--recovery-region", "us-west-2"]
REQUEST = "failback-20261125t195454-a72aab"
runner = CliRunner()


@pytest.fixture(autouse=True)
def nowhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("DRSORCH_AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("DRSORCH_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("COLUMNS", "200")


def _invoke(args: list[str]) -> Measured:
    result, seconds, peak = in_process(lambda: runner.invoke(app, args))
    escaped = result.exception is not None and not isinstance(result.exception, SystemExit)
    out = result.output + (f"\nTraceback: {result.exception!r}" if escaped else "")
    return Measured(result.exit_code, out, seconds, peak)


@pytest.mark.parametrize(
    "args",
    [
        ["failback", *REGIONS, "--scope", "app=web", "--plan"],
        ["failover", *REGIONS, "--scope", "app=web", "--approve", "a" * 64, "--wait"],
        ["restore", REQUEST],
        ["status", REQUEST, "--wait"],
        ["report", REQUEST],
    ],
    ids=["failback", "failover", "restore", "status", "report"],
)
def test_an_endpoint_nobody_answers_is_one_line_saying_what_to_do(args: list[str]) -> None:
    measured = _invoke(args)
    measured.assert_clear(1, "drsorch local up")
    assert len(measured.out.strip().splitlines()) == 1, measured.out


def test_an_unexpected_error_is_one_line_and_a_log_file_with_the_details(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> ExitCode:
        raise ZeroDivisionError("a bug the CLI did not expect")

    monkeypatch.setattr("drsorch.cli.request_run.run_request", broken)
    measured = _invoke(["failback", *REGIONS, "--scope", "app=web", "--plan"])
    measured.assert_clear(1, "unexpected error ZeroDivisionError", "a bug the CLI did not expect")
    [log] = (tmp_path / "logs").glob("drsorch-*.log")
    assert str(log) in measured.out
    assert "Traceback" in log.read_text() and "ZeroDivisionError" in log.read_text()


def test_the_installed_command_turns_an_error_outside_the_commands_into_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # `drsorch local status` has no handler of its own: the guard around the app catches it.
    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError("the state folder vanished")

    monkeypatch.setattr("drsorch.cli.local.status", broken)
    monkeypatch.setattr(sys, "argv", ["drsorch", "local", "status"])
    with pytest.raises(SystemExit) as exited:
        cli_main.app()
    assert exited.value.code == 1
    [log] = (tmp_path / "logs").glob("drsorch-*.log")
    assert "the state folder vanished" in log.read_text()


def test_the_installed_command_never_prints_a_traceback_for_a_bad_endpoint_url() -> None:
    env = {"AWS_ENDPOINT_URL": "http://[::1", "PATH": "/usr/bin:/bin"}
    args = python_module("drsorch.cli.main", "status", REQUEST)
    subprocess_run(args, env=env).assert_clear(2, "AWS_ENDPOINT_URL")


def _restored(*server_ids: str, reason: str | None = None) -> list[LaunchSettingsRestored]:
    results = tuple(
        RestoreResult(
            source_server_id=server_id,
            launching_server_id=server_id.replace("s-1", "s-2"),
            account_id="123456789012",
            region="us-east-1",
            outcome="restored",
        )
        for server_id in server_ids
    )
    return [LaunchSettingsRestored(restore_request_id=REQUEST, results=results, reason=reason)]


def _console() -> Console:
    return Console(record=True, width=200, highlight=False, soft_wrap=True)


def test_restore_names_a_server_it_kept_nothing_for_instead_of_saying_nothing_was_kept() -> None:
    console = _console()
    reason = f"no launch settings were kept for request {REQUEST}"
    code = show(console, REQUEST, _restored(reason=reason), ["s-0123456789abcdef0"])
    said = console.export_text()
    assert code == ExitCode.USAGE
    assert "--servers" in said and "s-0123456789abcdef0" in said
    assert "no launch settings were kept" not in said


def test_restore_of_known_and_unknown_servers_restores_the_known_and_names_the_other() -> None:
    console = _console()
    known = "s-1000000000000000a"
    code = show(console, REQUEST, _restored(known), [f"{known},s-0123456789abcdef0"])
    said = console.export_text()
    assert code == ExitCode.USAGE
    assert "1 restored" in said
    assert "kept no launch settings for s-0123456789abcdef0" in said


def test_a_report_that_cannot_be_written_after_the_run_is_one_line_and_keeps_the_outcome(
    tmp_path: Path,
) -> None:
    tracker = fold(REQUEST_ID, events())
    console = _console()
    blocked = tmp_path / "gone"
    path = blocked / "report.json"
    blocked.write_text("a file where the folder was\n")  # appeared after the up-front check
    code = finish_apply(tracker, spec(approved_plan_hash="a" * 64), console, path)
    said = console.export_text()
    assert code == ExitCode.FAILED  # PARTIAL, as the request ended
    assert f"Could not write the report to {path}" in said
    assert f"drsorch report {REQUEST_ID} --out DIR" in said


TOPICS = {
    s: f"arn:aws:sns:us-east-1:123456789012:drsorch-{s}-events"
    for s in ("discovery", "matcher", "configurator", "monitor")
}
MONITOR_TOPIC = TOPICS["monitor"]


def _notified(body: str, topic_arn: str | None = None) -> str:
    """`body` as SNS delivers it (raw delivery off) from `topic_arn`, by default the topic
    of the service that produces it."""
    if topic_arn is None:
        try:
            producers = EVENTS.parse(body).payload.producers
        except (ContractError, ValueError, RecursionError):
            producers = ("monitor",)
        topic_arn = TOPICS[producers[0]]
    return json.dumps({"Type": "Notification", "TopicArn": topic_arn, "Message": body})


class OneBatchSqs:
    """The two calls `SqsEventFeed` makes, over one prepared batch of raw bodies."""

    def __init__(self, bodies: list[str]) -> None:
        self.bodies = bodies
        self.raw: list[str] = []  # bodies as they stand, no SNS notification around them
        self.deleted: list[str] = []

    async def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        messages = [
            {"MessageId": str(i), "ReceiptHandle": f"r{i}", "Body": body}
            for i, body in enumerate([_notified(b) for b in self.bodies] + self.raw)
        ]
        self.bodies, self.raw = [], []
        return {"Messages": messages}

    async def delete_message_batch(self, **kwargs: Any) -> dict[str, Any]:
        self.deleted += [entry["ReceiptHandle"] for entry in kwargs["Entries"]]
        return {}


async def test_a_deeply_nested_message_in_the_clis_queue_is_dropped_not_fatal() -> None:
    good = events()[0]
    sqs = OneBatchSqs(["[" * 100_000 + "]" * 100_000, "{not json", good.model_dump_json()])
    feed = SqsEventFeed(sqs, "queue", TOPICS)  # type: ignore[arg-type]  # a fake of two calls
    received = await feed.receive(0)
    assert [envelope.event_id for envelope in received] == [good.event_id]
    assert feed.unreadable == 2
    assert sqs.deleted == ["r0", "r1", "r2"]


async def test_the_cli_believes_only_what_the_followed_topic_delivers() -> None:
    """A forged outcome (sent straight to the CLI's queue, or through another followed
    service's topic) is counted and dropped; only the monitor's topic speaks for the
    monitor."""
    genuine, forged = events()[0], events()[-1]
    sqs = OneBatchSqs([genuine.model_dump_json()])
    sqs.raw = [
        forged.model_dump_json(),
        _notified(forged.model_dump_json(), TOPICS["matcher"]),
    ]
    feed = SqsEventFeed(sqs, "queue", TOPICS)  # type: ignore[arg-type]
    received = await feed.receive(0)
    assert [envelope.event_id for envelope in received] == [genuine.event_id]
    assert feed.untrusted == 2  # one sent straight to the queue, one on the matcher's topic
    assert sqs.deleted == ["r0", "r1", "r2"]
