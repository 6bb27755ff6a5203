"""Speed of one inference estimate (pure Python, single core).

usage: python benchmarks/engine_speed_inference.py   -> prints mean microseconds per call; exposes report().
"""

from __future__ import annotations

import sys
import time
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


def report() -> list[dict]:
    rows = []
    for label, slug, accel, gpus, prec, s_in, s_out, conc, *runtime in SCENARIOS:
        model, hw, precision = get_preset(slug).shape, ACCELERATORS[accel], Precision(prec)

        def call(model=model, hw=hw, gpus=gpus, precision=precision, s_in=s_in, s_out=s_out, conc=conc,
                 runtime=runtime[0] if runtime else None):
            return estimate_inference(model, hw, gpus, precision, s_in, s_out, concurrency=conc, runtime=runtime)

        rows.append({"scenario": label, "microseconds": _time_us(call)})
    return rows


def main() -> None:
    for row in report():
        print(f"{row['scenario']:36s} {row['microseconds']:8.1f} us per estimate")


if __name__ == "__main__":
    main()
