"""Load test: drive a RUNNING RackPlan over loopback and report throughput, latency percentiles and errors.

Scenarios (each bounded by a request count AND a time limit):
  catalog   GET list and item pages of the catalog
  training  POST /api/v1/estimates/training        (skipped if the route answers 404)
  inference POST /api/v1/estimates/inference       (skipped if the route answers 404)
  plans     POST /api/v1/plans                     (skipped if 404; needs --token if plan creation needs a role)

Start the app with PostgreSQL and two workers, then run the benchmark from another shell:

    psql -h 127.0.0.1 -U postgres -c 'create database rackplan_load'
    export RACKPLAN_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/rackplan_load
    export PROMETHEUS_MULTIPROC_DIR=$(mktemp -d)     # optional: /metrics aggregated over both workers
    .venv/bin/uvicorn app.main:app --workers 2 --port 8123 --no-access-log
    .venv/bin/python benchmarks/load.py --base-url http://127.0.0.1:8123 --requests 3000 --concurrency 16

Targets from issue 6 (2-core machine): >= 1,000 catalog reads/s and >= 300 estimates/s, p99 < 100 ms, 0 errors.
The client runs in this process and competes with the server for the same cores: figures are a lower bound.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

TRAIN = {"model": "llama-3.1-8b", "accelerator": "h100-sxm", "gpu_count": 8, "precision": "bf16", "seq_len": 4096,
         "parallelism": {"tp": 1, "pp": 1}}
INFER = {"model": "llama-3.1-70b", "accelerator": "h100-sxm", "gpu_count": 4, "precision": "fp8",
         "input_tokens": 2000, "output_tokens": 500}
PLAN = {"name": "load test", "workload": {"kind": "inference", "model": "llama-3.1-8b", "input_tokens": 1000,
                                          "output_tokens": 200, "requests_per_s": 5}}
CATALOG_PATHS = ("/api/v1/servers?limit=20", "/api/v1/accelerators/h100-sxm", "/api/v1/accelerators?limit=50",
                 "/api/v1/servers?accelerator=h100-sxm&limit=10", "/api/v1/switches?fabric=infiniband")

Request = tuple[str, str, dict[str, Any] | None]  # method, path, JSON body


@dataclass
class Result:
    name: str
    latencies_s: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0

    def percentile_ms(self, q: float) -> float:
        if len(self.latencies_s) < 2:
            return self.latencies_s[0] * 1000 if self.latencies_s else float("nan")
        return statistics.quantiles(self.latencies_s, n=100, method="inclusive")[int(q) - 1] * 1000

    def row(self) -> str:
        n = len(self.latencies_s) + sum(self.errors.values())
        rate = n / self.elapsed_s if self.elapsed_s else 0.0
        errors = sum(self.errors.values())
        detail = f"  {self.errors}" if self.errors else ""
        return (f"{self.name:<10} {n:>7} {rate:>9.0f} {self.percentile_ms(50):>8.1f} {self.percentile_ms(95):>8.1f} "
                f"{self.percentile_ms(99):>8.1f} {errors:>7}{detail}")


async def _worker(client: httpx.AsyncClient, next_request: Callable[[int], Request], counter: list[int],
                  total: int, deadline: float, result: Result) -> None:
    while time.monotonic() < deadline:
        index = counter[0]
        if index >= total:
            return
        counter[0] += 1
        method, path, body = next_request(index)
        start = time.perf_counter()
        try:
            response = await client.request(method, path, json=body)
            ok = response.status_code < 400
            key = str(response.status_code)
        except httpx.HTTPError as exc:
            ok, key = False, type(exc).__name__
        if ok:
            result.latencies_s.append(time.perf_counter() - start)
        else:
            result.errors[key] = result.errors.get(key, 0) + 1


async def run_scenario(client: httpx.AsyncClient, name: str, next_request: Callable[[int], Request], *,
                       total: int, concurrency: int, time_limit_s: float) -> Result:
    """`total` requests (or until `time_limit_s`) from `concurrency` concurrent connections."""
    result, counter = Result(name), [0]
    deadline = time.monotonic() + time_limit_s
    start = time.perf_counter()
    await asyncio.gather(*(_worker(client, next_request, counter, total, deadline, result)
                           for _ in range(concurrency)))
    result.elapsed_s = time.perf_counter() - start
    return result


async def _available(client: httpx.AsyncClient, request: Request) -> tuple[bool, str]:
    method, path, body = request
    response = await client.request(method, path, json=body)
    if response.status_code in (404, 405):
        return False, f"{method} {path} answers {response.status_code}: not built yet"
    if response.status_code >= 400:
        return False, f"{method} {path} answers {response.status_code}: {response.text[:200]}"
    return True, ""


def scenarios() -> dict[str, Callable[[int], Request]]:
    return {
        "catalog": lambda i: ("GET", CATALOG_PATHS[i % len(CATALOG_PATHS)], None),
        "training": lambda i: ("POST", "/api/v1/estimates/training", {**TRAIN, "seq_len": 2048 + 1024 * (i % 3)}),
        "inference": lambda i: ("POST", "/api/v1/estimates/inference", {**INFER, "output_tokens": 400 + i % 200}),
        "plans": lambda i: ("POST", "/api/v1/plans", {**PLAN, "name": f"load test {i}"}),
    }


async def main_async(args: argparse.Namespace) -> int:
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=args.base_url, headers=headers, limits=limits, timeout=30) as client:
        ready = await client.get("/readyz")
        if ready.status_code != 200:
            print(f"{args.base_url} is not ready: {ready.status_code} {ready.text}", file=sys.stderr)
            return 2
        print(f"{'scenario':<10} {'requests':>7} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
        failed = False
        for name, make in scenarios().items():
            if name not in args.only:
                continue
            ok, why = await _available(client, make(0))
            if not ok:
                print(f"{name:<10} skipped: {why}")
                continue
            total = args.plan_requests if name == "plans" else args.requests
            result = await run_scenario(client, name, make, total=total, concurrency=args.concurrency,
                                        time_limit_s=args.time_limit)
            print(result.row(), flush=True)
            failed = failed or bool(result.errors)
    return 1 if failed else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base-url", default="http://127.0.0.1:8123")
    p.add_argument("--requests", type=int, default=3000, help="requests per scenario")
    p.add_argument("--plan-requests", type=int, default=300, help="requests for the plan scenario (heavier)")
    p.add_argument("--concurrency", type=int, default=16, help="concurrent connections")
    p.add_argument("--time-limit", type=float, default=30.0, help="seconds per scenario at most")
    p.add_argument("--token", help="API token sent as Bearer (needed if reads require sign-in or for plans)")
    p.add_argument("--only", nargs="+", default=list(scenarios()), choices=list(scenarios()))
    return p.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main_async(parse_args())))
