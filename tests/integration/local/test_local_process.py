"""`drsorch local up|status|down` as an operator runs them: separate processes, real ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from drsorch.local import pids
from drsorch.local.outputs import expected_output_names
from drsorch.local.process import LocalEndpointError, up

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _drsorch(*args: str, state_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    return subprocess.run(
        [sys.executable, "-m", "drsorch.cli.main", "local", *args, "--state-dir", str(state_dir)],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        check=False,
    )


def _serve_processes(state_dir: Path) -> set[int]:
    """PIDs of live `drsorch.local serve` processes using this state folder."""
    found = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if str(state_dir).encode() in cmdline and pids.is_endpoint(int(proc.name)):
            found.add(int(proc.name))
    return found


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "state"
    yield folder
    # Whatever a failed assertion left behind, no endpoint outlives the test.
    for pid in _serve_processes(folder):
        pids.terminate(pid, timeout=5)


def test_up_serves_every_service_then_down_leaves_nothing(state_dir: Path) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"

    first = _drsorch("up", "--port", str(port), state_dir=state_dir)

    assert first.returncode == 0, first.stderr
    assert f"export AWS_ENDPOINT_URL={url} AWS_DEFAULT_REGION=us-east-1" in first.stdout
    assert all(name in first.stdout for name in expected_output_names())
    pid = int((state_dir / "endpoint.pid").read_text())
    assert _serve_processes(state_dir) == {pid}

    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    config = Config(retries={"max_attempts": 1})
    sns = session.client("sns", endpoint_url=url, config=config)
    sqs = session.client("sqs", endpoint_url=url, config=config)
    dynamodb = session.client("dynamodb", endpoint_url=url, config=config)
    ec2 = session.client("ec2", endpoint_url=url, config=config)
    sts = session.client("sts", endpoint_url=url, config=config)
    events = session.client("events", endpoint_url=url, config=config)
    cloudwatch = session.client("cloudwatch", endpoint_url=url, config=config)
    topics = {t["TopicArn"].rsplit(":", 1)[1] for t in sns.list_topics()["Topics"]}
    own = {f"drsorch-{s}-events" for s in ("discovery", "matcher", "configurator", "monitor")}
    assert {"drsorch-requests", *own} <= topics
    # four queues, four dead-letter queues and the alarm rule's
    assert len(sqs.list_queues(QueueNamePrefix="drsorch-")["QueueUrls"]) == 9
    assert "drsorch-monitor" in dynamodb.list_tables()["TableNames"]
    assert ec2.describe_regions()["Regions"]
    assert sts.get_caller_identity()["Account"] == "123456789012"
    events.put_rule(Name="probe", EventPattern='{"source": ["aws.cloudwatch"]}')
    assert [r["Name"] for r in events.list_rules(NamePrefix="probe")["Rules"]] == ["probe"]
    alarms = cloudwatch.describe_alarms(AlarmNamePrefix="drsorch-")["MetricAlarms"]
    assert len(alarms) == 7  # 5 dead-letter queues, failed requests, landed elsewhere

    second = _drsorch("up", "--port", str(port), state_dir=state_dir)

    assert second.returncode == 0, second.stderr
    assert "already running" in second.stdout
    assert f"pid {pid}" in second.stdout
    assert f"port {port}" in second.stdout
    assert _serve_processes(state_dir) == {pid}

    running = _drsorch("status", state_dir=state_dir)

    assert running.returncode == 0, running.stderr
    assert f"pid {pid}" in running.stdout
    assert "healthy" in running.stdout

    stopped = _drsorch("down", state_dir=state_dir)

    assert stopped.returncode == 0, stopped.stderr
    assert f"pid {pid}" in stopped.stdout
    assert not pids.is_alive(pid)
    assert not (state_dir / "endpoint.pid").exists()
    after = _drsorch("status", state_dir=state_dir)
    assert after.returncode == 1
    assert "not running" in after.stdout


def test_an_endpoint_that_dies_while_starting_is_reported_with_its_log(
    state_dir: Path, tmp_path: Path
) -> None:
    estate = tmp_path / "broken-estate.yaml"
    estate.write_text("accounts: [this is not an estate\n")

    # Past the CLI's own check of the estate (below), straight to the process that serves it.
    with pytest.raises(LocalEndpointError) as failed:
        up(_free_port(), state_dir, estate)

    assert "exited while starting" in str(failed.value)
    assert "cannot serve: --estate" in str(failed.value)  # the tail of the endpoint's log
    assert _serve_processes(state_dir) == set()
    assert not (state_dir / "endpoint.pid").exists()


def test_a_bad_estate_is_refused_before_anything_starts(state_dir: Path, tmp_path: Path) -> None:
    estate = tmp_path / "broken-estate.yaml"
    estate.write_text("accounts: [this is not an estate\n")

    failed = _drsorch(
        "up", "--port", str(_free_port()), "--estate", str(estate), state_dir=state_dir
    )

    assert failed.returncode == 2  # as `python -m drsorch.local.estate check` answers
    assert "line 2" in failed.stderr and "YAML" in failed.stderr
    assert _serve_processes(state_dir) == set()
    assert not (state_dir / "endpoint.pid").exists()


def test_an_estate_above_the_replicating_quota_without_staging_accounts_is_refused(
    state_dir: Path, tmp_path: Path
) -> None:
    estate = tmp_path / "too-many.yaml"
    estate.write_text(
        "name: too-many\naccounts:\n  - kind: hub\n    generators:\n"
        "      - {count: 301, name: 'app-{index:04d}'}\n"
    )

    failed = _drsorch(
        "up", "--port", str(_free_port()), "--estate", str(estate), state_dir=state_dir
    )

    assert failed.returncode == 2
    assert "account 123456789012 has 301 replicating source servers in us-west-2" in (failed.stderr)
    assert "staging accounts" in failed.stderr
    assert _serve_processes(state_dir) == set()


def test_a_port_in_use_is_refused_before_anything_starts(state_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        with pytest.raises(LocalEndpointError, match=f"port {port} on 127.0.0.1 is in use"):
            up(port, state_dir)

    assert _serve_processes(state_dir) == set()
    assert not (state_dir / "endpoint.pid").exists()
