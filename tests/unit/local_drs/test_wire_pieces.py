"""Clock formats, paging tokens, model-driven validation, settings: the small pure parts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError as SettingsError

from drsorch.local.drs import model, validation
from drsorch.local.drs.bootstrap import SETTINGS_VARIABLE, settings_from_environment
from drsorch.local.drs.clock import SimClock, iso, iso_duration, parse_iso
from drsorch.local.drs.errors import ValidationError
from drsorch.local.drs.paging import page
from drsorch.local.drs.settings import ClockSettings, EmulatorSettings, Paging
from unit.local_drs.fakes import HandClock

MS = st.integers(min_value=0, max_value=4_102_444_800_000)  # up to 2100


@given(MS, MS)
def test_timestamps_are_fixed_width_z_strings_that_sort_like_time(a: int, b: int) -> None:
    assert len(iso(a)) == len(iso(b)) == 24
    assert iso(a).endswith("Z")
    assert (iso(a) < iso(b)) == (a < b)
    assert parse_iso(iso(a)) == a


def test_durations() -> None:
    assert [iso_duration(s) for s in (0, 12, 90, 3723, 90_000)] == [
        "PT0S",
        "PT12S",
        "PT1M30S",
        "PT1H2M3S",
        "P1DT1H",
    ]


def test_the_simulated_clock_scales_advances_and_rescales_without_jumps() -> None:
    real = HandClock()
    clock = SimClock(ClockSettings(scale=60), real)
    start = clock.now_ms()
    real.now += 1
    assert clock.now_ms() - start == 60_000
    clock.advance(30)
    assert clock.now_ms() - start == 90_000
    clock.rescale(0)
    real.now += 100
    assert clock.now_ms() - start == 90_000
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)


@given(st.integers(min_value=0, max_value=60), st.integers(min_value=1, max_value=15))
def test_paging_visits_every_item_once_with_distinct_tokens(count: int, size: int) -> None:
    items = list(range(count))
    seen: list[int] = []
    tokens: list[str] = []
    params: dict[str, object] = {"maxResults": size}
    while True:
        chunk, token = page(items, params, Paging(), "scope")
        seen += chunk
        if token is None:
            break
        tokens.append(token)
        params = {"maxResults": size, "nextToken": token}
    assert seen == items
    assert len(set(tokens)) == len(tokens)


def test_a_token_only_works_for_its_own_scope() -> None:
    _, token = page(list(range(5)), {"maxResults": 2}, Paging(), "servers")
    assert token is not None
    with pytest.raises(ValidationError):
        page(list(range(5)), {"nextToken": token}, Paging(), "jobs")


def test_model_driven_validation_names_each_bad_member() -> None:
    shape = model.operation("StartRecovery")
    assert shape is not None
    params = {"sourceServers": [{"sourceServerID": "s-short"}] * 201, "isDrill": "yes"}
    problems = dict(validation.validate(shape.input_shape, params))
    assert problems["sourceServers"] == "length must be at most 200"
    assert "pattern" in problems["sourceServers[0].sourceServerID"]
    assert problems["isDrill"] == "must be a boolean"
    update = model.operation("UpdateLaunchConfiguration")
    assert update is not None
    bad = {"sourceServerID": "s-12345678901234567", "launchDisposition": "SOON", "copyTags": 1}
    assert {name for name, _ in validation.validate(update.input_shape, bad)} == {
        "launchDisposition",
        "copyTags",
    }


def test_settings_defaults_are_drs_quotas_and_round_trip_as_json() -> None:
    settings = EmulatorSettings()
    quotas = settings.quotas
    assert (quotas.servers_per_job, quotas.concurrent_jobs, quotas.servers_in_active_jobs) == (
        100,
        20,
        500,
    )
    assert quotas.replicating_servers == 300
    assert EmulatorSettings.model_validate_json(settings.model_dump_json()) == settings
    with pytest.raises(SettingsError):
        EmulatorSettings.model_validate(
            {"timings": {"launch": {"min_seconds": 9, "max_seconds": 1}}}
        )
    with pytest.raises(SettingsError):
        EmulatorSettings.model_validate({"clokc": {}})


def test_start_up_settings_come_from_the_environment(tmp_path: Path) -> None:
    assert settings_from_environment({}) == EmulatorSettings()
    inline = settings_from_environment({SETTINGS_VARIABLE: '{"seed": 5, "clock": {"scale": 0}}'})
    assert (inline.seed, inline.clock.scale) == (5, 0)
    document = tmp_path / "drs.yaml"
    document.write_text(
        "quotas:\n  concurrent_jobs: 3\nfaults:\n  servers:\n    web-1: {stall_replication: true}\n"
    )
    from_file = settings_from_environment({SETTINGS_VARIABLE: str(document)})
    assert from_file.quotas.concurrent_jobs == 3
    assert from_file.faults.servers["web-1"].stall_replication is True
