"""Bad flags, values, paths and variables, one row each, in-process: exit 2 naming the flag,
no traceback, under 10 s and 300 MB (measured here), and nothing sent.

`AWS_ENDPOINT_URL` points at a closed port, so a value that slipped through unchecked
would fail to reach AWS (exit 1) instead of passing. The rows cover what issue 15 found:
numbers that are not finite or out of range (`--timeout inf` on failback and restore),
report and output paths that cannot be written or sit in a missing folder, regions
botocore does not know, empty or malformed account lists, scope keys in the `aws:`
prefix, and endpoint URLs that are not URLs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from drsorch.cli.main import app
from support.badinput import Measured, in_process

REGIONS = ["--primary-region", "us-east-1", "--recovery-region", "us-west-2"]
SCOPE = ["--scope", "app=web"]
REQUEST = "failback-20261125t195454-a72aab"
HASH = "a" * 64
MISSING = "{tmp}/no-such-folder"


@dataclass(frozen=True)
class Case:
    id: str
    args: list[str]
    named: str
    env: dict[str, str] = field(default_factory=dict)


def request(*args: str) -> list[str]:
    """A plan request with everything right but `args`."""
    return [*REGIONS, *SCOPE, "--plan", *args]


# Rows for `failback` and `failover` alike (each runs under both).
REQUEST_CASES = [
    # --- numbers: finite and in range
    Case("timeout-inf", request("--timeout", "inf"), "--timeout"),
    Case("timeout-nan", request("--timeout", "nan"), "--timeout"),
    Case("timeout-minus-inf", request("--timeout", "-inf"), "--timeout"),
    Case("timeout-overflow", request("--timeout", "1e309"), "--timeout"),
    Case("timeout-zero", request("--timeout", "0"), "--timeout"),
    Case("timeout-beyond-a-week", request("--timeout", "1e9"), "--timeout"),
    Case("timeout-word", request("--timeout", "soon"), "--timeout"),
    Case("batch-size-zero", request("--option", "batchSize=0"), "--option"),
    Case("batch-size-101", request("--option", "batchSize=101"), "--option"),
    Case("batch-size-inf", request("--option", "batchSize=inf"), "--option"),
    Case("ratio-inf", request("--option", "waveSuccessRatio=inf"), "--option"),
    Case("ratio-nan", request("--option", "waveSuccessRatio=nan"), "--option"),
    Case("ratio-above-1", request("--option", "waveSuccessRatio=1.5"), "--option"),
    Case("lag-negative", request("--option", "maxReplicationLagSeconds=-1"), "--option"),
    Case("job-timeout-overflow", request("--option", "jobTimeoutSeconds=1e999"), "--option"),
    Case("readiness-too-short", request("--option", "readinessDeadlineSeconds=10"), "--option"),
    Case("option-unknown", request("--option", "turbo=on"), "--option"),
    # --- report path: a writable file in a folder that exists
    Case("report-missing-folder", request("--report", MISSING + "/r.json"), "--report"),
    Case("report-is-a-folder", request("--report", "{tmp}"), "--report"),
    Case("report-nested-missing", request("--report", "{tmp}/a/b/r.json"), "--report"),
    Case("report-device", request("--report", "/dev/null"), "--report"),
    Case("report-unwritable", request("--report", "/proc/drsorch-report.json"), "--report"),
    Case("report-empty", request("--report", ""), "--report"),
    Case("report-in-a-file", request("--report", "{tmp}/file.txt/r.json"), "--report"),
    # --- regions: botocore's partitions
    Case(
        "region-unknown",
        [*SCOPE, "--primary-region", "us-east-9", "--recovery-region", "us-west-2", "--plan"],
        "--primary-region",
    ),
    Case(
        "region-made-up",
        [*SCOPE, "--primary-region", "mars-1", "--recovery-region", "us-west-2", "--plan"],
        "--primary-region",
    ),
    Case(
        "recovery-region-unknown",
        [*SCOPE, "--primary-region", "us-east-1", "--recovery-region", "us-west-3", "--plan"],
        "--recovery-region",
    ),
    Case(
        "region-empty",
        [*SCOPE, "--primary-region", "", "--recovery-region", "us-west-2", "--plan"],
        "--primary-region",
    ),
    Case(
        "region-capitals",
        [*SCOPE, "--primary-region", "US-EAST-1", "--recovery-region", "us-west-2", "--plan"],
        "--primary-region",
    ),
    Case(
        "regions-equal",
        [*SCOPE, "--primary-region", "us-east-1", "--recovery-region", "us-east-1", "--plan"],
        "--recovery-region",
    ),
    Case(
        "region-missing", [*SCOPE, "--recovery-region", "us-west-2", "--plan"], "--primary-region"
    ),
    Case(
        "region-from-env",
        [*SCOPE, "--plan"],
        "--primary-region",
        {"DRSORCH_PRIMARY_REGION": "nowhere-1", "DRSORCH_RECOVERY_REGION": "us-west-2"},
    ),
    # --- accounts: non-empty, 12 digits
    Case("accounts-empty", request("--accounts", ""), "--accounts"),
    Case("accounts-comma", request("--accounts", ","), "--accounts"),
    Case("accounts-11-digits", request("--accounts", "12345678901"), "--accounts"),
    Case("accounts-13-digits", request("--accounts", "1234567890123"), "--accounts"),
    Case("accounts-letters", request("--accounts", "abcdefghijkl"), "--accounts"),
    Case("accounts-short-spoke", request("--accounts", "123456789012,42"), "--accounts"),
    Case(
        "accounts-bad-role",
        request("--accounts", "123456789012,210987654321:bad role"),
        "--accounts",
    ),
    Case("accounts-hub-as-spoke", request("--accounts", "210987654321:role"), "--accounts"),
    # --- scope
    Case(
        "scope-aws-prefix",
        [*REGIONS, "--scope", "aws:cloudformation:stack-name=x", "--plan"],
        "--scope",
    ),
    Case("scope-aws-capitals", [*REGIONS, "--scope", "AWS:x=y", "--plan"], "--scope"),
    Case("scope-no-key", [*REGIONS, "--scope", "=x", "--plan"], "--scope"),
    Case("scope-no-equals", [*REGIONS, "--scope", "app", "--plan"], "--scope"),
    Case("scope-key-too-long", [*REGIONS, "--scope", "k" * 129 + "=v", "--plan"], "--scope"),
    Case("scope-value-too-long", [*REGIONS, "--scope", "k=" + "v" * 257, "--plan"], "--scope"),
    Case(
        "scope-and-servers",
        [*REGIONS, *SCOPE, "--servers", "s-1234567890abcdef0", "--plan"],
        "--scope/--servers",
    ),
    Case("no-scope", [*REGIONS, "--plan"], "--scope/--servers"),
    Case("servers-not-ids", [*REGIONS, "--servers", "web-01", "--plan"], "--servers"),
    Case(
        "servers-twice",
        [*REGIONS, "--servers", "s-1234567890abcdef0,s-1234567890abcdef0", "--plan"],
        "--servers",
    ),
    # --- launch settings, modes, approval
    Case("set-bad-bool", request("--set", "copyTags=perhaps"), "--set"),
    Case("set-bad-enum", request("--set", "rightSizing=HUGE"), "--set"),
    Case("set-no-value", request("--set", "copyTags"), "--set"),
    Case("launch-into-unknown", request("--launch-into", "sometimes"), "--launch-into"),
    Case("drill-into-production", request("--drill", "--launch-into", "required"), "--launch-into"),
    Case("approve-not-hex", [*REGIONS, *SCOPE, "--approve", "nothex"], "--approve"),
    Case("approve-short", [*REGIONS, *SCOPE, "--approve", "abc123"], "--approve"),
    Case("plan-and-approve", request("--approve", HASH), "--plan/--approve"),
    Case("flag-unknown", request("--colour", "blue"), "--colour"),
    # --- the endpoint
    Case("endpoint-not-a-url", request(), "AWS_ENDPOINT_URL", {"AWS_ENDPOINT_URL": "not a url"}),
    Case(
        "endpoint-ftp", request(), "AWS_ENDPOINT_URL", {"AWS_ENDPOINT_URL": "ftp://127.0.0.1:4566"}
    ),
    Case("endpoint-no-host", request(), "AWS_ENDPOINT_URL", {"AWS_ENDPOINT_URL": "http://"}),
    Case(
        "endpoint-bad-port",
        request(),
        "AWS_ENDPOINT_URL",
        {"AWS_ENDPOINT_URL": "http://127.0.0.1:99999"},
    ),
    Case(
        "endpoint-space", request(), "AWS_ENDPOINT_URL", {"AWS_ENDPOINT_URL": "http://exa mple.com"}
    ),
    Case(
        "endpoint-sqs-bad",
        request(),
        "AWS_ENDPOINT_URL_SQS",
        {"AWS_ENDPOINT_URL_SQS": "localhost:4566"},
    ),
]

OTHER_CASES = [
    # --- restore
    Case("restore-bad-id", ["restore", "Not An ID"], "REQUEST_ID"),
    Case("restore-timeout-inf", ["restore", REQUEST, "--timeout", "inf"], "--timeout"),
    Case("restore-timeout-nan", ["restore", REQUEST, "--timeout", "nan"], "--timeout"),
    Case("restore-timeout-zero", ["restore", REQUEST, "--timeout", "0"], "--timeout"),
    Case("restore-timeout-overflow", ["restore", REQUEST, "--timeout", "1e400"], "--timeout"),
    Case("restore-servers-not-ids", ["restore", REQUEST, "--servers", "web-01"], "--servers"),
    Case("restore-endpoint", ["restore", REQUEST], "AWS_ENDPOINT_URL", {"AWS_ENDPOINT_URL": "::"}),
    # --- status
    Case("status-bad-id", ["status", "Not An ID"], "REQUEST_ID"),
    Case("status-timeout-inf", ["status", REQUEST, "--wait", "--timeout", "inf"], "--timeout"),
    Case("status-timeout-negative", ["status", REQUEST, "--timeout", "-5"], "--timeout"),
    Case(
        "status-endpoint", ["status", REQUEST], "AWS_ENDPOINT_URL", {"AWS_ENDPOINT_URL": "http//x"}
    ),
    # --- report
    Case("report-out-missing", ["report", REQUEST, "--out", MISSING], "--out"),
    Case("report-out-a-file", ["report", REQUEST, "--out", "{tmp}/file.txt"], "--out"),
    Case("report-out-unwritable", ["report", REQUEST, "--out", "/proc"], "--out"),
    Case("report-bad-id", ["report", "../../etc/passwd"], "REQUEST_ID"),
    # --- local
    Case("local-port-zero", ["local", "up", "--port", "0", "--no-estate"], "--port"),
    Case("local-port-too-big", ["local", "up", "--port", "70000", "--no-estate"], "--port"),
    Case(
        "local-estate-and-none", ["local", "up", "--estate", "x.yaml", "--no-estate"], "--no-estate"
    ),
    Case(
        "local-estate-missing",
        ["local", "up", "--estate", MISSING + "/e.yaml"],
        "cannot read the file",
    ),
    Case("local-estate-folder", ["local", "up", "--estate", "{tmp}"], "is a folder"),
    Case("local-estate-device", ["local", "up", "--estate", "/dev/zero"], "character device"),
    Case(
        "local-estate-version",
        ["local", "up", "--estate", "{tmp}/v.yaml"],
        "the version is the integer 1",
    ),
]

runner = CliRunner()


@pytest.fixture(autouse=True)
def nowhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Should a value slip through unchecked, the command fails to reach AWS instead.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("DRSORCH_AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("DRSORCH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("DRSORCH_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("COLUMNS", "200")
    (tmp_path / "file.txt").write_text("not a folder\n")
    (tmp_path / "v.yaml").write_text("version: 1.0\nname: x\n")


def invoke(
    case: Case, args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Measured:
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in args]
    result, seconds, peak = in_process(lambda: runner.invoke(app, argv))
    escaped = result.exception is not None and not isinstance(result.exception, SystemExit)
    out = result.output + (f"\nTraceback: {result.exception!r}" if escaped else "")
    return Measured(result.exit_code, out, seconds, peak)


@pytest.mark.parametrize("operation", ["failback", "failover"])
@pytest.mark.parametrize("case", REQUEST_CASES, ids=[case.id for case in REQUEST_CASES])
def test_a_bad_request_flag_is_one_clear_line_before_anything_is_sent(
    operation: str, case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    measured = invoke(case, [operation, *case.args], tmp_path, monkeypatch)
    measured.assert_clear(2, case.named)
    assert not (tmp_path / "no-such-folder").exists()  # never made silently


@pytest.mark.parametrize("case", OTHER_CASES, ids=[case.id for case in OTHER_CASES])
def test_a_bad_argument_of_another_command_is_one_clear_line(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoke(case, case.args, tmp_path, monkeypatch).assert_clear(2, case.named)
    assert not (tmp_path / "no-such-folder").exists()
    assert not (tmp_path / "state").exists()  # no endpoint started, nothing recorded
