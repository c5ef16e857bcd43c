"""Running `drsorch drill` and `drsorch drill-cleanup`.

A drill is a failover drill of the scope, planned and approved like any apply
(DrillRequested); with `--wait` the CLI follows its launches live, then the
configurator's verification (DrillVerified) from the same queue, and writes the
evidence pack. The clean-up is the configurator's: after `--keep-for`, or now with
`drsorch drill-cleanup ID`, which waits for DrillCleanedUp and its proof.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from drsorch.cli.aws import AWS_ERRORS, Aws, SnsRequestBus, lost_contact, open_aws
from drsorch.cli.checks import endpoint_urls, report_file, timeout_seconds
from drsorch.cli.drill_evidence import DrillCleanup, EvidencePack, summarize, write_pack
from drsorch.cli.errors import ExitCode, InputError, Refused
from drsorch.cli.feed import SqsQueueDepths, event_feed
from drsorch.cli.follow import Followed, follow, new_request_id, publish_request
from drsorch.cli.live import LiveProgress
from drsorch.cli.liveness import Liveness, queues_of, quiet_seconds
from drsorch.cli.ports import EventFeed
from drsorch.cli.request_run import FOLLOWED, PLACEHOLDER_ACCOUNT, _approve, finish, spec_of
from drsorch.cli.tracker import Chunks, RequestTracker
from drsorch.contracts import (
    DrillCleanedUp,
    DrillCleanupRequested,
    DrillRequested,
    DrillVerified,
    Envelope,
    Event,
    RecoveryPoint,
    RequestSpec,
)
from drsorch.runtime import tracing

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
DEFAULT_KEEP = "1h"


def keep_for_seconds(text: str) -> int:
    """`--keep-for`: `90s`, `30m`, `2h`, `1d2h`, or plain seconds; at most 7 days."""
    text = text.strip().lower()
    if text.isdigit():
        seconds = int(text)
    else:
        match = _DURATION.match(text)
        if not text or match is None:
            raise InputError("--keep-for", f"{text!r} is not a duration such as 90s, 30m, 2h")
        d, h, m, s = (int(p or 0) for p in match.groups())
        seconds = ((d * 24 + h) * 60 + m) * 60 + s
    if seconds > 7 * 86_400:
        raise InputError("--keep-for", "at most 7 days (7d)")
    return seconds


def recovery_point(snapshots: Sequence[str], before: str | None) -> RecoveryPoint | None:
    """`--snapshot ID` (repeatable) or `--before TIME`; neither means the latest data."""
    if not snapshots and before is None:
        return None
    if snapshots and before is not None:
        raise InputError("--snapshot/--before", "give snapshots or a time, not both")
    when = None
    if before is not None:
        try:
            when = datetime.fromisoformat(before)
        except ValueError as exc:
            raise InputError("--before", f"{before!r} is not an ISO-8601 time") from exc
        if when.tzinfo is None:
            raise InputError("--before", "give a time zone, e.g. 2026-12-04T16:00:00Z")
    try:
        return RecoveryPoint(snapshot_ids=tuple(snapshots), before=when)
    except ValidationError as exc:
        raise InputError("--snapshot", str(exc.errors()[0]["msg"])) from exc


def _drill_options(options: dict[str, Any]) -> dict[str, Any]:
    return options | {"drill": True, "launch_into": None, "target": None}


class _Tee:
    """The feed, keeping the drill's own answers as they pass (the tracker ignores them)."""

    def __init__(self, feed: EventFeed) -> None:
        self.feed = feed
        self.verified: Chunks[DrillVerified] = Chunks()

    @property
    def unreadable(self) -> int:
        return self.feed.unreadable

    async def receive(self, wait_seconds: int) -> Sequence[Envelope[Event]]:
        got = await self.feed.receive(wait_seconds)
        for envelope in got:
            if isinstance(envelope.payload, DrillVerified):
                chunk = envelope.payload.chunk
                self.verified.add(envelope.payload, chunk.index, chunk.count)
        return got


