"""The local endpoint as a managed process: `up`, `down` and `status`.

`up` starts `python -m drsorch.local serve` detached (its own session), waits for
`/_drsorch/health`, then deploys drsorch's template into it with `deploy_stack`.
The state folder holds the PID file, the endpoint record and the log.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import deque
from pathlib import Path

import boto3
from botocore.config import Config
from pydantic import BaseModel, ConfigDict

from drsorch.local import pids
from drsorch.local.deploy import DEFAULT_TEMPLATE, DeployError, deploy_stack
from drsorch.local.outputs import StackOutputs
from drsorch.local.stack import StackError
from drsorch.local.statefiles import EndpointRecord, StateFiles, default_state_dir
from drsorch.local.template import TemplateError

HOST = "127.0.0.1"
REGION = "us-east-1"
STACK_NAME = "drsorch"
READY_SECONDS = 30.0
SEEDING_SECONDS = 120.0
STOP_SECONDS = 10.0
POLL_SECONDS = 0.1
# moto's fixed credentials: the local endpoint accepts any, and these reach no real account.
LOCAL_ACCESS_KEY = "testing"
LOCAL_SECRET_KEY = "testing"  # noqa: S105


class LocalEndpointError(Exception):
    """The local endpoint could not be started, reached or stopped."""


class UpResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    record: EndpointRecord
    already_running: bool
    log_file: Path
    outputs: StackOutputs | None = None
    ready_seconds: float = 0.0
    deploy_seconds: float = 0.0


class DownResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    record: EndpointRecord | None
    killed: bool = False


class EndpointStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    state_dir: Path
    record: EndpointRecord | None
    healthy: bool

    @property
    def running(self) -> bool:
        return self.record is not None


def shell_exports(url: str) -> str:
    """The line that points a shell (and every AWS SDK in it) at the endpoint."""
    return (
        f"export AWS_ENDPOINT_URL={url} AWS_DEFAULT_REGION={REGION} "
        "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing"
    )


def up(
    port: int = 4566,
    state_dir: Path | None = None,
    estate: Path | None = None,
    *,
    template_path: Path = DEFAULT_TEMPLATE,
) -> UpResult:
    """Start the endpoint detached and deploy the topology, unless one already runs."""
    files = StateFiles(state_dir or default_state_dir())
    with files.lock():
        running = _running(files)
        if running is not None:
            return UpResult(record=running, already_running=True, log_file=files.log_file)
        _require_free_port(HOST, port)
        started = time.monotonic()
        record = _spawn(files, port, estate)
        try:
            _wait_ready(files, record, READY_SECONDS + (SEEDING_SECONDS if estate else 0.0))
            ready = time.monotonic()
            outputs = _deploy(record.url, template_path)
        except (LocalEndpointError, DeployError, StackError, TemplateError) as exc:
            _stop(files, record)
            raise LocalEndpointError(f"{exc}\n{_log_tail(files)}") from exc
        except BaseException:  # Ctrl-C, or a bug: never leave a half-started endpoint behind
            _stop(files, record)
            raise
    return UpResult(
        record=record,
        already_running=False,
        log_file=files.log_file,
        outputs=outputs,
        ready_seconds=ready - started,
        deploy_seconds=time.monotonic() - ready,
    )


def down(state_dir: Path | None = None) -> DownResult:
    """Stop the endpoint (SIGTERM, then SIGKILL after a deadline) and clear its files."""
    files = StateFiles(state_dir or default_state_dir())
    record = _running(files)
    if record is None:
        return DownResult(record=None)
    return DownResult(record=record, killed=_stop(files, record))


def status(state_dir: Path | None = None) -> EndpointStatus:
    """Whether the endpoint runs, where, and whether it answers its health check."""
    folder = state_dir or default_state_dir()
    record = _running(StateFiles(folder))
    healthy = record is not None and is_healthy(record.url)
    return EndpointStatus(state_dir=folder, record=record, healthy=healthy)


def is_healthy(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_drsorch/health", timeout=timeout) as response:  # noqa: S310 - our own http URL
            return bool(response.status == 200 and json.load(response).get("status") == "ok")
    except (OSError, ValueError):
        return False


def _running(files: StateFiles) -> EndpointRecord | None:
    """The running endpoint's record; a stale one (process gone) is removed."""
    record = files.read()
    if record is not None and pids.is_endpoint(record.pid):
        return record
    if files.exists():
        files.remove()
    return None


def _require_free_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the server will: a port left in TIME_WAIT by a stopped endpoint is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise LocalEndpointError(f"port {port} on {host} is in use: {exc.strerror}") from exc


def _spawn(files: StateFiles, port: int, estate: Path | None) -> EndpointRecord:
    command = [sys.executable, "-m", "drsorch.local", "serve", "--host", HOST, "--port", str(port)]
    command += ["--state-dir", str(files.folder)]
    if estate is not None:
        command += ["--estate", str(estate)]
    files.folder.mkdir(parents=True, exist_ok=True)
    with files.log_file.open("wb") as log:
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    record = EndpointRecord(pid=child.pid, host=HOST, port=port)
    files.write(record)
    return record


def _wait_ready(files: StateFiles, record: EndpointRecord, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not is_healthy(record.url, timeout=0.5):
        if not pids.is_alive(record.pid):
            raise LocalEndpointError(f"the endpoint (pid {record.pid}) exited while starting")
        if time.monotonic() > deadline:
            raise LocalEndpointError(f"the endpoint was not healthy after {timeout:.0f} s")
        time.sleep(POLL_SECONDS)


def _stop(files: StateFiles, record: EndpointRecord) -> bool:
    try:
        killed = pids.terminate(record.pid, STOP_SECONDS)
    except TimeoutError as exc:
        raise LocalEndpointError(str(exc)) from exc
    files.remove()
    return killed


def _log_tail(files: StateFiles, lines: int = 20) -> str:
    try:
        with files.log_file.open(encoding="utf-8", errors="replace") as log:
            tail = "".join(deque(log, maxlen=lines))
    except OSError:
        return f"(no log at {files.log_file})"
    return f"last lines of {files.log_file}:\n{tail}"


def _deploy(url: str, template_path: Path) -> StackOutputs:
    session = boto3.session.Session(
        aws_access_key_id=LOCAL_ACCESS_KEY,
        aws_secret_access_key=LOCAL_SECRET_KEY,
        region_name=REGION,
    )
    config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5)
    return deploy_stack(
        session.client("cloudformation", endpoint_url=url, config=config),
        session.client("sns", endpoint_url=url, config=config),
        session.client("sqs", endpoint_url=url, config=config),
        session.client("cloudwatch", endpoint_url=url, config=config),
        dynamodb=session.client("dynamodb", endpoint_url=url, config=config),
        stack_name=STACK_NAME,
        template_path=template_path,
    )
