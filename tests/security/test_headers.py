"""Security headers on every response, request ids, the access log, /metrics and the offline /docs page."""

from __future__ import annotations

import json
import logging
import re

import pytest

from app.logging_setup import ACCESS_LOGGER, JsonFormatter

EXPECTED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/accelerators"), ("GET", "/api/v1/accelerators/no-such-slug"), ("GET", "/no/such/page"),
    ("GET", "/api/v1/servers?limit=100000"), ("POST", "/api/v1/accelerators"), ("GET", "/healthz"),
    ("GET", "/openapi.json"), ("GET", "/metrics"),
])
def test_every_response_carries_the_security_headers(client, method: str, path: str) -> None:
    response = client.request(method, path, json={} if method == "POST" else None)
    for name, value in EXPECTED.items():
        assert response.headers[name] == value, (path, name)
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["default-src"] == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "camera=()" in response.headers["permissions-policy"]


def test_hsts_only_when_cookies_are_secure(client, app) -> None:  # type: ignore[no-untyped-def]
    assert "strict-transport-security" not in client.get("/healthz").headers
    from fastapi.testclient import TestClient

    from app.main import create_app

    secure = create_app(app.state.settings.model_copy(update={"secure_cookies": True}))
    with TestClient(secure) as c:
        assert c.get("/healthz").headers["strict-transport-security"].startswith("max-age=31536000")


def test_docs_work_offline_with_vendored_assets_and_no_inline_script(client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "script-src 'self';" in page.headers["content-security-policy"]
    assert not re.search(r"<script>\s*\S", page.text), "inline script would be blocked by the CSP"
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert urls and all(u.startswith("/") for u in urls), urls  # nothing from a CDN
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200, url
    assert "SwaggerUIBundle" in client.get("/docs-assets/swagger-ui-bundle.js").text[:200_000]
    assert "/openapi.json" in client.get("/docs-assets/init.js").text
    assert client.get("/redoc").status_code == 404


def test_request_id_is_echoed_when_sane_and_replaced_otherwise(client) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123.x"}).headers["x-request-id"] == "abc-123.x"
    for bad in ("has space", "x" * 200, "new\\nline", "<script>"):
        echoed = client.get("/healthz", headers={"X-Request-ID": bad}).headers["x-request-id"]
        assert echoed != bad and re.fullmatch(r"[0-9a-f]{32}", echoed)
    first, second = (client.get("/healthz").headers["x-request-id"] for _ in range(2))
    assert first != second


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_one_json_access_line_per_request_with_request_id_and_principal(client, viewer_headers) -> None:
    handler = _Collect()
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.addHandler(handler)
    try:
        client.get("/api/v1/accelerators/h100-sxm", headers={**viewer_headers, "X-Request-ID": "req-42"})
    finally:
        logger.removeHandler(handler)
    assert len(handler.lines) == 1
    entry = json.loads(handler.lines[0])
    assert entry["request_id"] == "req-42"
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/api/v1/accelerators/h100-sxm", 200)
    assert entry["route"] == "/api/v1/accelerators/{slug}"
    assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
    assert "principal" in entry


def _sample(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_by_route_template_and_expose_domain_counters(client) -> None:
    name = "rackplan_http_requests_total"
    labels = {"method": "GET", "route": "/api/v1/servers/{slug}", "status": "404"}
    before = _sample(client.get("/metrics").text, name, **labels)
    for slug in ("nope-1", "nope-2", "nope-3"):
        assert client.get(f"/api/v1/servers/{slug}").status_code == 404
    text = client.get("/metrics").text
    assert _sample(text, name, **labels) == before + 3
    assert "nope-1" not in text  # raw paths never become labels
    assert 'rackplan_http_request_duration_seconds_bucket{le="0.1",method="GET",route="/api/v1/servers/{slug}"}' \
        in text
    assert "# TYPE rackplan_plan_computations_total counter" in text
    assert "# TYPE rackplan_estimates_total counter" in text
    assert client.get("/metrics").headers["content-type"].startswith("text/plain")


def test_domain_counters_move_with_estimates(client) -> None:
    """An uncached estimate increments rackplan_estimates_total{kind, outcome}."""
    from app.estimates.service import RESULTS

    RESULTS.clear()  # the answer must really be computed (the memo is per process)
    labels = {"kind": "inference", "outcome": "ok"}
    before = _sample(client.get("/metrics").text, "rackplan_estimates_total", **labels)
    body = {"model": "gpt-j-6b", "accelerator": "l40s", "gpu_count": 1, "precision": "fp8",
            "input_tokens": 333, "output_tokens": 77}
    assert client.post("/api/v1/estimates/inference", json=body).status_code == 200
    assert _sample(client.get("/metrics").text, "rackplan_estimates_total", **labels) == before + 1
