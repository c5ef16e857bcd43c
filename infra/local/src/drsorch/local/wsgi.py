"""The few WSGI pieces the endpoint and its plugins share (kept apart so plugins need not
import the server that installs them)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any, Protocol


class StartResponse(Protocol):
    def __call__(self, status: str, headers: list[tuple[str, str]], /) -> object: ...


WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
AdminRoutes = MutableMapping[str, WSGIApp]


def json_response(start_response: StartResponse, status: int, body: object) -> list[bytes]:
    """Answer a WSGI request with a JSON body."""
    data = json.dumps(body).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}
    start_response(
        f"{status} {reason.get(status, 'Status')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]
