"""Each service's Lambda zip is self-contained and reproducible.

`make package` builds one zip per service from the uv lock. Each zip is unpacked into
an empty folder and its handler run by a fresh interpreter (`python -I -S`: no
site-packages, no user site, no PYTHONPATH) with only that folder on the path, on an
SQS-shaped event against the local endpoint: a message no service handles, which
the handler parks in the service's dead-letter queue with its reason. Every module
the run imported must come from the folder or the standard library.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from ship.build import SERVICES, Built, package, package_all

from drsorch.local.deploy import StackOutputs
from drsorch.local.server import LocalEndpoint
from support.aws import deploy, drain

pytestmark = pytest.mark.integration

STACK = "shipzip"
# Runs in the fresh interpreter: the folder first on the path, the handler on the event,
# then where every imported module came from.
RUNNER = """
import importlib, json, sys, sysconfig
folder, service, event = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.path.insert(0, folder)
handler = importlib.import_module(f"drsorch.{service}.lambda_handler").handler
result = handler(event, None)
stdlib = sysconfig.get_paths()["stdlib"]
origins = {
    name: getattr(module, "__file__", None) or ""
    for name, module in list(sys.modules.items())
}
outside = sorted(
    f"{name}: {path}" for name, path in origins.items()
    if path and not path.startswith((folder, stdlib))
)
print(json.dumps({"result": result, "outside": outside}))
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    out = tmp_path_factory.mktemp("lambda")
    return {b.service: b for b in package_all("x86_64", out)}


@pytest.fixture(scope="module")
def stack(endpoint: LocalEndpoint) -> StackOutputs:
    return deploy(STACK)


def _probe(service: str) -> dict[str, Any]:
    """One SQS record, SNS-wrapped as the subscriptions deliver it, of a type no one handles."""
    envelope = {
        "event_id": f"ev-ship-{service}",
        "type": "PackageProbe",
        "version": 1,
        "request_id": f"req-ship-{service}",
        "occurred_at": "2026-12-04T10:00:00+00:00",
        "producer": "test",
        "payload": {},
    }
    body = {"Type": "Notification", "MessageId": f"sns-{service}", "Message": json.dumps(envelope)}
    return {
        "Records": [
            {
                "messageId": f"m-ship-{service}",
                "receiptHandle": "not-a-real-handle",
                "body": json.dumps(body),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
            }
        ]
    }


def _run(zip_path: Path, folder: Path, service: str, endpoint: LocalEndpoint) -> dict[str, Any]:
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(folder)
    env = {
        "AWS_ENDPOINT_URL": endpoint.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "2",
        "DRSORCH_STACK_NAME": STACK,
    }
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            RUNNER,
            str(folder),
            service,
            json.dumps(_probe(service)),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_each_zip_runs_its_handler_with_only_itself_on_the_path(
    built: dict[str, Built],
    stack: StackOutputs,
    endpoint: LocalEndpoint,
    tmp_path: Path,
    service: str,
) -> None:
    folder = tmp_path / "unpacked"
    folder.mkdir()
    ran = _run(built[service].path, folder, service, endpoint)
    assert ran["outside"] == []
    assert ran["result"] == {"batchItemFailures": []}
    [parked] = drain(stack.service(service).dead_letter_queue_url, expect=1, timeout=10)
    reason = parked["MessageAttributes"]["drsorch_park_reason"]["StringValue"]
    assert reason, parked


def test_each_zip_holds_no_bytecode_no_dev_tools_and_no_local_endpoint(
    built: dict[str, Built],
) -> None:
    for service, b in built.items():
        names = zipfile.ZipFile(b.path).namelist()
        assert f"drsorch/{service}/lambda_handler.py" in names
        assert not [n for n in names if n.endswith((".pyc", ".pyo"))]
        tops = {n.split("/", 1)[0] for n in names}
        for absent in ("moto", "drsorch_local-0.1.0.dist-info", "pytest", "mypy", "bin"):
            assert absent not in tops, (service, absent)
        assert "drsorch/local/__init__.py" not in names
        others = set(SERVICES) - {service}
        assert not [n for n in names if n.split("/")[:2] in [["drsorch", o] for o in others]]


def test_the_same_lock_gives_the_same_zip(built: dict[str, Built], tmp_path: Path) -> None:
    # One service rebuilt from scratch (the four share the same steps).
    again = package("matcher", "x86_64", tmp_path)
    assert again.sha256 == built["matcher"].sha256
    assert again.path.read_bytes() == built["matcher"].path.read_bytes()
