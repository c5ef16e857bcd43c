"""The version 3 requests, frozen as they were published (before the failback slot options).

The options are those of v2 (`v2.requests.RequestOptions`), unchanged until v4.

A v3 request reads as a v4 one with no slot limit and the default assumed sync time.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from drsorch.contracts.events import requests
from drsorch.contracts.events.v2.requests import RequestOptions


class RequestSpec(requests.RequestSpec):
    """Everything a request asks for. Carried forward unchanged by the events that follow it."""

    options: RequestOptions = RequestOptions()  # type: ignore[assignment]


class FailbackRequested(requests.FailbackRequested):
    """An operator or an alarm asks to fail the servers in scope back to the primary region."""

    event_version: ClassVar[int] = 3
    operation: ClassVar[Literal["failback"]] = "failback"

    spec: RequestSpec


class FailoverRequested(requests.FailoverRequested):
    """An operator or an alarm asks to fail the servers in scope over to the recovery region."""

    event_version: ClassVar[int] = 3
    operation: ClassVar[Literal["failover"]] = "failover"

    spec: RequestSpec
