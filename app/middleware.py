"""HTTP hardening and observability, as plain ASGI middleware (no per-request task or body buffering).

- `SecurityHeadersMiddleware`: CSP without inline script, nosniff, frame denial, referrer and permissions policy.
- `BodyLimitMiddleware`: 413 problem details when Content-Length, or the bytes actually streamed, exceed the limit
  (a larger limit for catalog imports).
- `ObservabilityMiddleware`: request id (X-Request-ID), one JSON access-log line and Prometheus metrics per request.
- `/docs`: Swagger UI served from vendored assets (static/vendor/swagger), so it works offline under the strict CSP.

`install_middleware(app, settings)` wires all of it; FastAPI's own /docs and /redoc must be off (docs_url=None).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterable

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import metrics
from app.config import PROJECT_ROOT, Settings
from app.errors import problem_response
from app.logging_setup import ACCESS_LOGGER, configure_logging, request_id_var

# CSP level 3 (W3C): nothing inline, nothing from other origins; data: images for small icons only.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
       "base-uri 'self'; form-action 'self'")
# Swagger UI sets style attributes from JavaScript; scripts stay 'self' only.
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
HSTS = "max-age=31536000; includeSubDomains"  # one year, sent only when cookies are Secure (behind TLS)
UPLOAD_PATHS = ("/api/v1/catalog/import", "/catalog/import")
DOCS_PATH, DOCS_ASSETS = "/docs", "/docs-assets"
REQUEST_ID_HEADER = "x-request-id"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@-]{1,128}")

access_log = logging.getLogger(ACCESS_LOGGER)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    def headers_for(self, path: str) -> list[tuple[bytes, bytes]]:
        csp = DOCS_CSP if path == DOCS_PATH else CSP
        pairs = [("content-security-policy", csp), ("x-content-type-options", "nosniff"),
                 ("x-frame-options", "DENY"), ("referrer-policy", "same-origin"),
                 ("permissions-policy", PERMISSIONS_POLICY), ("cross-origin-opener-policy", "same-origin")]
        if self.hsts:
            pairs.append(("strict-transport-security", HSTS))
        return [(k.encode(), v.encode()) for k, v in pairs]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.headers_for(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(StarletteHTTPException):
    """Raised from `receive` when a streamed body passes the limit; FastAPI re-raises HTTP exceptions as they are."""

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(413, f"the request body is larger than the {limit_bytes} bytes accepted here")


class BodyLimitMiddleware:
    """Rejects bodies over the limit: from Content-Length up front, else by counting streamed (chunked) bytes."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int,
                 upload_paths: Iterable[str] = UPLOAD_PATHS) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes
        self.upload_paths = tuple(upload_paths)

    def limit_for(self, path: str) -> int:
        return self.max_upload_bytes if path.startswith(self.upload_paths) else self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_413(scope, receive, send, limit)
            return
        await self._guarded(scope, receive, send, limit)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await _send_413(scope, receive, send, limit)


async def _send_413(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    detail = f"the request body is larger than the {limit} bytes accepted here"
    response = problem_response(413, "Payload too large", detail, headers={"Connection": "close"})
    await response(scope, receive, send)


def _route_template(scope: Scope, status: int) -> str:
    """The matched route's template (e.g. /api/v1/servers/{slug}); mounts as prefix/*; unmatched otherwise."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    root = scope.get("root_path", "")
    if scope.get("app_root_path") is not None and root:
        return f"{root}/*"
    return metrics.UNMATCHED_ROUTE if status == 404 else "<other>"


def _request_id(scope: Scope) -> str:
    supplied = _header(scope, b"x-request-id")
    if supplied and _SANE_REQUEST_ID.fullmatch(supplied):
        return supplied
    return uuid.uuid4().hex


class ObservabilityMiddleware:
    """Request id in, request id out; an access-log line and metrics for every HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        token = request_id_var.set(request_id)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 500
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _record(scope, status, time.perf_counter() - start, request_id)
            request_id_var.reset(token)


def _record(scope: Scope, status: int, duration_s: float, request_id: str) -> None:
    route = _route_template(scope, status)
    metrics.observe_request(scope["method"], route, status, duration_s)
    principal = getattr(scope.get("state", {}).get("principal"), "name", None)
    access_log.info("%s %s %d", scope["method"], scope["path"], status, extra={
        "method": scope["method"], "path": scope["path"], "route": route, "status": status,
        "duration_ms": round(duration_s * 1000, 2), "principal": principal})


DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>RackPlan API</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css"><link rel="icon" href="{assets}/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script><script src="{assets}/init.js"></script></body></html>
"""
DOCS_INIT_JS = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({url: "%s", dom_id: "#swagger-ui", deepLinking: true});
});
"""


def install_docs(app: FastAPI) -> None:
    """Serve Swagger UI at /docs from vendored files; the initialisation script is a file too (CSP: no inline)."""
    assets_dir = PROJECT_ROOT / "static" / "vendor" / "swagger"
    openapi_url = app.openapi_url or "/openapi.json"

    async def docs_page() -> HTMLResponse:
        return HTMLResponse(DOCS_HTML.format(assets=DOCS_ASSETS))

    async def docs_init() -> Response:
        return Response(DOCS_INIT_JS % openapi_url, media_type="text/javascript")

    app.add_api_route(DOCS_PATH, docs_page, methods=["GET"], include_in_schema=False)
    app.add_api_route(f"{DOCS_ASSETS}/init.js", docs_init, methods=["GET"], include_in_schema=False)
    app.mount(DOCS_ASSETS, StaticFiles(directory=assets_dir, check_dir=False), name="docs-assets")


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Logging, security headers, body limits, request ids, access log, /metrics and offline /docs.

    Middleware added last runs first: observability wraps everything so 413s and errors are logged and counted.
    """
    configure_logging(settings)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes,
                       max_upload_bytes=settings.max_upload_bytes)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.secure_cookies)
    app.add_middleware(ObservabilityMiddleware)
    app.add_api_route("/metrics", metrics.metrics_endpoint, methods=["GET"], include_in_schema=False)
    if app.docs_url is None:
        install_docs(app)
