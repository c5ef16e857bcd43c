"""Admin routes under /_drsorch/drs: settings, faults, clock, call log, reset.

GET    /_drsorch/drs/settings        the EmulatorSettings in force (JSON)
PUT    /_drsorch/drs/settings        replace them (a full EmulatorSettings; omitted fields default)
PATCH  /_drsorch/drs/settings        merge a partial document into them (nested objects merge)
GET    /_drsorch/drs/calls           the call log; ?operation=&account=&since=<seq>
DELETE /_drsorch/drs/calls           empty the call log
POST   /_drsorch/drs/reset           forget all DRS state, calls and scheduled work
GET    /_drsorch/drs/clock           simulated now, scale, next scheduled event
GET    /_drsorch/drs/replicating     source servers replicating per account and region
POST   /_drsorch/drs/clock/advance   {"seconds": N}: move the clock, apply what fell due
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs

from pydantic import ValidationError as SettingsError

from drsorch.local.drs.clock import iso
from drsorch.local.drs.core import Emulator
from drsorch.local.drs.ops_servers import replicating_count
from drsorch.local.drs.settings import EmulatorSettings
from drsorch.local.wsgi import StartResponse, json_response

ADMIN_PATH = "/_drsorch/drs"

Route = Callable[[Emulator, dict[str, Any], Mapping[str, list[str]]], tuple[int, object]]


def merge(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `patch` merged in: nested objects merge, anything else replaces."""
    merged = dict(base)
    for key, value in patch.items():
        current = merged.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            merged[key] = merge(current, value)
        else:
            merged[key] = value
    return merged


def _settings_from(document: object) -> EmulatorSettings | tuple[int, object]:
    try:
        return EmulatorSettings.model_validate(document)
    except SettingsError as error:
        return 400, {"error": "invalid settings", "details": json.loads(error.json())}


def _put_settings(
    emu: Emulator, body: dict[str, Any], query: Mapping[str, list[str]]
) -> tuple[int, object]:
    settings = _settings_from(body)
    if isinstance(settings, tuple):
        return settings
    emu.configure(settings)
    return 200, settings.model_dump(mode="json")


def _patch_settings(
    emu: Emulator, body: dict[str, Any], query: Mapping[str, list[str]]
) -> tuple[int, object]:
    return _put_settings(emu, merge(emu.settings.model_dump(mode="json"), body), query)


def _get_settings(
    emu: Emulator, body: dict[str, Any], query: Mapping[str, list[str]]
) -> tuple[int, object]:
    return 200, emu.settings.model_dump(mode="json")


def _calls(
    emu: Emulator, body: dict[str, Any], query: Mapping[str, list[str]]
) -> tuple[int, object]:
    def first(name: str) -> str | None:
        return query.get(name, [None])[0]

    with emu.lock:
        records = emu.calls.records(
            operation=first("operation"),
            account_id=first("account"),
            since=int(first("since") or 0),
        )
        return 200, {"calls": [record.to_json() for record in records]}


def _clear_calls(
    emu: Emulator, body: dict[str, Any], query: Mapping[str, list[str]]
) -> tuple[int, object]:
    with emu.lock:
        emu.calls.clear()
    return 200, {"calls": []}


def _reset(
    emu: Emulator, body: dict[str, Any], query: Mapping[str, list[str]]
) -> tuple[int, object]:
    emu.reset()
    return 200, {"reset": True, "now": iso(emu.now_ms())}


def _clock(
    emu: Emulator, body: dict[str, Any], query: Mapping[str, list[str]]
) -> tuple[int, object]:
    with emu.lock:
        emu.run_due()
        following = emu.scheduler.next_at()
        return 200, {
            "now": iso(emu.now_ms()),
            "scale": emu.clock.scale,
            "next_event": iso(following) if following is not None else None,
            "scheduled_events": len(emu.scheduler),
        }


def _advance(
    emu: Emulator, body: dict[str, Any], query: Mapping[str, list[str]]
) -> tuple[int, object]:
    seconds = body.get("seconds")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
        return 400, {"error": 'body must be {"seconds": <non-negative number>}'}
    emu.advance(seconds)
    return _clock(emu, body, query)


def _replicating(
    emu: Emulator, body: dict[str, Any], query: Mapping[str, list[str]]
) -> tuple[int, object]:
    """Per account and region, the source servers replicating there as the replication
    quota counts them, as the state stands: an observer's look changes no timing."""
    with emu.lock:
        places = [
            {"account": account, "region": region, "replicating": replicating_count(state)}
            for (account, region), state in sorted(emu.regions.items())
        ]
    return 200, {"places": places}


ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/settings"): _get_settings,
    ("PUT", "/settings"): _put_settings,
    ("PATCH", "/settings"): _patch_settings,
    ("GET", "/calls"): _calls,
    ("DELETE", "/calls"): _clear_calls,
    ("POST", "/reset"): _reset,
    ("GET", "/clock"): _clock,
    ("POST", "/clock/advance"): _advance,
    ("GET", "/replicating"): _replicating,
}


class AdminApp:
    """A WSGI app for the routes above, on one emulator."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))[len(ADMIN_PATH) :] or "/"
        route = ROUTES.get((str(environ.get("REQUEST_METHOD", "GET")), path.rstrip("/") or "/"))
        if route is None:
            return json_response(start_response, 404, {"error": f"no DRS admin route {path}"})
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            return json_response(start_response, 400, {"error": "body is not JSON"})
        if not isinstance(body, dict):
            return json_response(start_response, 400, {"error": "body must be a JSON object"})
        status, answer = route(self.emulator, body, parse_qs(str(environ.get("QUERY_STRING", ""))))
        return json_response(start_response, status, answer)
