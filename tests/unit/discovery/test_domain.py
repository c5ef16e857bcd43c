"""Discovery's pure decisions: tags, scope, waves, DRS durations."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drsorch.discovery.domain import (
    duration_seconds,
    effective_tags,
    name_tag,
    needs_origin_tags,
    selected,
    user_tags,
    wave_of,
)


def test_origin_tags_complete_drs_tags_and_drs_wins_where_both_have_a_key() -> None:
    tags = effective_tags({"Name": "db-01", "app": "shop"}, {"app": "old", "dr:wave": "2"})
    assert tags == {"Name": "db-01", "app": "shop", "dr:wave": "2"}


def test_aws_system_tags_are_dropped_and_at_most_fifty_kept() -> None:
    many = {f"k{i:02d}": "v" for i in range(60)} | {"aws:cloudformation:stack-name": "x"}
    kept = user_tags(many)
    assert len(kept) == 50
    assert not any(key.startswith("aws:") for key in kept)


def test_a_selector_needs_every_tag_and_ids_decide_alone_when_given() -> None:
    tags = {"app": "shop", "tier": "db"}
    assert selected({"app": "shop"}, None, "s-1", tags)
    assert not selected({"app": "shop", "tier": "web"}, None, "s-1", tags)
    assert selected(None, frozenset({"s-1"}), "s-1", {})
    assert not selected({"app": "shop"}, frozenset({"s-2"}), "s-1", tags)


@pytest.mark.parametrize(
    ("text", "wave", "bad"),
    [
        (None, 0, False),
        ("3", 3, False),
        (" 10 ", 10, False),
        ("999", 999, False),
        ("1000", 0, True),
        ("one", 0, True),
        ("-1", 0, True),
        ("²", 0, True),
        ("", 0, True),
    ],
)
def test_the_wave_comes_from_dr_wave_and_a_bad_one_says_why(
    text: str | None, wave: int, bad: bool
) -> None:
    tags = {} if text is None else {"dr:wave": text}
    got, reason = wave_of(tags)
    assert got == wave
    assert (reason is not None) == bad
    if reason:
        assert "dr:wave" in reason


@given(st.integers(0, 5), st.integers(0, 23), st.integers(0, 59), st.integers(0, 59))
def test_iso_durations_read_as_whole_seconds(
    days: int, hours: int, minutes: int, seconds: int
) -> None:
    text = f"P{days}DT{hours}H{minutes}M{seconds}S"
    assert duration_seconds(text) == ((days * 24 + hours) * 60 + minutes) * 60 + seconds


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT0S", 0),
        ("PT12S", 12),
        ("PT2H", 7200),
        ("PT1M30.5S", 90),
        (None, None),
        ("", None),
        ("P", None),
        ("PT", None),
        ("2026-01-01T00:00:00Z", None),
        ("12", None),
    ],
)
def test_unreadable_durations_are_unknown_not_zero(text: str | None, seconds: int | None) -> None:
    assert duration_seconds(text) == seconds


def test_a_blank_name_tag_is_no_name() -> None:
    assert name_tag({"Name": "  "}) is None
    assert name_tag({}) is None
    assert name_tag({"Name": "web-01"}) == "web-01"


@pytest.mark.parametrize(
    ("tags", "ids", "needed"),
    [
        ({"app": "shop", "Name": "a", "dr:wave": "1"}, None, False),  # DRS has it all
        ({"app": "shop"}, None, True),  # selected, but no Name or wave
        ({"Name": "a", "dr:wave": "1"}, None, True),  # the selector key is missing
        ({"app": "other"}, None, False),  # DRS says another app: its value wins
        ({}, frozenset({"s-1"}), True),
        ({"Name": "a", "dr:wave": "1"}, frozenset({"s-1"}), False),
        ({}, frozenset({"s-2"}), False),  # not in scope by ID
    ],
)
def test_origin_tags_are_read_only_where_drs_lacks_a_key_that_matters(
    tags: dict[str, str], ids: frozenset[str] | None, needed: bool
) -> None:
    assert needs_origin_tags({"app": "shop"}, ids, "s-1", tags) is needed
