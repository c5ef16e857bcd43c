"""drsorch's timestamp parser gives what botocore's own parser gives, field for field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from botocore.session import get_session
from botocore.utils import parse_timestamp as botocore_parse_timestamp
from hypothesis import given
from hypothesis import strategies as st

from drsorch.runtime.timestamps import parse_timestamp, read_timestamps_fast

FORMS: list[Any] = [
    "2026-12-04T23:40:00Z",
    "2026-12-04T23:40:00.000Z",
    "2026-12-04T23:40:00.1Z",
    "2026-12-04T23:40:00.123456Z",
    "2026-12-04T23:40:00.1234567Z",
    "2026-12-04T23:40:00+00:00",
    "2026-12-04T23:40:00.5+01:30",
    "2026-12-04T23:40:00-05:00",
    "2026-12-04T23:40:00",
    "2026-12-04 23:40:00Z",
    "2026-12-04T23:40:00+0000",
    "2026-12-04",
    "2024-02-29T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "1700000000",
    "1700000000.5",
    1700000000,
    1700000000.25,
    "Fri, 04 Dec 2026 23:40:00 GMT",
]


def _same(ours: datetime, theirs: datetime) -> None:
    assert ours == theirs
    assert repr(ours) == repr(theirs)  # fields and the tzinfo object's kind
    assert type(ours.tzinfo) is type(theirs.tzinfo)
    assert ours.utcoffset() == theirs.utcoffset()
    assert ours.isoformat() == theirs.isoformat()


@pytest.mark.parametrize("value", FORMS)
def test_each_form_reads_as_botocore_reads_it(value: Any) -> None:
    _same(parse_timestamp(value), botocore_parse_timestamp(value))


@pytest.mark.parametrize("value", ["2026-02-30T00:00:00Z", "2026-12-04T24:00:00Z", "not a time"])
def test_what_botocore_refuses_is_refused_the_same(value: str) -> None:
    with pytest.raises(ValueError) as theirs:
        botocore_parse_timestamp(value)
    with pytest.raises(ValueError) as ours:
        parse_timestamp(value)
    assert str(ours.value) == str(theirs.value)


@given(
    moment=st.datetimes(  # naive: the text gets its zone below
        min_value=datetime(1971, 1, 1),  # noqa: DTZ001
        max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    ),
    digits=st.integers(min_value=0, max_value=6),
    offset_minutes=st.sampled_from([None, 0, 60, -300, 330, 840, -720]),
)
def test_any_iso_timestamp_reads_as_botocore_reads_it(
    moment: datetime, digits: int, offset_minutes: int | None
) -> None:
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{moment.microsecond:06d}"[:digits]
    if offset_minutes == 0:
        text += "Z"
    elif offset_minutes is not None:
        zone = timezone(timedelta(minutes=offset_minutes))
        text += datetime(2000, 1, 1, tzinfo=zone).isoformat()[-6:]
    _same(parse_timestamp(text), botocore_parse_timestamp(text))


def test_clients_of_the_session_use_it() -> None:
    session = get_session()
    read_timestamps_fast(session)
    ec2: Any = session.create_client(
        "ec2", region_name="eu-west-3", aws_access_key_id="k", aws_secret_access_key="s"
    )
    parser = ec2._endpoint._response_parser_factory.create_parser("ec2")  # what the client uses
    assert parser._timestamp_parser is parse_timestamp
    assert parse_timestamp("2026-12-04T23:40:00Z") == datetime(2026, 12, 4, 23, 40, tzinfo=UTC)


def test_with_daylight_saving_botocore_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    # dateutil's zone for a suffix may then depend on the date: botocore's parser decides.
    monkeypatch.setattr("time.daylight", 1)
    for value in FORMS:
        _same(parse_timestamp(value), botocore_parse_timestamp(value))