async def run_drill(options: dict[str, Any], console: Console) -> ExitCode:
    """Plan or apply a drill, follow it, write its evidence pack; the exit code."""
    options = _drill_options(options)
    point = recovery_point(options["snapshot"] or (), options["before"])
    keep = keep_for_seconds(options["keep_for"] or DEFAULT_KEEP)
    checked = spec_of("failover", options, (PLACEHOLDER_ACCOUNT, "drsorch-cli"))
    timeout_seconds("--timeout", options["timeout"])
    report_file("--report", options["report"])
    report_file("--evidence", options["evidence"])
    endpoint_urls()
    if not checked.plan_only and checked.approved_plan_hash is None:
        raise Refused(
            "approval missing: run with --plan first, review the plan, then run again "
            "with --approve HASH"
        )
    tracing.configure_tracing("drsorch-cli", instrument_aws=False)
    async with open_aws() as aws:
        spec = spec_of("failover", options, (aws.caller.account_id, aws.caller.arn))
        request_id = new_request_id("drill", datetime.now(UTC))
        if not spec.plan_only:
            signed = await _approve(aws, spec, request_id, options)
            spec = spec.model_copy(update={"approvals": (signed,)})
        event = DrillRequested(spec=spec, recovery_point=point, keep_for_seconds=keep)
        envelope = Envelope.wrap(event, request_id=request_id, step="request", producer="cli")
        if not (spec.plan_only or options["wait"] or options["timeout"] or options["report"]):
            try:
                await publish_request(SnsRequestBus(aws), envelope)
            except AWS_ERRORS as exc:
                raise lost_contact(exc, request_id, sent=False) from exc
            console.print(
                f"Drill {request_id} sent. Its instances are terminated {keep} s after they are "
                f"verified, or now with: drsorch drill-cleanup {request_id}"
            )
            return ExitCode.OK
        followed, verified = await _send_and_follow(aws, envelope, spec, options, console)
    code = finish(followed, spec, options, console)
    if spec.plan_only or followed.timed_out:
        return code
    if verified is None:
        console.print(f"No evidence yet; the drill {request_id} goes on (drsorch drill-cleanup).")
        return ExitCode.STILL_RUNNING
    pack = _pack(request_id, followed, point, keep, verified)
    _show(console, pack)
    path = options["evidence"] or Path.cwd() / f"{request_id}.evidence.json"
    json_path, page = write_pack(pack, path)
    console.print(f"Evidence pack: {json_path}  page: {page}")
    console.print(
        f"Drill instances are terminated at {pack.cleanup_due_at:%Y-%m-%d %H:%M:%S} UTC, "
        f"or now with: drsorch drill-cleanup {request_id} --evidence {json_path}"
    )
    if code == ExitCode.OK and pack.summary.failed:
        return ExitCode.FAILED
    return code


async def _send_and_follow(
    aws: Aws,
    envelope: Envelope[Event],
    spec: RequestSpec,
    options: dict[str, Any],
    console: Console,
) -> tuple[Followed, list[DrillVerified] | None]:
    request_id = envelope.request_id
    topic = {s: aws.topology.producer_topics[s] for s in FOLLOWED}
    seconds = options["timeout"]
    sent = False
    try:
        async with event_feed(aws.sqs, aws.sns, topic, request_id) as raw:
            feed = _Tee(raw)
            trace_id = await publish_request(SnsRequestBus(aws), envelope)
            sent = True
            kind = "plan only" if spec.plan_only else "apply"
            console.print(f"Drill {request_id} sent ({kind}); trace {trace_id}.")
            tracker = RequestTracker(request_id, trace_id=trace_id)
            deadline = None if seconds is None else time.monotonic() + seconds
            queues = queues_of(aws.topology.outputs, aws.topology.queue_url)
            watch = Liveness(
                queues, SqsQueueDepths(aws.sqs), time.monotonic, quiet_seconds(os.environ)
            )
            with LiveProgress(console, launches=not spec.plan_only) as view:
                followed = await follow(feed, tracker, view, deadline, liveness=watch)
            if spec.plan_only or followed.timed_out:
                return followed, None
            console.print("Launches over; the configurator checks each drill instance in EC2…")
            return followed, await _verified(feed, request_id, deadline)
    except AWS_ERRORS as exc:
        raise lost_contact(exc, request_id, sent=sent) from exc


async def _verified(
    feed: _Tee, request_id: str, deadline: float | None
) -> list[DrillVerified] | None:
    while not feed.verified.complete:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            return None
        await feed.receive(20 if remaining is None else max(0, min(20, int(remaining) + 1)))
    return feed.verified.ordered()


def _pack(
    request_id: str,
    followed: Followed,
    point: RecoveryPoint | None,
    keep: int,
    verified: list[DrillVerified],
) -> EvidencePack:
    chunks = followed.tracker.completed.ordered()
    first = chunks[0] if chunks else None
    instances = tuple(i for v in verified for i in v.instances)
    return EvidencePack(
        drill_id=request_id,
        status=first.status if first else "UNKNOWN",
        plan_hash=first.plan_hash if first else None,
        recovery_point=point,
        keep_for_seconds=keep,
        cleanup_due_at=verified[0].cleanup_due_at,
        trace_id=(first.trace_id if first else None) or followed.tracker.trace_id,
        started_at=first.started_at if first else None,
        ended_at=first.ended_at if first else None,
        summary=summarize(instances),
        instances=instances,
    )


