"""AWS answers' timestamps read without dateutil, as botocore's own parser reads them.

botocore parses every timestamp of an answer (an EC2 instance has several) with
`dateutil.parser.parse`, about 40 µs each: a third of the client's work reading a
DescribeInstances of hundreds of instances. The ISO 8601 forms AWS writes
(`2026-12-04T23:40:00.000Z`, `+01:00`, or no zone) are read here with
`datetime.fromisoformat`. The time zone object is the one botocore gives for the same
suffix: asked of botocore once per suffix and reused. That is exact only while the
machine's local zone has a fixed offset (`time.daylight == 0`, as on Lambda): dateutil
may answer `tzlocal()` for a UTC suffix, and with daylight saving its choice would
depend on the date. Otherwise, and for any other form (epoch numbers, RFC 822, ...),
botocore's parser answers.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, tzinfo
from typing import Any, Final

from botocore.utils import parse_timestamp as botocore_parse_timestamp

_ISO: Final = re.compile(
    r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)(Z|[+-]\d{2}:\d{2})?\Z"
)
_REFERENCE_DAYS: Final = ("2001-01-15T12:00:00", "2001-07-15T12:00:00")
_SLOW: Final = object()  # a suffix whose zone botocore does not give the same on every day
_ZONES: dict[str, object] = {}


def parse_timestamp(value: Any) -> datetime:
    """`value` as botocore's default parser gives it: same instant, fields and tzinfo."""
    if isinstance(value, str) and not time.daylight:
        match = _ISO.match(value)
        if match is not None:
            zone = _zone(match.group(2) or "")
            if zone is not _SLOW:
                try:
                    return datetime.fromisoformat(match.group(1)).replace(tzinfo=zone)  # type: ignore[arg-type]
                except ValueError:
                    pass  # not a date (2026-02-30, 24:00): botocore says what it says
    result: datetime = botocore_parse_timestamp(value)
    return result


def _zone(suffix: str) -> object:
    zone = _ZONES.get(suffix)
    if zone is None and suffix not in _ZONES:
        seen: list[tzinfo | None] = [
            botocore_parse_timestamp(day + suffix).tzinfo for day in _REFERENCE_DAYS
        ]
        same = all(type(z) is type(seen[0]) and z == seen[0] for z in seen)
        zone = seen[0] if same else _SLOW
        if len(_ZONES) < 1_000:  # a few suffixes in practice; a bound all the same
            _ZONES[suffix] = zone
    return zone


def read_timestamps_fast(session: Any) -> None:
    """Make the clients `session` creates from now on parse timestamps with `parse_timestamp`."""
    session.get_component("response_parser_factory").set_parser_defaults(
        timestamp_parser=parse_timestamp
    )
