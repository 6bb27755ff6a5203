"""Engine speed (training part): one fixed-strategy estimate and a full strategy search, single core.

usage: python benchmarks/engine_speed.py
Targets (issue 3): fixed-strategy estimate < 1 ms; search for a 405B model on 16,384 H100 < 50 ms.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "engine"))

from hardware_fixtures import ACCELERATORS  # noqa: E402

from app.engine.parallelism import Strategy  # noqa: E402
from app.engine.strategy import estimate_training  # noqa: E402
from app.engine.workload import ModelShape, Precision  # noqa: E402

LLAMA3_405B = ModelShape("llama3-405b", 405e9, 126, 16384, 128, 8, 53248, 128256)
LLAMA3_70B = ModelShape("llama3-70b", 70.6e9, 80, 8192, 64, 8, 28672, 128256)
DEEPSEEK_V3 = ModelShape(
    "deepseek-v3", 671e9, 61, 7168, 128, 128, 2048, 129280, active_params=37e9, experts=256, experts_per_token=8
)
FIXED = Strategy(tp=8, pp=16, dp=128, cp=1, vp=8, sharding="megatron", recompute="full", micro_batch=1)


def best_time_ms(fn: Callable[[], object], repeat: int = 20) -> float:
    """Best of `repeat` wall-clock timings [ms] (the usual timeit convention)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def training_timings() -> list[dict[str, object]]:
    h100 = ACCELERATORS["h100-sxm"]
    bf16 = Precision("bf16")
    cases = {
        "fixed strategy, 405B on 16,384 H100": lambda: estimate_training(
            LLAMA3_405B, h100, 16384, bf16, 8192, global_batch_tokens=16 * 2**20, strategy=FIXED
        ),
        "search, 405B on 16,384 H100": lambda: estimate_training(
            LLAMA3_405B, h100, 16384, bf16, 8192, global_batch_tokens=16 * 2**20
        ),
        "search, 70B on 1,024 H100": lambda: estimate_training(LLAMA3_70B, h100, 1024, bf16, 8192),
        "search, DeepSeek-V3 on 2,048 H800": lambda: estimate_training(
            DEEPSEEK_V3, ACCELERATORS["h800-sxm"], 2048, Precision("fp8"), 4096
        ),
    }
    limits = {"fixed strategy, 405B on 16,384 H100": 1.0, "search, 405B on 16,384 H100": 50.0}
    return [{"case": name, "ms": best_time_ms(fn), "limit_ms": limits.get(name)} for name, fn in cases.items()]


def main() -> None:
    for row in training_timings():
        limit = f"(target < {row['limit_ms']} ms)" if row["limit_ms"] else ""
        print(f"training  {row['case']:40s} {row['ms']:8.3f} ms {limit}")


if __name__ == "__main__":
    main()
