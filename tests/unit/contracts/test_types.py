"""The constrained types hold their bounds for any input, not just the examples."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from drsorch.contracts import types

TAGS = TypeAdapter(types.TagMap)
keys = st.text(min_size=1, max_size=128)
values = st.text(max_size=256)


@given(st.dictionaries(keys, values, max_size=types.MAX_TAGS))
def test_any_tag_map_within_the_limits_is_accepted(tags: dict[str, str]) -> None:
    assert TAGS.validate_python(tags) == tags


@given(st.dictionaries(keys, values, min_size=types.MAX_TAGS + 1, max_size=types.MAX_TAGS + 10))
def test_more_than_fifty_tags_are_refused(tags: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="at most 50 items"):
        TAGS.validate_python(tags)


@given(st.one_of(st.just(""), st.text(min_size=129, max_size=200)))
def test_a_tag_key_out_of_bounds_is_refused(key: str) -> None:
    with pytest.raises(ValidationError):
        TAGS.validate_python({key: "v"})


@given(st.text(min_size=257, max_size=300))
def test_a_tag_value_out_of_bounds_is_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        TAGS.validate_python({"k": value})


@given(st.from_regex(r"^s-[0-9a-zA-Z]{17}$", fullmatch=True))
def test_every_drs_shaped_source_server_id_is_accepted(server_id: str) -> None:
    assert TypeAdapter(types.SourceServerId).validate_python(server_id) == server_id


@given(st.text(max_size=30))
def test_a_source_server_id_is_accepted_exactly_when_it_has_the_drs_shape(text: str) -> None:
    shaped = re.fullmatch(r"s-[0-9a-zA-Z]{17}", text) is not None
    try:
        TypeAdapter(types.SourceServerId).validate_python(text)
    except ValidationError:
        assert not shaped
    else:
        assert shaped


@given(st.tuples(*[st.integers(0, 255)] * 4))
def test_every_dotted_quad_is_an_ipv4_address(octets: tuple[int, int, int, int]) -> None:
    address = ".".join(map(str, octets))
    assert TypeAdapter(types.IPv4).validate_python(address) == address


@pytest.mark.parametrize("bad", ["256.0.0.1", "10.0.0", "10.0.0.01", "10.0.0.1 ", "::1"])
def test_malformed_ipv4_addresses_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(types.IPv4).validate_python(bad)


@pytest.mark.parametrize(
    ("annotation", "good", "bad"),
    [
        (types.AccountId, "111122223333", "11112222333"),
        (types.JobId, "drsjob-1234567890abcdef0", "job-1234567890abcdef0"),
        (types.RecoveryInstanceId, "i-0123456789ABCDEF0", "i-0123456"),
        (types.SubnetId, "subnet-0123abcd", "subnet-xyz"),
        (types.AvailabilityZone, "us-west-2-lax-1a", "us-west-2"),
        (types.PlanHash, "f" * 64, "F" * 64),
        (types.Wave, 999, 1000),
    ],
)
def test_ids_and_bounds(annotation: Any, good: object, bad: object) -> None:
    adapter: TypeAdapter[object] = TypeAdapter(annotation)
    assert adapter.validate_python(good) == good
    with pytest.raises(ValidationError):
        adapter.validate_python(bad)
