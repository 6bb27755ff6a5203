"""Capacity-plan speed over the whole seeded catalog, server side (service call, no HTTP), and report rendering.

usage: python benchmarks/plan_speed.py [--runs 5]
Targets (issue 4): training plan < 300 ms, inference plan < 150 ms, PDF < 2 s. Prints the median wall-clock and
CPU (process) time of each: on a shared machine CPU time is the steadier figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy.orm import Session  # noqa: E402

from app import migrate, reports  # noqa: E402
from app.catalog.seed import seed_if_empty  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.plans import service  # noqa: E402
from app.plans.schemas import PlanCreate  # noqa: E402

TRAINING = {"name": "bench training", "workload": {"kind": "training", "model": "llama-3.1-70b", "tokens": 15e12,
                                                   "deadline_days": 30}}
INFERENCE = {"name": "bench inference", "workload": {
    "kind": "inference", "model": "llama-3.1-70b", "input_tokens": 2000, "output_tokens": 500, "requests_per_s": 50,
    "ttft_ms_max": 1000, "tpot_ms_max": 50}}
TARGETS_S = {"training plan": 0.300, "inference plan": 0.150, "pdf report": 2.0, "xlsx report": 2.0}


def _time(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    """(median wall [s], median CPU [s]) after one warm-up call."""
    fn()
    walls, cpus = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        migrate.upgrade(url)
        engine = make_engine(url)
        with Session(engine) as session, session.begin():
            seed_if_empty(session)
        with Session(engine) as session:
            training, inference = PlanCreate.model_validate(TRAINING), PlanCreate.model_validate(INFERENCE)
            rows = {
                "training plan": _time(lambda: service.compute_result(session=session, request=training), runs),
                "inference plan": _time(lambda: service.compute_result(session=session, request=inference), runs),
            }
            plan = service.create_plan(session=session, request=training, created_by="bench")
            doc = service.plan_document(plan)
            rows["pdf report"] = _time(lambda: reports.render(doc, "pdf"), max(1, runs // 2))
            rows["xlsx report"] = _time(lambda: reports.render(doc, "xlsx"), runs)
            servers = len(doc["catalog_snapshot"]["servers"])
    print(f"{'case':16} {'wall ms':>9} {'cpu ms':>9} {'target ms':>10}   ({servers} candidate servers)")
    for name, (wall, cpu) in rows.items():
        print(f"{name:16} {wall * 1e3:9.0f} {cpu * 1e3:9.0f} {TARGETS_S[name] * 1e3:10.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
