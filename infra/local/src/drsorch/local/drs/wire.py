"""The DRS wire protocol inside moto's server: routing, parsing and answering rest-json.

moto routes a request by its SigV4 credential scope to a backend named in
`DomainDispatcherApplication.backend_url_patterns`; moto 5.2.5 has no `drs` entry.
`install` prepends one and registers a Flask app whose only view dispatches to
`DrsResponse`, a moto `BaseResponse`: moto then resolves the operation from botocore's
model (method and path, `/tags/{resourceArn}` percent-decoded), parses the body,
and resolves the caller's account from the access key (assumed-role keys included).
moto has no plugin system, so `tests/unit/local_drs/test_moto_hook.py` pins this.
"""

from __future__ import annotations

import json
import re
from collections.abc import MutableMapping
from typing import Any

from flask import Flask
from moto.core.responses import BaseResponse
from moto.core.utils import convert_to_flask_response
from moto.moto_server.werkzeug_app import BackendRequest, DomainDispatcherApplication

from drsorch.local.drs import api
from drsorch.local.drs.emulator import default_emulator
from drsorch.local.drs.errors import ValidationError
from drsorch.local.iam_enforce import authorize, drs_resources

DRS_BACKEND = "drs"
DRS_HOST_PATTERN = re.compile(r"https?://drs\.(.+)\.amazonaws\.com")
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request")
_HTTP_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]

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


def create_app() -> Flask:
    """The Flask app moto's dispatcher hands DRS requests to."""
    app = Flask("drsorch.local.drs")
    app.request_class = BackendRequest
    view = convert_to_flask_response(DrsResponse.dispatch)
    app.add_url_rule("/", endpoint="drs_root", view_func=view, methods=_HTTP_METHODS)
    app.add_url_rule("/<path:path>", endpoint="drs", view_func=view, methods=_HTTP_METHODS)
    return app


def register(dispatcher: DomainDispatcherApplication) -> None:
    """Route requests signed for `drs` to the emulator (idempotent)."""
    patterns = [entry for entry in dispatcher.backend_url_patterns if entry[0] != DRS_BACKEND]
    # A new list: moto's module-level pattern list stays untouched for other dispatchers.
    dispatcher.backend_url_patterns = [(DRS_BACKEND, DRS_HOST_PATTERN), *patterns]
    dispatcher.app_instances[DRS_BACKEND] = create_app()


def install(dispatcher: DomainDispatcherApplication, admin: MutableMapping[str, Any]) -> None:
    """The local endpoint's plugin: DRS on the same port, admin routes under /_drsorch/drs."""
    from drsorch.local.drs.admin import ADMIN_PATH, AdminApp  # noqa: PLC0415

    register(dispatcher)
    admin[ADMIN_PATH] = AdminApp(default_emulator())
