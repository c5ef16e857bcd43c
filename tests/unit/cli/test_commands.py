"""The commands' flags, in-process: bad input exits 2 naming the flag, before AWS is asked."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from drsorch.cli.main import app

REGIONS = ["--primary-region", "us-east-1", "--recovery-region", "us-west-2"]
SCOPE = ["--scope", "app=web"]
runner = CliRunner()


@pytest.fixture(autouse=True)
def nowhere(monkeypatch: pytest.MonkeyPatch) -> None:
    # Should a flag slip through unchecked, the command fails to reach AWS instead of reaching it.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("COLUMNS", "200")


@pytest.mark.parametrize("operation", ["failback", "failover"])
@pytest.mark.parametrize(
    ("args", "flag"),
    [
        ([*SCOPE, "--recovery-region", "us-west-2"], "--primary-region"),
        (["--scope", "app", *REGIONS], "--scope"),
        (["--scope", "=x", *REGIONS], "--scope"),
        ([*SCOPE, *REGIONS, "--servers", "s-1"], "--scope/--servers"),
        ([*REGIONS], "--scope/--servers"),
        (["--servers", "s-1,s-2", *REGIONS], "--servers"),
        ([*SCOPE, *REGIONS, "--set", "turbo=on"], "--set"),
        ([*SCOPE, *REGIONS, "--set", "copyTags=perhaps"], "--set"),
        ([*SCOPE, *REGIONS, "--launch-into", "sometimes"], "--launch-into"),
        ([*SCOPE, *REGIONS, "--drill", "--launch-into", "required", "--plan"], "--launch-into"),
        ([*SCOPE, *REGIONS, "--approve", "nothex"], "--approve"),
        ([*SCOPE, *REGIONS, "--plan", "--approve", "a" * 64], "--plan/--approve"),
        ([*SCOPE, *REGIONS, "--accounts", "123", "--plan"], "--accounts"),
        ([*SCOPE, *REGIONS, "--accounts", "123456789012,42:role", "--plan"], "--accounts"),
        ([*SCOPE, *REGIONS, "--timeout", "0", "--plan"], "--timeout"),
        ([*SCOPE, *REGIONS, "--timeout", "soon", "--plan"], "--timeout"),
        (
            [*SCOPE, "--primary-region", "mars-1", "--recovery-region", "us-west-2"],
            "--primary-region",
        ),
        (
            [*SCOPE, "--primary-region", "us-east-1", "--recovery-region", "us-east-1"],
            "--recovery-region",
        ),
        ([*SCOPE, *REGIONS, "--colour", "blue"], "--colour"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(operation: str, args: list[str], flag: str) -> None:
    result = runner.invoke(app, [operation, *args])
    assert result.exit_code == 2, result.output
    assert flag in result.output


def test_an_apply_without_approval_is_refused_with_exit_3() -> None:
    result = runner.invoke(app, ["failback", *REGIONS, *SCOPE, "--wait"])
    assert result.exit_code == 3, result.output
    assert "approval missing" in result.output


def test_the_regions_may_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRSORCH_PRIMARY_REGION", "us-east-1")
    monkeypatch.setenv("DRSORCH_RECOVERY_REGION", "us-west-2")
    result = runner.invoke(app, ["failback", *SCOPE, "--set", "turbo=on"])
    assert result.exit_code == 2  # got past the regions, to the next bad flag
    assert "--set" in result.output


def test_an_unreachable_stack_exits_1_saying_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRSORCH_AWS_MAX_ATTEMPTS", "1")
    result = runner.invoke(app, ["failback", *REGIONS, *SCOPE, "--plan"])
    assert result.exit_code == 1, result.output
    assert "drsorch local up" in result.output


def test_restore_refuses_a_malformed_request_id() -> None:
    result = runner.invoke(app, ["restore", "Not An ID"])
    assert result.exit_code == 2, result.output
    assert "REQUEST_ID" in result.output


def test_help_lists_the_exit_codes() -> None:
    result = runner.invoke(app, ["failback", "--help"])
    assert result.exit_code == 0
    assert "Exit codes" in result.output
