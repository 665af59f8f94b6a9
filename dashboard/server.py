"""The public server: Streamlit's `st.App` running dashboard/app.py under uvicorn, with
Kezek's own routes (`GET /healthz`, and the HTTP API `/api/v1/…`) beside the pages.

`kezek serve` calls `serve(home, host, port)`. Several processes may serve one home behind
a proxy: each opens the published snapshot read-only.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import BaseRoute, Route

from dashboard import api, context, feeds, light_page, open_data_routes
from engine import settings
from engine.store import SnapshotUnavailable

SCRIPT = Path(__file__).with_name("app.py")

# Settings for a public site. Streamlit reads STREAMLIT_* variables only through its own
# command line, so they are set here, in the process, before the app is built.
SETTINGS: dict[str, object] = {
    "server.headless": True,
    "server.fileWatcherType": "none",  # never re-run code because a file changed
    "server.runOnSave": False,
    "server.allowRunOnSave": False,
    "server.maxUploadSize": 1,  # MB; the dashboard takes no uploads
    "server.maxMessageSize": 50,  # MB; the national register is a few MB
    "server.maxWidgetStateSize": 2,  # MB sent by a browser per rerun; our widgets are tiny
    "server.enableStaticServing": False,
    "server.enableXsrfProtection": True,
    "server.enableCORS": True,
    "server.enableAgentApi": False,
    "server.scriptHealthCheckEnabled": False,
    "server.showEmailPrompt": False,
    "client.showErrorDetails": "none",  # tracebacks go to the log, never to visitors
    "client.showErrorLinks": False,
    "client.toolbarMode": "viewer",
    "browser.gatherUsageStats": False,
    "global.developmentMode": False,
    "runner.magicEnabled": False,
}


def configure(host: str = "127.0.0.1", port: int = 8501) -> None:
    """Apply SETTINGS (and the address) to Streamlit's process-wide configuration."""
    from streamlit import config

    for key, value in {**SETTINGS, "server.address": host, "server.port": port}.items():
        config.set_option(key, value)


# Judging a newly published snapshot (opening it, reading a row of each table) is blocking
# work; health checks do it here, in a thread of their own, never in the pool that API
# requests and open-data builds may have filled.
_judge = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kezek-health")


async def health(home: str | Path | None = None) -> JSONResponse:
    """200 with the published snapshot when it can be read, else 503 (interfaces.md).

    Answered on the event loop from the reader's verdict on the published snapshot (taken
    once per snapshot: its meta and the first row of every table read), so that a load
    balancer's check is answered at once however busy the request threads are. Only when
    the pointer has changed since the last look does it wait for the reader to look."""
    headers = {"Cache-Control": "no-store"}
    try:
        reader = context.reader(home)
        publication = reader.judged()
        if publication is None:
            publication = await asyncio.get_running_loop().run_in_executor(_judge, reader.publication)
    except SnapshotUnavailable:
        return JSONResponse({"status": "unavailable"}, status_code=503, headers=headers)
    return JSONResponse(
        {"status": "ok", "snapshot": publication.snapshot, "published_at": publication.published_at},
        headers=headers,
    )


def routes(home: str | Path) -> list[BaseRoute]:
    """Kezek's own routes, served beside the pages: /healthz, the HTTP API (/api/v1), the
    open-data files of the published snapshots (/open-data) and the light pages (/n/)."""
    async def healthz(request: Request) -> JSONResponse:
        return await health(home)

    return [Route("/healthz", healthz, methods=["GET"]), *api.routes(home), *open_data_routes.routes(home),
            *feeds.routes(home), *light_page.routes(home)]


# Kezek's own paths. Their requests go straight to a small Starlette app of Kezek's routes,
# past the dashboard's middleware (its sessions, cookies and path checks are for pages):
# on allocation days the API answers tens of thousands of lookups.
OWN_PATHS = ("/api/", "/healthz", "/open-data/", "/n/", "/feeds/")


def build_app(home: str | Path, extra_routes: Sequence[BaseRoute] = ()):
    """The ASGI app: the dashboard pages plus /healthz, /api/v1 and /open-data (plus
    `extra_routes`, served beside the pages).

    The pages find the home in KEZEK_HOME, set here before anything starts.
    """
    import streamlit as st
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.gzip import GZipMiddleware

    home = Path(home).resolve()
    os.environ["KEZEK_HOME"] = str(home)
    own = routes(home)
    pages = st.App(SCRIPT, routes=[*own, *extra_routes])
    kezek = Starlette(routes=own, middleware=[Middleware(GZipMiddleware, minimum_size=1000)],
                      exception_handlers={Exception: internal_error})

    async def app(scope, receive, send):
        if scope["type"] in ("http", "websocket") and (refusal := refused(scope)) is not None:
            status, text = refusal
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1009})
                return
            await PlainTextResponse(text, status_code=status, headers={"Connection": "close"})(scope, receive, send)
        elif scope["type"] == "http" and scope["path"].startswith(OWN_PATHS):
            await kezek(scope, receive, send)
        else:  # the pages, their WebSocket and the server's lifespan
            await pages(scope, receive, send)

    return app


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    """An unforeseen failure in Kezek's own routes answers in the API's error style, not
    Starlette's plain text; the traceback still goes to the log."""
    return JSONResponse({"error": "internal"}, status_code=500, headers={"Cache-Control": "no-store"})


