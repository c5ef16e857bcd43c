"""Reading the monitor's record of a request, judging the demo, showing a restore's answer."""

from __future__ import annotations

import json

from rich.console import Console

from drsorch.cli.demo_check import judge
from drsorch.cli.errors import ExitCode
from drsorch.cli.records import parse_record
from drsorch.cli.report import build_report
from drsorch.cli.restore_run import show
from drsorch.contracts import LaunchSettingsRestored, RequestCompleted, RestoreResult, ServerReport
from support.cli_fakes import REQUEST_ID, events, spec
from support.cli_reports import T0, made_up_report

PK = {"S": f"request#{REQUEST_ID}"}


def _item(sk: str, **attributes: object) -> dict[str, object]:
    return {"pk": PK, "sk": {"S": sk}, **attributes}


def _summary(phase: str = "running") -> dict[str, object]:
    body = json.dumps({"spec": json.loads(spec().model_dump_json()), "future_field": 1})
    return _item(
        "summary",
        body={"S": body},
        phase={"S": phase},
        operation={"S": "failback"},
        drill={"BOOL": False},
        plan_hash={"S": "a" * 64},
        wave={"N": "2"},
    )


def test_a_running_request_counts_servers_and_lists_batches() -> None:
    batch = {"wave": 2, "index": 0, "account_id": "123456789012", "members": [{}, {}, {}]}
    items = [
        _summary(),
        _item("server#s-1", phase={"S": "done"}, wave={"N": "1"}, outcome={"S": "recovered"}),
        _item("server#s-2", phase={"S": "in_batch"}, wave={"N": "2"}),
        _item(
            "batch#002-0000",
            status={"S": "started"},
            job_id={"S": "drsjob-1"},
            body={"S": json.dumps(batch)},
        ),
        _item("lease", holder={"S": "x"}),
    ]
    record = parse_record(REQUEST_ID, items)
    assert record is not None
    assert (record.phase, record.wave, record.operation, record.drill) == (
        "running",
        2,
        "failback",
        False,
    )
    assert record.spec == spec()
    assert record.servers_by_phase == {"done": 1, "in_batch": 1}
    assert record.servers_by_outcome == {"recovered": 1}
    assert [(b.wave, b.status, b.job_id, b.servers) for b in record.batches] == [
        (2, "started", "drsjob-1", 3)
    ]
    assert not record.done


def test_an_ended_request_carries_its_report() -> None:
    completed = next(e.payload for e in events() if isinstance(e.payload, RequestCompleted))
    items = [
        _summary("done"),
        _item("report#0000", body={"S": completed.model_dump_json()}),
    ]
    record = parse_record(REQUEST_ID, items)
    assert record is not None and record.done
    assert record.report == [completed]


def test_no_summary_means_no_record() -> None:
    assert parse_record(REQUEST_ID, [_item("server#s-1", phase={"S": "done"})]) is None


def _demo_report(changes: dict[str, dict[str, object]]) -> list[str]:
    names = ["payments-app-07", "payments-app-08", "payments-web-01", "payments-web-02"]
    names += [f"other-{n:02d}" for n in range(96)]
    servers = []
    for n, server in enumerate(made_up_report(servers=100, left_out=0).servers):
        update: dict[str, object] = {"server": server.server.model_copy(update={"name": names[n]})}
        if names[n] in ("payments-app-07", "payments-app-08"):
            update |= {
                "outcome": "rejected",
                "ec2_instance_id": None,
                "job_id": None,
                "launched_into_expected": None,
                "reason": "refused",
            }
        else:
            update |= {"outcome": "recovered", "launched_into_expected": True}
        update |= changes.get(names[n], {})
        servers.append(server.model_copy(update=update))
    completed = RequestCompleted(
        status="PARTIAL",
        operation="failback",
        drill=False,
        servers=tuple(servers),
        started_at=T0,
        ended_at=T0,
    )
    return judge(build_report(REQUEST_ID, [completed], generated_at=T0))


def test_the_demo_behaves_when_traps_are_refused_and_the_rest_landed() -> None:
    assert _demo_report({}) == []


def test_the_demo_notices_a_trap_launched_into_or_a_name_guess() -> None:
    problems = _demo_report(
        {
            "payments-app-07": {"outcome": "recovered", "ec2_instance_id": "i-00000000000000007"},
            "payments-web-02": {"method": "name"},
            "other-05": {"outcome": "failed", "launched_into_expected": False},
        }
    )
    assert any("payments-app-07" in p and "not refused" in p for p in problems)
    assert any("payments-web-02" in p and "paired by name" in p for p in problems)
    assert any("other-05 did not land" in p for p in problems)


def test_a_restore_answer_is_a_table_and_an_exit_code() -> None:
    result = RestoreResult(
        source_server_id="s-" + "a" * 17,
        launching_server_id="s-" + "b" * 17,
        account_id="123456789012",
        region="us-east-1",
        outcome="restored",
    )
    failed = result.model_copy(update={"outcome": "failed", "reason": "server busy in a job"})
    console = Console(record=True, width=200)
    ok = show(
        console,
        REQUEST_ID,
        [LaunchSettingsRestored(restore_request_id=REQUEST_ID, results=(result,))],
    )
    bad = show(
        console,
        REQUEST_ID,
        [LaunchSettingsRestored(restore_request_id=REQUEST_ID, results=(result, failed))],
    )
    nothing = show(
        console,
        REQUEST_ID,
        [
            LaunchSettingsRestored(
                restore_request_id=REQUEST_ID, reason="no launch settings were kept"
            )
        ],
    )
    assert (ok, bad, nothing) == (ExitCode.OK, ExitCode.FAILED, ExitCode.FAILED)
    text = console.export_text()
    assert "1 restored" in text and "server busy in a job" in text and "no launch settings" in text


def test_server_reports_stay_valid_when_made_up() -> None:
    assert isinstance(made_up_report(servers=3, left_out=0).servers[0], ServerReport)
