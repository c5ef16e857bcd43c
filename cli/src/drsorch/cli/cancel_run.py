"""Running `drsorch cancel`: publish CancelRequested, take the monitor's answer, follow the end.

The cancel continues the request's own trace. The monitor answers with RequestCancelled
(followed on its topic alone); while jobs that were running finish, the command reads
the monitor's record, then shows what was and was not done.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from rich.console import Console

from drsorch.cli.aws import AWS_ERRORS, Aws, SnsRequestBus, lost_contact, open_aws
from drsorch.cli.checks import endpoint_urls, timeout_seconds
from drsorch.cli.errors import ExitCode
from drsorch.cli.feed import event_feed
from drsorch.cli.follow import joined_trace, new_request_id, publish_request
from drsorch.cli.lookup_run import check_request_id, report_of_record
from drsorch.cli.output import emit
from drsorch.cli.records import MonitorRecords, RequestRecord
from drsorch.cli.views import print_summary
from drsorch.contracts import CancelRequested, Envelope, Event, RequestCancelled
from drsorch.runtime import tracing

POLL_SECONDS = 2.0
ANSWER_SECONDS = 120.0


async def _send(
    aws: Aws, envelope: Envelope[Event], trace_id: str | None
) -> RequestCancelled | None:
    own_id = envelope.request_id
    topic = {"monitor": aws.topology.producer_topics["monitor"]}
    sent = False
    try:
        async with event_feed(aws.sqs, aws.sns, topic, own_id) as feed:
            with joined_trace(trace_id):
                await publish_request(SnsRequestBus(aws), envelope)
            sent = True
            deadline = time.monotonic() + ANSWER_SECONDS
            while time.monotonic() < deadline:
                for got in await feed.receive(20):
                    if got.request_id == own_id and isinstance(got.payload, RequestCancelled):
                        return got.payload
            return None
    except AWS_ERRORS as exc:
        raise lost_contact(exc, own_id, sent=sent) from exc


def _say(console: Console, target: str, answer: RequestCancelled) -> ExitCode | None:
    """The answer in words; the exit code when there is nothing more to follow."""
    if answer.state == "unknown":
        console.print(f"Cancel of {target}: {answer.reason}")
        emit(answer)
        return ExitCode.USAGE
    if answer.state == "finished":
        console.print(f"Nothing to cancel: {answer.reason}")
        emit(answer)
        return ExitCode.REFUSED
    console.print(
        f"Cancel of {target} taken (cancelled by {answer.cancelled_by}): no new batch starts; "
        f"{answer.launched} servers were already in jobs, {answer.running_jobs} jobs still run "
        f"and will finish; {answer.skipped} servers will not be launched."
    )
    return None


async def _follow(
    records: MonitorRecords, target: str, deadline: float | None, console: Console
) -> RequestRecord | None:
    shown: tuple[int, int] | None = None
    while True:
        record = await records.request(target)
        if record is not None and record.done:
            return record
        if record is not None:
            running = sum(1 for b in record.batches if b.status == "started")
            now = (running, sum(record.servers_by_outcome.values()))
            if now != shown:
                console.print(f"  {running} jobs still running; {now[1]} servers decided")
                shown = now
        if deadline is not None and time.monotonic() >= deadline:
            return None
        await asyncio.sleep(POLL_SECONDS)  # polling the record: nothing signals a change


async def run_cancel(
    target: str, *, reason: str | None, wait: bool, seconds: float | None, console: Console
) -> ExitCode:
    """Cancel `target`; with `wait`, follow it until its running jobs ended; the exit code."""
    check_request_id(target)
    timeout_seconds("--timeout", seconds)
    endpoint_urls()
    tracing.configure_tracing("drsorch-cli", instrument_aws=False)
    async with open_aws() as aws:
        records = MonitorRecords(aws.dynamodb, aws.topology.table_name)
        try:
            record = await records.request(target)
        except AWS_ERRORS as exc:
            raise lost_contact(exc, target, sent=False) from exc
        event = CancelRequested(
            cancel_request_id=target, requested_by=aws.caller.arn, reason=reason
        )
        own_id = new_request_id("cancel", datetime.now(UTC))
        envelope: Envelope[Event] = Envelope.wrap(
            event, request_id=own_id, step="cancel", producer="cli"
        )
        answer = await _send(aws, envelope, record.trace_id if record else None)
        if answer is None:
            console.print(f"No answer from the monitor within {ANSWER_SECONDS:g} s ({own_id}).")
            return ExitCode.STILL_RUNNING
        code = _say(console, target, answer)
        if code is not None:
            return code
        if not wait:
            emit(answer)
            return ExitCode.OK
        deadline = None if seconds is None else time.monotonic() + seconds
        try:
            ended = await _follow(records, target, deadline, console)
        except AWS_ERRORS as exc:
            raise lost_contact(exc, target, sent=True) from exc
    if ended is None:
        console.print(f"Jobs still running; follow them with: drsorch status {target} --wait")
        emit(answer)
        return ExitCode.STILL_RUNNING
    report = report_of_record(ended)
    print_summary(console, report)
    emit(report)
    return ExitCode.OK