# A public server refuses what no page or API call sends: long addresses, large headers,
# and request bodies (Kezek takes no uploads; the pages talk over their WebSocket).
MAX_TARGET = 8 * 1024  # bytes of path and query
MAX_HEADERS = 16 * 1024  # bytes of all headers
MAX_BODY = 64 * 1024  # bytes a request may announce


def refused(scope) -> tuple[int, str] | None:
    """(status, text) when a request is refused before any work, else None."""
    target = len(scope.get("raw_path") or scope["path"].encode()) + len(scope.get("query_string") or b"")
    if target > MAX_TARGET:
        return 414, "URI Too Long"
    headers = scope.get("headers") or []
    if sum(len(k) + len(v) for k, v in headers) > MAX_HEADERS:
        return 431, "Request Header Fields Too Large"
    for key, value in headers:
        if key == b"content-length" and (not value.isdigit() or int(value) > MAX_BODY):
            return 413, "Content Too Large"
        if key == b"transfer-encoding":
            return 413, "Content Too Large"
    return None


# Seconds a client has to send a request's line and headers, counted from the start of the
# request (from the connection's opening for the first one). uvicorn has a keep-alive timeout
# but none for headers, so a client sending them a byte at a time could hold a connection
# for as long as it liked. KEZEK_HEADER_TIMEOUT sets it (engine/settings.py, default 10).
log = logging.getLogger("kezek.server")


def header_timeout() -> float:
    return settings.number("KEZEK_HEADER_TIMEOUT")


def http_protocol():
    """uvicorn's HTTP/1.1 protocol (httptools) with two changes for a public server: a
    request whose headers have not all arrived within header_timeout() seconds is dropped,
    and a client that closes its connection before its answer is written costs one line in
    the log, not the traceback of uvicorn writing onto the closed connection."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    timeout = header_timeout()

    class Protocol(HttpToolsProtocol):
        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self.header_timer = self.loop.call_later(timeout, self.headers_too_slow)
            self.client_gone = False

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if self.header_timer is None:  # the next request on a kept-alive connection
                self.header_timer = self.loop.call_later(timeout, self.headers_too_slow)

        def on_headers_complete(self) -> None:
            self.stop_header_timer()
            super().on_headers_complete()

        def connection_lost(self, exc) -> None:
            self.stop_header_timer()
            super().connection_lost(exc)

        def stop_header_timer(self) -> None:
            if self.header_timer is not None:
                self.header_timer.cancel()
                self.header_timer = None

        def headers_too_slow(self) -> None:
            self.header_timer = None
            if not self.transport.is_closing():
                self.transport.close()

        def _start_asgi_task(self, cycle, app) -> None:
            # uvicorn learns that the peer has gone one turn of the loop after the transport
            # closed; a write in between raises. Mark the cycle disconnected first: uvicorn's
            # send then drops the answer quietly, as it does once it knows.
            send = cycle.send

            async def send_unless_gone(message) -> None:
                if not cycle.disconnected and self.transport.is_closing():
                    self.gone(cycle)
                try:
                    await send(message)
                except (RuntimeError, OSError):
                    if not self.transport.is_closing():
                        raise
                    self.gone(cycle)

            cycle.send = send_unless_gone
            super()._start_asgi_task(cycle, app)

        def gone(self, cycle) -> None:
            cycle.disconnected = True
            if not self.client_gone:  # one line per connection, however many requests it sent
                self.client_gone = True
                # The route's template, not the path: a path may hold an application number.
                route = getattr(cycle.scope.get("route"), "path", None) or "(no route)"
                log.warning("A client closed its connection before the answer to %s %s was sent",
                            cycle.scope["method"], route)

    return Protocol


def serve(home: str | Path, host: str = "127.0.0.1", port: int = 8501,
          extra_routes: Sequence[BaseRoute] = ()) -> None:
    """Serve the dashboard until interrupted (SIGINT/SIGTERM). Raises settings.BadSetting
    before anything starts when a setting of the environment cannot be used."""
    import uvicorn

    from dashboard.api.routes import api_threads

    header_timeout(), api_threads()  # checked now, not at the first request
    configure(host, port)
    app = build_app(home, extra_routes)
    try:  # Streamlit's own WebSocket settings (message size, pings), as `streamlit run` uses
        from streamlit.web.server.starlette.starlette_server import _get_uvicorn_config_kwargs

        options = _get_uvicorn_config_kwargs()
    except ImportError:  # pragma: no cover - a Streamlit without it
        options = {"ws_max_size": int(SETTINGS["server.maxMessageSize"]) * 1024 * 1024}
    options.update(access_log=False, server_header=False, proxy_headers=True, http=http_protocol())
    print(f"Kezek dashboard on http://{host}:{port}/ (home: {Path(home).resolve()}); "
          "health at /healthz, API at /api/v1/openapi.json", flush=True)
    uvicorn.Server(uvicorn.Config(app, host=host, port=port, **options)).run()
