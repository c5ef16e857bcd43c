"""The DRS wire protocol inside moto's server: routing, parsing and answering rest-json.

moto routes a request by its SigV4 credential scope to a backend named in
`DomainDispatcherApplication.backend_url_patterns`; moto 5.2.5 has no `drs` entry.
`install` prepends one and registers a WSGI app that dispatches to `DrsResponse`, a
moto `BaseResponse`: moto then resolves the operation from botocore's
model (method and path, `/tags/{resourceArn}` percent-decoded), parses the body,
and resolves the caller's account from the access key (assumed-role keys included).
moto has no plugin system, so `tests/unit/local_drs/test_moto_hook.py` pins this.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, MutableMapping
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError
from moto.core.responses import BaseResponse
from moto.moto_server.werkzeug_app import BackendRequest, DomainDispatcherApplication
from werkzeug.wrappers import Response

from drsorch.local.drs import api
from drsorch.local.drs.emulator import default_emulator
from drsorch.local.drs.errors import ValidationError
from drsorch.local.iam_enforce import authorize, drs_resources
from drsorch.local.wsgi import StartResponse, WSGIApp

if TYPE_CHECKING:
    from wsgiref.types import StartResponse as WsgiStartResponse

    from flask import Flask

DRS_BACKEND = "drs"
DRS_HOST_PATTERN = re.compile(r"https?://drs\.(.+)\.amazonaws\.com")
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request")

Triple = tuple[int, dict[str, str], str]


def signed_region(authorization: str | None) -> str | None:
    """The region of a SigV4 Authorization header's credential scope."""
    match = _SCOPE.search(authorization or "")
    return match.group("region") if match else None


def render(reply: api.Reply) -> Triple:
    """A reply as moto's (status, headers, body) triple."""
    headers = {"Content-Type": "application/json", **reply.headers}
    body = "" if reply.body is None or reply.status == 204 else json.dumps(reply.body)
    return reply.status, headers, body


class DrsResponse(BaseResponse):
    """moto's request plumbing, answering with drsorch's DRS emulator."""

    def __init__(self) -> None:
        super().__init__(service_name=DRS_BACKEND)
        self.automated_parameter_parsing = True

    def _get_action(self) -> str:
        # moto matches the method and path against every route of DRS's model each time
        # it is asked for the operation, three times a request; once is enough.
        action: str | None = self.__dict__.get("_drsorch_action")
        if action is None:
            action = self.__dict__["_drsorch_action"] = super()._get_action()
        return action

    def _dispatch(self, request: Any, full_url: str | None = None, headers: Any = None) -> Triple:
        try:
            self.setup_class(request, full_url, headers)
            if self.body:
                json.loads(self.body)  # moto's parser lets a broken body through as {}
        except Exception:  # noqa: BLE001 - an unparseable request is the caller's error
            error = ValidationError("The request could not be parsed", reason="cannotParse")
            return render(api.Reply(error.status, error.body(), error.headers()))
        operation: str | None = self._get_action()
        params: dict[str, Any] = dict(getattr(self, "params", None) or {})
        region = signed_region(self.headers.get("Authorization")) or str(self.region)
        account = str(self.current_account)
        # moto's IAM evaluation of the caller's policies (a no-op until enforcement is on).
        denied = authorize(self, drs_resources(operation, params, account, region))
        call = api.ApiCall(operation, account, region, params, denied=denied)
        return render(api.handle(default_emulator(), call))


def create_app() -> WSGIApp:
    """The WSGI app moto's dispatcher hands DRS requests to: moto's request plumbing
    (`DrsResponse`, a `BaseResponse`) as moto's own Flask view would call it, without a
    Flask app around it (its context and routing were a quarter of a DRS call's time)."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request = BackendRequest(environ)
        try:
            status, headers, body = DrsResponse.dispatch(
                request, request.raw_url, dict(request.headers)
            )
        except ClientError as exc:  # as moto's `convert_to_flask_response`
            status, headers, body = 400, {}, exc.response["Error"]["Message"]
        response = Response(response=body, status=status, headers=headers)
        return response(environ, cast("WsgiStartResponse", start_response))

    return app


def register(dispatcher: DomainDispatcherApplication) -> None:
    """Route requests signed for `drs` to the emulator (idempotent)."""
    patterns = [entry for entry in dispatcher.backend_url_patterns if entry[0] != DRS_BACKEND]
    # A new list: moto's module-level pattern list stays untouched for other dispatchers.
    dispatcher.backend_url_patterns = [(DRS_BACKEND, DRS_HOST_PATTERN), *patterns]
    # moto calls what it finds here as a WSGI app, whatever its annotation says.
    dispatcher.app_instances[DRS_BACKEND] = cast("Flask", create_app())


def install(dispatcher: DomainDispatcherApplication, admin: MutableMapping[str, Any]) -> None:
    """The local endpoint's plugin: DRS on the same port, admin routes under /_drsorch/drs."""
    from drsorch.local.drs import runner  # noqa: PLC0415
    from drsorch.local.drs.admin import ADMIN_PATH, AdminApp  # noqa: PLC0415

    register(dispatcher)
    admin[ADMIN_PATH] = AdminApp(default_emulator())
    runner.start(default_emulator())
