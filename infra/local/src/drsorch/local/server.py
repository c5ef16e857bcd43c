"""The local AWS endpoint: moto's server and drsorch's own routes on one port.

Requests are dispatched by moto's `DomainDispatcherApplication` (by the SigV4
credential scope), except paths under `/_drsorch/`, which are drsorch's admin
routes (health, and what plugins add). A plugin is a function that receives the
dispatcher and the admin route table; the DRS emulator is installed that way, so
requests signed for `drs` reach it while everything else reaches moto.
"""

from __future__ import annotations

import logging
import threading
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from drsorch.local.wsgi import AdminRoutes, StartResponse, WSGIApp, json_response

ADMIN_PREFIX = "/_drsorch"
_WERKZEUG_LOG = logging.getLogger("werkzeug")
Plugin = Callable[[DomainDispatcherApplication, AdminRoutes], None]


def _health(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    return json_response(start_response, 200, {"status": "ok"})


class EndpointApp:
    """The WSGI application: admin routes by longest prefix, else moto's dispatcher."""

    def __init__(self, plugins: Sequence[Plugin] = ()) -> None:
        self.dispatcher = DomainDispatcherApplication(create_backend_app)
        self.admin: dict[str, WSGIApp] = {f"{ADMIN_PREFIX}/health": _health}
        for plugin in plugins:
            plugin(self.dispatcher, self.admin)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith(ADMIN_PREFIX):
            for prefix in sorted(self.admin, key=len, reverse=True):
                if path == prefix or path.startswith(prefix + "/"):
                    return self.admin[prefix](environ, start_response)
            return json_response(start_response, 404, {"error": f"no admin route {path}"})
        result: Iterable[bytes] = self.dispatcher(environ, start_response)
        return result


def default_plugins() -> list[Plugin]:
    """The plugins a local endpoint runs with: everything drsorch adds to moto."""
    from drsorch.local.alarms import install as install_alarms  # noqa: PLC0415

    plugins: list[Plugin] = [install_alarms]
    try:
        from drsorch.local.drs import install as install_drs  # noqa: PLC0415
    except ImportError:  # the emulator is not built yet
        pass
    else:
        plugins.append(install_drs)
    from drsorch.local.sts_guard import install as install_sts_guard  # noqa: PLC0415

    plugins.append(install_sts_guard)
    from drsorch.local.kms_keys import install as install_kms_keys  # noqa: PLC0415

    plugins.append(install_kms_keys)
    from drsorch.local.iam_enforce import install as install_iam  # noqa: PLC0415

    plugins.append(install_iam)
    from drsorch.local.sqs_timers import install as install_sqs_timers  # noqa: PLC0415

    plugins.append(install_sqs_timers)
    from drsorch.local.moto_speed import install as install_moto_speed  # noqa: PLC0415

    plugins.append(install_moto_speed)
    return plugins


class _RequestHandler(MotoRequestHandler):
    """moto's handler, without formatting an access-log line nobody will see.

    werkzeug builds each line (decoding the path, formatting the date) before its logger
    drops it; at thousands of requests a second that was a twentieth of a benchmark's time.
    """

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # werkzeug sets a logger with no level to INFO, then logs: so does this.
        if _WERKZEUG_LOG.level == logging.NOTSET or _WERKZEUG_LOG.isEnabledFor(logging.INFO):
            super().log_request(code, size)


class LocalEndpoint:
    """The endpoint served from a background thread (tests, and `drsorch local` serve)."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 4566, plugins: Sequence[Plugin] | None = None
    ) -> None:
        self.app = EndpointApp(default_plugins() if plugins is None else plugins)
        self._server: BaseWSGIServer = make_server(
            host, port, self.app, threaded=True, request_handler=_RequestHandler
        )
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LocalEndpoint:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="drsorch-local-endpoint", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def reset(self) -> None:
        """Forget every stack, queue, table, instance and DRS server, as a fresh start would."""
        reset_state(self.url)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)


RESET_PATHS = ("/moto-api/reset", "/_drsorch/drs/reset")
RESET_SECONDS = 60


def reset_state(url: str) -> None:
    """Empty moto's state and the DRS emulator's on the endpoint at `url` (the process's
    backends are shared by every endpoint it serves, so one run must not see another's)."""
    if not url.startswith("http://"):
        raise ValueError(f"not a local endpoint URL: {url!r}")
    for path in RESET_PATHS:
        request = urllib.request.Request(f"{url}{path}", method="POST")  # noqa: S310 - http, checked
        # Forgetting a large state on a busy machine (two test processes beside other
        # work on 2 cores) took over 10 s; a reset is rare, a false failure is not cheap.
        with urllib.request.urlopen(request, timeout=RESET_SECONDS):  # noqa: S310 - raises unless 2xx
            pass
