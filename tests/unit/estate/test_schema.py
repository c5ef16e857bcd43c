"""The committed JSON Schema is the generated one, it accepts the examples, and the CLI works."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]  # no stubs are published for it
import pytest
import yaml

from drsorch.local.estate import estates_dir
from drsorch.local.estate.__main__ import main
from drsorch.local.estate.schema import estate_schema

SCHEMA_PATH = estates_dir() / "estate.schema.json"


def test_the_committed_schema_is_the_generated_one() -> None:
    committed = json.loads(SCHEMA_PATH.read_text())
    assert committed == estate_schema(), (
        "regenerate: python -m drsorch.local.estate schema > infra/local/estates/estate.schema.json"
    )


@pytest.mark.parametrize("path", sorted(estates_dir().glob("*.yaml")), ids=lambda p: p.name)
def test_the_schema_accepts_every_example(path: Path) -> None:
    jsonschema.validate(yaml.safe_load(path.read_text()), estate_schema())


def test_the_schema_rejects_an_unknown_key() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"name": "x", "accounts": [{"kind": "hub", "sevrers": []}]}, estate_schema()
        )


def test_schema_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == estate_schema()


def test_check_prints_every_problem_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nphase: later\naccounts:\n  - kind: hub\n    severs: []\n")
    good = estates_dir() / "small.yaml"
    assert main(["check", str(good), str(bad)]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{good}: ok, 6 servers; 123456789012 (hub): 6"
    assert out[1] == f"{bad}: 2 problems"
    assert out[2].endswith("phase: Input should be 'protected' or 'failed_over' (got 'later')")
    assert out[3].endswith("accounts[0].severs: unknown key 'severs' (did you mean 'servers'?)")


def test_check_exits_0_when_every_file_is_fine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(estates_dir() / "thousand.yaml")]) == 0
    assert "ok, 1000 servers" in capsys.readouterr().out


def test_seed_refuses_a_broken_file_before_touching_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\naccounts: []\n")
    assert main(["seed", str(bad)]) == 2
    assert "accounts: List should have at least 1 item" in capsys.readouterr().out
