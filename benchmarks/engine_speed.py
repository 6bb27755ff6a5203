"""Engine speed, single core, pure Python: training (fixed strategy and full search) and inference estimates.

usage: python benchmarks/engine_speed.py [--repeat N]
Targets (issue 3, item 6): one fixed-strategy training estimate < 1 ms; a full strategy search for a 405B model on
16,384 H100 < 50 ms; one inference estimate < 1 ms. Each case runs N times (time.perf_counter around every call)
after one warm-up call; the table shows the median and the best call, and the target is judged on the median.
Inference scenarios come from benchmarks/engine_speed_inference.py (SCENARIOS) when present.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "engine"), str(ROOT / "benchmarks")]

from engine_speed_inference import SCENARIOS, scenario_call  # noqa: E402
from hardware_fixtures import ACCELERATORS  # noqa: E402

from app.engine.parallelism import Strategy  # noqa: E402
from app.engine.strategy import estimate_training  # noqa: E402
from app.engine.workload import Precision  # noqa: E402
from app.models_library import get_preset  # noqa: E402

FIXED_405B = Strategy(tp=8, pp=16, dp=128, cp=1, vp=8, sharding="megatron", recompute="full", micro_batch=1)
BATCH_16M = 16 * 2**20  # Llama 3 405B global batch: 16M tokens (Llama 3 paper, Table 4)
INFERENCE_LIMIT_MS = 1.0


def _shape(slug: str) -> Any:
    preset = get_preset(slug)
    assert preset is not None, slug
    return preset.shape


def time_calls(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, best) of `repeat` timed calls after one warm-up [ms]."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e3, min(samples) * 1e3


def training_cases() -> list[tuple[str, Callable[[], object], float | None]]:
    """(label, call, target ms or None)."""
    h100, h800, bf16 = ACCELERATORS["h100-sxm"], ACCELERATORS["h800-sxm"], Precision("bf16")
    l405, l70, dsv3 = _shape("llama-3.1-405b"), _shape("llama-3.1-70b"), _shape("deepseek-v3")
    return [
        ("training fixed strategy, 405B on 16,384 H100",
         lambda: estimate_training(l405, h100, 16384, bf16, 8192, global_batch_tokens=BATCH_16M, strategy=FIXED_405B),
         1.0),
        ("training search, 405B on 16,384 H100",
         lambda: estimate_training(l405, h100, 16384, bf16, 8192, global_batch_tokens=BATCH_16M), 50.0),
        ("training search, 70B on 1,024 H100", lambda: estimate_training(l70, h100, 1024, bf16, 8192), None),
        ("training search, DeepSeek-V3 on 2,048 H800",
         lambda: estimate_training(dsv3, h800, 2048, Precision("fp8"), 4096), None),
    ]


def inference_cases() -> list[tuple[str, Callable[[], object], float | None]]:
    return [(f"inference {scenario[0]}", scenario_call(scenario), INFERENCE_LIMIT_MS) for scenario in SCENARIOS]


def report(repeat: int = 200) -> list[dict[str, Any]]:
    """One row per case: case, median_ms, best_ms, limit_ms (None = informative), meets (None when no limit)."""
    rows = []
    for label, fn, limit in training_cases() + inference_cases():
        reps = max(5, repeat // 10) if "search" in label else repeat
        median, best = time_calls(fn, reps)
        rows.append({"case": label, "median_ms": median, "best_ms": best, "repeat": reps, "limit_ms": limit,
                     "meets": None if limit is None else median < limit})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="calls per fixed case (searches: a tenth)")
    args = parser.parse_args()
    rows = report(args.repeat)
    print(f"{'case':58s} {'median ms':>10s} {'best ms':>9s} {'calls':>6s}  target")
    for r in rows:
        target = "-" if r["limit_ms"] is None else f"< {r['limit_ms']:g} ms {'MET' if r['meets'] else 'MISSED'}"
        print(f"{r['case']:58s} {r['median_ms']:10.3f} {r['best_ms']:9.3f} {r['repeat']:6d}  {target}")
    missed = [r["case"] for r in rows if r["meets"] is False]
    print("all targets met" if not missed else f"targets missed: {', '.join(missed)}")


if __name__ == "__main__":
    main()
