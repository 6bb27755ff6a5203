"""Prometheus metrics: HTTP requests and latency (recorded by the middleware) and domain counters.

Other modules count their own work by importing the counters, e.g.::

    from app.metrics import PLAN_COMPUTATIONS
    PLAN_COMPUTATIONS.labels(outcome="ok").inc()

Several workers: prometheus_client keeps one registry per process, so with `--workers N` each scrape would see
one random worker. Set PROMETHEUS_MULTIPROC_DIR to an empty, writable directory (wiped before each start) and
the counters are shared through files in it; /metrics then aggregates every worker (prometheus_client
"multiprocess mode"). The variable must be set before the app is imported, i.e. in the environment of uvicorn.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess as prom_multiprocess
from starlette.requests import Request
from starlette.responses import Response

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

HTTP_REQUESTS = Counter(
    "rackplan_http_requests_total", "HTTP requests served", ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "rackplan_http_request_duration_seconds", "Time to serve an HTTP request [s]", ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
PLAN_COMPUTATIONS = Counter(
    "rackplan_plan_computations_total", "Capacity plans computed", ["outcome"])
ESTIMATES = Counter(
    "rackplan_estimates_total", "Training and inference estimates computed", ["kind", "outcome"])

UNMATCHED_ROUTE = "<unmatched>"


@contextmanager
def counted(counter: Counter, **labels: str) -> Iterator[None]:
    """Count one unit of work with outcome="ok", or outcome="error" when it raises."""
    try:
        yield
    except BaseException:
        counter.labels(**labels, outcome="error").inc()
        raise
    counter.labels(**labels, outcome="ok").inc()


def observe_request(method: str, route: str, status: int, duration_s: float) -> None:
    """Record one served request; `route` is the route template (bounded label set), never the raw path."""
    HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    HTTP_LATENCY.labels(method=method, route=route).observe(duration_s)


def render_latest() -> bytes:
    """The exposition text: this process's registry, or every worker's when multiprocess mode is on."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        prom_multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()


async def metrics_endpoint(_: Request) -> Response:
    """GET /metrics in the Prometheus text format."""
    return Response(render_latest(), media_type=CONTENT_TYPE_LATEST)
