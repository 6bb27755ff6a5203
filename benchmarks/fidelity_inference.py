"""Inference fidelity: predicted vs published serving measurements (tests/fidelity/inference_cases.json).

usage: python benchmarks/fidelity_inference.py [--fit]
  prints each case and the median / p90 absolute percentage error per metric, on fit and holdout cases.
  --fit re-runs the coordinate-descent fit of InferenceCalibration on the "fit" cases only and prints it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "engine")]

from inference_hardware import ACCELERATORS  # noqa: E402

from app.engine.inference import estimate_inference  # noqa: E402
from app.engine.inference_memory import VLLM_RUNTIME  # noqa: E402
from app.engine.inference_timing import CALIBRATION, InferenceCalibration  # noqa: E402
from app.engine.workload import ModelShape, Precision  # noqa: E402

CASES_PATH = ROOT / "tests" / "fidelity" / "inference_cases.json"
RUNTIMES = {"vllm": VLLM_RUNTIME}


def load_cases() -> list[dict]:
    return json.loads(CASES_PATH.read_text())["cases"]


def predict(case: dict, cal: InferenceCalibration | None = None) -> dict[str, float]:
    req = case["request"]
    model = ModelShape(**req["model"])
    est = estimate_inference(
        model, ACCELERATORS[req["accelerator"]], req["gpu_count"], Precision(req["precision"]),
        req["input_tokens"], req["output_tokens"], concurrency=req.get("concurrency"),
        runtime=RUNTIMES.get(case.get("runtime", "")), calibration=cal,
    )
    return {"output_tokens_per_s": est.output_tokens_per_s, "ttft_ms": est.ttft_ms}


def report(cal: InferenceCalibration | None = None) -> list[dict]:
    """One row per (case, metric): id, split, metric, measured, predicted, error_pct (signed)."""
    rows = []
    for case in load_cases():
        pred = predict(case, cal)
        for metric, truth in case["measured"].items():
            err = (pred[metric] - truth) / truth * 100
            rows.append({"id": case["id"], "split": case["split"], "metric": metric, "measured": truth,
                         "predicted": pred[metric], "error_pct": err})
    return rows


def summary(rows: list[dict]) -> dict[tuple[str, str], tuple[int, float, float]]:
    """(split, metric) -> (n, median APE %, p90 APE %), p90 as the nearest-rank value used by score_estimates."""
    out = {}
    for key in sorted({(r["split"], r["metric"]) for r in rows}):
        apes = sorted(abs(r["error_pct"]) for r in rows if (r["split"], r["metric"]) == key)
        out[key] = (len(apes), statistics.median(apes), apes[min(len(apes) - 1, int(0.9 * len(apes)))])
    return out


def _loss(cal: InferenceCalibration, cases: list[dict]) -> float:
    total = 0.0
    for case in cases:
        pred = predict(case, cal)
        for metric, truth in case["measured"].items():
            total += min(math.log(pred[metric] / truth) ** 2, 1.0)
    return total


def _with(cal: InferenceCalibration, name: str, value: float) -> InferenceCalibration:
    if name.startswith("eff_"):
        effs = dict(cal.gemm_eff_max, **{name[4:]: value})
        return dataclasses.replace(cal, gemm_eff_max=effs)
    return dataclasses.replace(cal, **{name: value})


def _get(cal: InferenceCalibration, name: str) -> float:
    return cal.gemm_eff_max[name[4:]] if name.startswith("eff_") else getattr(cal, name)


FIT_PARAMS = ("eff_bf16", "eff_fp8", "eff_fp4", "gemm_half_tokens", "hbm_eff_weights", "hbm_eff_kv",
              "attention_eff_scale", "moe_eff_scale", "step_overhead_s", "layer_overhead_s", "allreduce_latency_s",
              "decode_nonoverlap", "prefill_overhead_s", "min_tile_tokens")


def fit(rounds: int = 8) -> InferenceCalibration:
    """Coordinate descent on multiplicative steps, minimizing clipped squared log error on fit cases."""
    cases = [c for c in load_cases() if c["split"] == "fit" and "runtime" not in c]
    cal, best = CALIBRATION, _loss(CALIBRATION, cases)
    for r in range(rounds):
        for name in FIT_PARAMS:
            for factor in (1.25, 0.8, 1.08, 0.926) if r < 3 else (1.04, 0.96, 1.015, 0.985):
                value = _get(cal, name) * factor if _get(cal, name) else 0.05
                if "eff" in name and not name.startswith("gemm_half") and value > 0.9:
                    continue
                trial = _with(cal, name, value)
                loss = _loss(trial, cases)
                if loss < best:
                    cal, best = trial, loss
        print(f"round {r}: loss {best:.4f}")
    return cal


def main() -> None:
    cal = None
    if "--fit" in sys.argv:
        cal = fit()
        print(cal)
    rows = report(cal)
    for r in rows:
        print(f"{r['split']:7s} {r['id']:64s} {r['metric']:19s} measured {r['measured']:9.1f} "
              f"predicted {r['predicted']:9.1f} err {r['error_pct']:+6.1f}%")
    for (split, metric), (n, med, p90) in summary(rows).items():
        print(f"{split:7s} {metric:19s} n={n:3d} median APE {med:5.1f}%  p90 APE {p90:5.1f}%")


if __name__ == "__main__":
    main()