def _show(console: Console, pack: EvidencePack) -> None:
    table = Table(title=f"Drill {pack.drill_id}: evidence", title_justify="left")
    for column in ("server", "snapshot", "snapshot time", "instance", "recovery", "checks"):
        table.add_column(column)
    for i in pack.instances:
        table.add_row(
            i.source_server_id,
            i.snapshot_id or "",
            f"{i.snapshot_time:%Y-%m-%d %H:%M:%S}" if i.snapshot_time else "",
            i.ec2_instance_id or "",
            "" if i.recovery_seconds is None else f"{i.recovery_seconds} s",
            i.check if i.check == "passed" else f"failed: {i.reason or ''}",
        )
    console.print(table)
    s = pack.summary
    console.print(
        f"{s.passed} of {s.servers} drill instances running with their status checks ok; "
        f"recovery time max {s.recovery_seconds_max} s, median {s.recovery_seconds_median} s"
    )


async def run_cleanup(
    drill_id: str, *, evidence: Path | None, seconds: float | None, console: Console
) -> ExitCode:
    """Ask the configurator to clean the drill up now; wait for its proof; the exit code."""
    timeout_seconds("--timeout", seconds)
    endpoint_urls()
    tracing.configure_tracing("drsorch-cli", instrument_aws=False)
    async with open_aws() as aws:
        try:
            event = DrillCleanupRequested(of_request_id=drill_id, requested_by=aws.caller.arn)
        except ValidationError as exc:
            raise InputError("DRILL_ID", str(exc.errors()[0]["msg"])) from exc
        own = new_request_id("drill-cleanup", datetime.now(UTC))
        envelope = Envelope.wrap(event, request_id=own, step="request", producer="cli")
        topic = {"configurator": aws.topology.producer_topics["configurator"]}
        done: Chunks[DrillCleanedUp] = Chunks()
        sent = False
        try:
            # The answer comes under the drill's own ID: one request, one trace.
            async with event_feed(aws.sqs, aws.sns, topic, drill_id) as feed:
                await publish_request(SnsRequestBus(aws), envelope)
                sent = True
                console.print(f"Clean-up of {drill_id} asked ({own}); waiting for its proof…")
                deadline = None if seconds is None else time.monotonic() + seconds
                while not done.complete:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        console.print(f"No answer within {seconds:g} s; the clean-up goes on.")
                        return ExitCode.STILL_RUNNING
                    wait = 20 if remaining is None else max(0, min(20, int(remaining) + 1))
                    for got in await feed.receive(wait):
                        if isinstance(got.payload, DrillCleanedUp) and got.request_id == drill_id:
                            chunk = got.payload.chunk
                            done.add(got.payload, chunk.index, chunk.count)
        except AWS_ERRORS as exc:
            raise lost_contact(exc, own, sent=sent) from exc
    return show_cleanup(console, done.ordered(), evidence)


def show_cleanup(
    console: Console, answer: Sequence[DrillCleanedUp], evidence: Path | None
) -> ExitCode:
    first = answer[0]
    instances = tuple(i for part in answer for i in part.instances)
    table = Table(title=f"Drill {first.of_request_id}: clean-up", title_justify="left")
    for column in ("server", "recovery instance", "EC2", "TERMINATE job", "outcome", "EC2 state"):
        table.add_column(column)
    for i in instances:
        table.add_row(
            i.source_server_id,
            i.recovery_instance_id,
            i.ec2_instance_id or "",
            i.terminate_job_id or "",
            i.outcome + (f": {i.reason}" if i.reason else ""),
            i.ec2_state or "gone",
        )
    if instances:
        console.print(table)
    if first.reason:
        console.print(first.reason, markup=False)
    verdict = "none left" if first.none_left else "NOT ALL GONE"
    console.print(f"Drill {first.of_request_id}: {len(instances)} drill instances, {verdict}")
    if evidence is not None and evidence.is_file():
        pack = EvidencePack.model_validate_json(evidence.read_text(encoding="utf-8"))
        cleaned = DrillCleanup(
            trigger=first.trigger,
            none_left=first.none_left,
            instances=instances,
            reason=first.reason,
        )
        json_path, page = write_pack(pack.model_copy(update={"cleanup": cleaned}), evidence)
        console.print(f"Evidence pack updated: {json_path}  page: {page}")
    return ExitCode.OK if first.none_left else ExitCode.FAILED
