"""`python -m drsorch.local serve`: what it refuses before it binds anything."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from drsorch.local.__main__ import main
from drsorch.local.serve import EstateSeedError, seed_estate_file


def test_a_build_without_the_estate_loader_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "drsorch.local.estate", None)  # as if never built
    with pytest.raises(EstateSeedError, match=r"--estate .*no estate loader"):
        seed_estate_file(tmp_path / "estate.yaml")


def test_an_estate_that_does_not_load_names_the_file(tmp_path: Path) -> None:
    estate = tmp_path / "estate.yaml"
    estate.write_text("accounts: [not an estate\n")
    with pytest.raises(EstateSeedError, match=str(estate)):
        seed_estate_file(estate)


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_a_bad_port_exits_2(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--port", port])
    assert exited.value.code == 2
    assert "--port" in capsys.readouterr().err
