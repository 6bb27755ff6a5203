"""Load test: drive a RUNNING RackPlan over loopback and report throughput, latency percentiles and errors.

Scenarios (each bounded by --duration seconds and --concurrency connections):
  catalog   GET list pages (filters, sorts, offsets) and item pages of every seeded slug
  training  POST /api/v1/estimates/training   (30 distinct bodies: model x accelerator x GPUs x seq_len)
  inference POST /api/v1/estimates/inference  (30 distinct bodies: model x accelerator x tokens x SLO)
  plans     POST /api/v1/plans                (4 workloads on 1-2 candidate servers; needs an editor --token)

Client: `wrk` (C, one or two threads) when it is on PATH, driven by a generated Lua script that rotates over the
scenario's fixed request set; `--client httpx` (or no wrk) uses an in-process asyncio client instead, which
competes with the server for the same cores, so its figures are a lower bound.

Caches: the server keeps rendered catalog reads for RACKPLAN_CATALOG_CACHE_SECONDS (default 2 s) and memoizes
engine answers per identical request body, so a rotation over N distinct requests mostly measures cache hits;
the `distinct` column says how many the rotation covers. `--cold` makes every estimate body unique (training:
`tokens` + a per-request counter; inference: `ttft_ms_max` + counter x 1e-6 ms) so each one runs the engine.

    psql -h 127.0.0.1 -U postgres -c 'create database rackplan_load'
    export RACKPLAN_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/rackplan_load
    .venv/bin/uvicorn app.main:app --workers 2 --port 8123 --no-access-log --log-level warning &
    TOKEN=$(.venv/bin/rackplan token create --name load --role editor | tail -1)
    .venv/bin/python benchmarks/load.py --token "$TOKEN"            # warm: rotations hit the caches
    .venv/bin/python benchmarks/load.py --token "$TOKEN" --cold     # estimates never repeat a body

Targets from issue 6 (2-core machine): >= 1,000 catalog reads/s and >= 300 estimates/s, p99 < 100 ms, 0 errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

COLD = "@@COLD@@"  # placeholder in a body, replaced by base + n * step (n unique per request) in --cold runs
TARGET_RPS = {"catalog": 1000.0, "training": 300.0, "inference": 300.0}  # issue 6 item 5
TARGET_P99_MS = 100.0  # issue 6 item 5
KINDS = ("servers", "accelerators", "switches", "storage-systems", "rack-profiles")
MODELS = ("llama-3.1-8b", "llama-3.1-70b", "mixtral-8x7b", "gpt-j-6b", "llama-2-13b", "llama-2-7b")
ACCELERATORS = ("h100-sxm", "a100-sxm-80gb", "b200", "h200-sxm", "mi300x")
FP8 = {"h100-sxm", "b200", "h200-sxm", "mi300x"}


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    body: str | None = None  # JSON text; may hold COLD
    cold: tuple[float, float] = (0.0, 0.0)  # base, step of the COLD number

    def materialize(self, n: int) -> str | None:
        if self.body is None or COLD not in self.body:
            return self.body
        base, step = self.cold
        return self.body.replace(COLD, f"{base + n * step:.6f}")


def _json(body: dict[str, object], cold_key: str | None) -> tuple[str, tuple[float, float]]:
    """JSON text; with cold_key, that field becomes COLD (its value the base) for --cold runs."""
    if cold_key is None:
        return json.dumps(body, separators=(",", ":")), (0.0, 0.0)
    base = float(body[cold_key])  # type: ignore[arg-type]
    text = json.dumps({**body, cold_key: COLD}, separators=(",", ":")).replace(f'"{COLD}"', COLD)
    return text, (base, 1.0 if cold_key == "tokens" else 1e-6)


def catalog_requests(slugs: dict[str, list[str]]) -> list[Req]:
    lists = ["servers?limit=20", "servers?limit=200", "servers?limit=10&offset=10", "servers?limit=10&offset=20",
             "servers?min_gpus=8", "servers?cooling=liquid", "servers?cooling=air&sort=-max_power_w",
             "servers?vendor=Dell", "servers?vendor=Supermicro&sort=-list_price_usd", "servers?q=h100",
             "servers?q=nvl&limit=5", "servers?sort=-gpu_count&limit=10", "servers?sort=weight_kg&offset=5",
             "accelerators?limit=50", "accelerators?sort=-bf16_tflops", "accelerators?sort=memory_gb&limit=5",
             "accelerators?vendor=NVIDIA", "accelerators?vendor=AMD", "accelerators?q=h200",
             "accelerators?limit=5&offset=5", "switches?fabric=infiniband", "switches?fabric=ethernet",
             "switches?sort=-port_gbit_s", "storage-systems", "storage-systems?sort=-read_gbyte_s",
             "rack-profiles?cooling=liquid", "rack-profiles?sort=power_kw"]
    lists += [f"servers?accelerator={a}" for a in slugs.get("accelerators", [])]
    items = [f"{kind}/{slug}" for kind in KINDS for slug in slugs.get(kind, [])]
    return [Req("GET", f"/api/v1/{p}") for p in lists + items]


def training_requests(cold: bool) -> list[Req]:
    reqs = []
    for i in range(30):  # 6 models x 5 accelerators, coprime strides: 30 distinct pairs
        model, acc = MODELS[i % 6], ACCELERATORS[i % 5]
        gpus = (64, 128, 256, 512, 1024)[i // 6] if "70b" in model else (8, 16, 64, 256, 1024)[i // 6]
        body: dict[str, object] = {"model": model, "accelerator": acc, "gpu_count": gpus,
                                   "seq_len": (2048, 4096, 8192)[i % 3], "tokens": (1 + i % 4) * 5e11,
                                   "precision": "fp8" if i % 4 == 3 and acc in FP8 else "bf16"}
        if i % 3 == 0:  # a third fix the layout; the rest let the engine search it (the default in the UI)
            body["parallelism"] = {"tp": 8, "pp": 1}
        text, base_step = _json(body, "tokens" if cold else None)
        reqs.append(Req("POST", "/api/v1/estimates/training", text, base_step))
    return reqs


def inference_requests(cold: bool) -> list[Req]:
    shapes = ((2000, 500), (128, 128), (1000, 200), (8000, 256), (512, 1024))
    reqs = []
    for i in range(30):
        model, acc = MODELS[(i + 1) % 6], ACCELERATORS[i % 5]
        big = "70b" in model
        inp, out = shapes[(i // 5) % 5]
        body: dict[str, object] = {"model": model, "accelerator": acc, "gpu_count": 8 if big else (1, 2, 4)[i % 3],
                                   "precision": "fp8" if acc in FP8 and i % 2 else "bf16", "input_tokens": inp,
                                   "output_tokens": out, "ttft_ms_max": (500.0, 1000.0, 2000.0, 5000.0)[i % 4],
                                   "tpot_ms_max": (50.0, 100.0)[i % 2]}
        text, base_step = _json(body, "ttft_ms_max" if cold else None)
        reqs.append(Req("POST", "/api/v1/estimates/inference", text, base_step))
    return reqs


def plan_requests() -> list[Req]:
    workloads = [
        ({"kind": "inference", "model": "llama-3.1-8b", "input_tokens": 1000, "output_tokens": 200,
          "requests_per_s": 5}, ["nvidia-dgx-h100", "dell-xe9680-mi300x"]),
        ({"kind": "inference", "model": "llama-3.1-70b", "precision": "fp8", "input_tokens": 2000,
          "output_tokens": 500, "requests_per_s": 20}, ["nvidia-dgx-h200", "nvidia-dgx-b200"]),
        ({"kind": "training", "model": "llama-3.1-8b", "tokens": 1e12, "gpu_count": 64},
         ["nvidia-dgx-h100", "nvidia-dgx-a100"]),
        ({"kind": "training", "model": "gpt-j-6b", "tokens": 4e11, "gpu_count": 32}, ["nvidia-dgx-h100"]),
    ]
    return [Req("POST", "/api/v1/plans", json.dumps({"name": f"load test {i}", "workload": w, "candidates": c}))
            for i, (w, c) in enumerate(workloads)]


def build_scenarios(slugs: dict[str, list[str]], cold: bool) -> dict[str, list[Req]]:
    return {"catalog": catalog_requests(slugs), "training": training_requests(cold),
            "inference": inference_requests(cold), "plans": plan_requests()}


@dataclass
class Result:
    name: str
    client: str
    distinct: str
    requests: int = 0
    duration_s: float = 0.0
    p50_ms: float = float("nan")
    p95_ms: float = float("nan")
    p99_ms: float = float("nan")
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    def verdict(self) -> str:
        target = TARGET_RPS.get(self.name)
        if target is None:
            return "-"
        ok = self.rate >= target and self.p99_ms < TARGET_P99_MS and not sum(self.errors.values())
        return "meets" if ok else "MISSES"

    def row(self) -> str:
        errors = sum(self.errors.values())
        detail = f"  {self.errors}" if errors else ""
        return (f"{self.name:<10} {self.client:<6} {self.distinct:>8} {self.requests:>8} {self.rate:>8.0f} "
                f"{self.p50_ms:>7.1f} {self.p95_ms:>7.1f} {self.p99_ms:>7.1f} {errors:>6}  {self.verdict()}{detail}")


HEADER = (f"{'scenario':<10} {'client':<6} {'distinct':>8} {'requests':>8} {'req/s':>8} {'p50 ms':>7} "
          f"{'p95 ms':>7} {'p99 ms':>7} {'errors':>6}  target")

LUA = """-- generated by benchmarks/load.py: rotate over a fixed request set
local reqs = {
%s
}
local threads_total = %d
local headers = %s
local counter = 1
function setup(thread) thread:set("tid", counter); counter = counter + 1 end
function init(args) n = 0 end
function request()
  local k = n * threads_total + (tid or 1) - 1
  n = n + 1
  local r = reqs[(k %% #reqs) + 1]
  local body = r[3]
  if body ~= nil and r[4] ~= nil then
    body = string.gsub(body, "@@COLD@@", string.format("%%.6f", r[4] + (%d + k) * r[5]))
  end
  return wrk.format(r[1], r[2], body and headers or nil, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests":%%d,"duration_us":%%d,"connect":%%d,"read":%%d,"write":%%d,' ..
    '"status":%%d,"timeout":%%d,"p50_us":%%d,"p95_us":%%d,"p99_us":%%d}\\n', summary.requests, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(95),
    latency:percentile(99)))
end
"""


def _lua_str(text: str) -> str:
    return "[==[" + text + "]==]"


def lua_script(reqs: list[Req], threads: int, token: str | None, salt: int) -> str:
    rows = []
    for r in reqs:
        cold = f", {r.cold[0]!r}, {r.cold[1]!r}" if r.body and COLD in r.body else ""
        body = _lua_str(r.body) if r.body is not None else "nil"
        rows.append(f"  {{{_lua_str(r.method)}, {_lua_str(r.path)}, {body}{cold}}},")
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    lua_headers = "{" + ", ".join(f'["{k}"] = {_lua_str(v)}' for k, v in headers.items()) + "}"
    return LUA % ("\n".join(rows), threads, lua_headers, salt)


def run_wrk(name: str, reqs: list[Req], args: argparse.Namespace, distinct: str) -> Result:
    salt = random.randrange(1, 10_000) * 10_000_000  # cold bodies never repeat an earlier run's
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua_script(reqs, args.threads, args.token, salt))
    cmd = ["wrk", "-t", str(args.threads), "-c", str(max(args.concurrency, args.threads)), "-d",
           f"{args.duration:g}s", "--timeout", "5s", "-s", f.name, args.base_url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    Path(f.name).unlink()
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary: {out.stdout}\n{out.stderr}")
    d = json.loads(line.removeprefix("WRK_JSON "))
    errors = {k: d[k] for k in ("connect", "read", "write", "status", "timeout") if d[k]}
    errors = {("non-2xx/3xx" if k == "status" else k): v for k, v in errors.items()}
    # wrk's summary.requests counts every completed response, non-2xx included; report the successful ones
    ok = d["requests"] - errors.get("non-2xx/3xx", 0)
    return Result(name, "wrk", distinct, ok, d["duration_us"] / 1e6, d["p50_us"] / 1000, d["p95_us"] / 1000,
                  d["p99_us"] / 1000, errors)


async def _httpx_worker(client: httpx.AsyncClient, reqs: list[Req], counter: list[int], total: int,
                        deadline: float, latencies: list[float], errors: dict[str, int]) -> None:
    while time.monotonic() < deadline and counter[0] < total:
        n = counter[0]
        counter[0] += 1
        r = reqs[n % len(reqs)]
        start = time.perf_counter()
        try:
            response = await client.request(r.method, r.path, content=r.materialize(n))
            ok, key = response.status_code < 400, str(response.status_code)
        except httpx.HTTPError as exc:
            ok, key = False, type(exc).__name__
        if ok:
            latencies.append(time.perf_counter() - start)
        else:
            errors[key] = errors.get(key, 0) + 1


async def run_httpx(name: str, reqs: list[Req], args: argparse.Namespace, distinct: str) -> Result:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    counter, deadline = [0], time.monotonic() + args.duration
    async with _client(args) as client:
        start = time.perf_counter()
        await asyncio.gather(*(_httpx_worker(client, reqs, counter, args.requests, deadline, latencies, errors)
                               for _ in range(args.concurrency)))
        elapsed = time.perf_counter() - start
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q / 100 * len(latencies)))] * 1000 if latencies else float("nan")

    return Result(name, "httpx", distinct, len(latencies), elapsed, pct(50), pct(95), pct(99), errors)


def _client(args: argparse.Namespace) -> httpx.AsyncClient:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {args.token}"} if args.token else {})}
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    return httpx.AsyncClient(base_url=args.base_url, headers=headers, limits=limits, timeout=30)


async def discover(args: argparse.Namespace) -> dict[str, list[str]]:
    """Seeded slugs per catalog kind, read from the running app."""
    async with _client(args) as client:
        ready = await client.get("/readyz")
        if ready.status_code != 200:
            raise RuntimeError(f"{args.base_url} is not ready: {ready.status_code} {ready.text}")
        slugs = {}
        for kind in KINDS:
            page = await client.get(f"/api/v1/{kind}", params={"limit": 200})
            page.raise_for_status()
            slugs[kind] = [item["slug"] for item in page.json()["items"]]
        return slugs


async def preflight(name: str, reqs: list[Req], args: argparse.Namespace) -> str:
    """'' when every distinct request (plans: the first) answers 2xx, else why the scenario is skipped."""
    async with _client(args) as client:
        for r in reqs[:1] if name == "plans" else list(dict.fromkeys(reqs)):
            response = await client.request(r.method, r.path, content=r.materialize(0))
            if response.status_code >= 400:
                return f"{r.method} {r.path} answers {response.status_code}: {response.text[:300]} body={r.body}"
    return ""


async def main_async(args: argparse.Namespace) -> int:
    slugs = await discover(args)
    use_wrk = args.client == "wrk" and shutil.which("wrk") is not None
    if args.client == "wrk" and not use_wrk:
        print("wrk is not on PATH: falling back to the in-process httpx client (figures are a lower bound)")
    client = f"wrk, {args.threads} thread(s)" if use_wrk else "httpx"
    print(f"{args.duration:g} s per scenario, {args.concurrency} connections, {client}, "
          f"estimates {'COLD (every body unique)' if args.cold else 'warm (fixed rotation)'}")
    print(HEADER)
    failed = False
    for name, reqs in build_scenarios(slugs, args.cold).items():
        if name not in args.only:
            continue
        why = await preflight(name, reqs, args)
        if why:
            print(f"{name:<10} skipped: {why}")
            failed = True
            continue
        cold = args.cold and name in ("training", "inference")
        distinct = "unique" if cold else str(len(set(reqs)))
        result = run_wrk(name, reqs, args, distinct) if use_wrk else await run_httpx(name, reqs, args, distinct)
        print(result.row(), flush=True)
        failed = failed or bool(result.errors)
    return 1 if failed else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base-url", default="http://127.0.0.1:8123")
    p.add_argument("--client", choices=("wrk", "httpx"), default="wrk", help="wrk if on PATH (default), else httpx")
    p.add_argument("--duration", type=float, default=10.0, help="seconds per scenario")
    p.add_argument("--concurrency", type=int, default=16, help="concurrent connections")
    p.add_argument("--threads", type=int, default=1, choices=(1, 2), help="wrk threads")
    p.add_argument("--requests", type=int, default=100_000, help="httpx client only: cap per scenario")
    p.add_argument("--cold", action="store_true", help="make every estimate body unique (defeats the memo)")
    p.add_argument("--token", help="API token sent as Bearer (an editor token is needed for plans)")
    p.add_argument("--only", nargs="+", default=["catalog", "training", "inference", "plans"],
                   choices=["catalog", "training", "inference", "plans"])
    return p.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main_async(parse_args())))
