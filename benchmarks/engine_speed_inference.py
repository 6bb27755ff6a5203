"""Speed of one inference estimate (pure Python, single core).

usage: python benchmarks/engine_speed_inference.py   -> prints mean microseconds per call; exposes report().
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "engine")]

from inference_hardware import ACCELERATORS  # noqa: E402

from app.engine.inference import estimate_inference  # noqa: E402
from app.engine.workload import Precision  # noqa: E402
from app.models_library import get_preset  # noqa: E402

SCENARIOS = [  # (label, preset, accelerator, gpus, precision, in, out, concurrency[, runtime])
    ("llama-3.1-70b fixed concurrency", "llama-3.1-70b", "h100-sxm", 4, "fp8", 1000, 1000, 64),
    ("llama-3.1-70b auto concurrency", "llama-3.1-70b", "h100-sxm", 4, "fp8", 1000, 1000, None),
    ("deepseek-v3 auto concurrency", "deepseek-v3", "h200-sxm", 8, "fp8", 2000, 500, None),
    # custom all-reduce launch grid on every candidate concurrency (TensorRT-LLM 0.9)
    ("falcon-180b auto concurrency, trtllm-0.9", "falcon-180b", "h100-sxm", 8, "fp8", 128, 2048, None, "trtllm-0.9"),
]


def _time_us(fn, repeat: int = 2000) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1e6


def scenario_call(scenario: tuple) -> Callable[[], object]:
    """The estimate a SCENARIOS row describes, as a no-argument call."""
    _, slug, accel, gpus, prec, s_in, s_out, conc, *runtime = scenario
    model, hw, precision = get_preset(slug).shape, ACCELERATORS[accel], Precision(prec)
    return lambda: estimate_inference(model, hw, gpus, precision, s_in, s_out, concurrency=conc,
                                      runtime=runtime[0] if runtime else None)


def report() -> list[dict]:
    return [{"scenario": scenario[0], "microseconds": _time_us(scenario_call(scenario))} for scenario in SCENARIOS]


def main() -> None:
    for row in report():
        print(f"{row['scenario']:36s} {row['microseconds']:8.1f} us per estimate")


if __name__ == "__main__":
    main()
