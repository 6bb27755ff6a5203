"""Inference fidelity: predicted vs published serving measurements (tests/fidelity/inference_cases.json).

usage: python benchmarks/fidelity_inference.py [--fit]
  prints each case and the median / p90 absolute percentage error per metric, on fit and holdout cases.
  --fit re-runs the coordinate-descent fit on the "fit" cases only and prints it: InferenceCalibration on the
  TensorRT-LLM cases, then each runtime preset's kernel knobs (RUNTIME_FIT_PARAMS) on that runtime's cases.
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
from app.engine.inference_memory import RUNTIME_PRESETS, ServingRuntime, derive_presets  # noqa: E402
from app.engine.inference_timing import CALIBRATION, InferenceCalibration  # noqa: E402
from app.engine.workload import ModelShape, Precision  # noqa: E402

CASES_PATH = ROOT / "tests" / "fidelity" / "inference_cases.json"
Runtimes = dict[str, ServingRuntime]
# Kernel knobs fitted per runtime; trtllm-0.5 shares trtllm-0.6's gqa_kv_reuse (both predate XQA; its cases are TTFT
# only, which cannot pin decode KV reads) and fits its own GEMM efficiency_scale.
RUNTIME_FIT_PARAMS = {
    "trtllm-0.9": ("moe_eff_scale", "hopper_moe_eff_scale", "allreduce_block_gbyte_s"),
    "trtllm-0.17": ("moe_eff_scale", "reserve_gib_per_gpu"),
    "trtllm-0.15": ("moe_eff_scale", "reserve_gib_per_gpu"),
    "trtllm-0.6": ("gqa_kv_reuse", "allreduce_latency_scale"),
    "trtllm-0.5": ("efficiency_scale", "hopper_efficiency_scale", "allreduce_latency_scale"),
    "lmdeploy-0.1": ("efficiency_scale", "step_overhead_scale", "prefill_overhead_scale", "hbm_eff_scale",
                     "allreduce_latency_scale"),
    "vllm": ("efficiency_scale", "step_overhead_scale", "hbm_eff_scale"),
}


def load_cases() -> list[dict]:
    return json.loads(CASES_PATH.read_text())["cases"]


def predict(case: dict, cal: InferenceCalibration | None = None, runtimes: Runtimes | None = None) -> dict[str, float]:
    req = case["request"]
    model = ModelShape(**req["model"])
    est = estimate_inference(
        model, ACCELERATORS[req["accelerator"]], req["gpu_count"], Precision(req["precision"]),
        req["input_tokens"], req["output_tokens"], concurrency=req.get("concurrency"),
        runtime=(runtimes or RUNTIME_PRESETS)[req["runtime"]], attention_dp=req.get("attention_dp", False),
        calibration=cal, requests=req.get("requests"),
    )
    return {"output_tokens_per_s": est.output_tokens_per_s, "ttft_ms": est.ttft_ms}


def report(cal: InferenceCalibration | None = None, runtimes: Runtimes | None = None) -> list[dict]:
    """One row per (case, metric): id, split, metric, measured, predicted, error_pct (signed)."""
    rows = []
    for case in load_cases():
        pred = predict(case, cal, runtimes)
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


def _loss(cal: InferenceCalibration, cases: list[dict], runtimes: Runtimes) -> float:
    total = 0.0
    for case in cases:
        pred = predict(case, cal, runtimes)
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
              "decode_nonoverlap", "prefill_nonoverlap", "prefill_overhead_s", "min_tile_tokens", "pcie_link_eff",
              "pcie_allreduce_latency_s", "cross_socket_slowdown", "link_eff")


def _steps(r: int) -> tuple[float, ...]:
    return (1.25, 0.8, 1.08, 0.926) if r < 3 else (1.04, 0.96, 1.015, 0.985)


def _capped(name: str, value: float) -> bool:
    """Efficiencies and reuse fractions stay physical (<= 0.9 of peak, reuse <= 1)."""
    if name == "allreduce_latency_scale":
        return value < 1.0  # no stack's all-reduce beats the calibrated custom kernels
    if name in ("step_overhead_scale", "prefill_overhead_scale"):
        return False  # host and launch overhead: any positive multiple of the calibrated stack's
    if name == "gqa_kv_reuse" or (name.endswith("_scale") and name in RUNTIME_FIELDS):
        return value > 1.0  # a runtime is no better than the calibrated TensorRT-LLM 1.0 kernels
    if name.endswith("nonoverlap"):
        return value > 1.0  # at worst the two run one after the other
    if name == "attention_eff_scale":
        return value > 1.0  # fused attention reaches no higher a fraction of peak than dense GEMMs (FA2/FA3 papers)
    return "eff" in name and not name.startswith("gemm_half") and "scale" not in name and value > 0.9


RUNTIME_FIELDS = {name for names in RUNTIME_FIT_PARAMS.values() for name in names}


def _fit_calibration(cal: InferenceCalibration, runtimes: Runtimes, rounds: int) -> InferenceCalibration:
    cases = [c for c in load_cases() if c["split"] == "fit" and c["request"]["runtime"].startswith("trtllm")]
    best = _loss(cal, cases, runtimes)
    for r in range(rounds):
        for name in FIT_PARAMS:
            for factor in _steps(r):
                value = _get(cal, name) * factor if _get(cal, name) else 0.05
                trial = _with(cal, name, value)
                loss = _loss(trial, cases, runtimes) if not _capped(name, value) else best
                if loss < best:
                    cal, best = trial, loss
    print(f"calibration loss {best:.4f} on {len(cases)} cases")
    return cal


def _runtime_moves(names: tuple[str, ...], r: int) -> list[dict[str, float]]:
    """Multiplicative steps of one knob, then of each pair in opposite directions (a x f, b / f): coupled knobs
    such as an overall and a Hopper-only scale lie along a diagonal valley one-knob steps cannot follow."""
    moves = [{name: f} for name in names for f in _steps(r)]
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    return moves + [{a: f, b: 1 / f} for a, b in pairs for f in _steps(r)]


def _fit_runtime(cal: InferenceCalibration, runtimes: Runtimes, key: str, rounds: int) -> Runtimes:
    cases = [c for c in load_cases() if c["split"] == "fit" and c["request"]["runtime"] == key]
    best = _loss(cal, cases, runtimes)
    for r in range(rounds):
        for move in _runtime_moves(RUNTIME_FIT_PARAMS[key], r):
            values = {name: getattr(runtimes[key], name) * f for name, f in move.items()}
            trial = dict(runtimes, **{key: dataclasses.replace(runtimes[key], **values)})
            capped = any(_capped(name, value) for name, value in values.items())
            loss = _loss(cal, cases, trial) if not capped else best
            if loss < best:
                runtimes, best = trial, loss
    print(f"{key} loss {best:.4f} on {len(cases)} cases")
    return runtimes


def fit(rounds: int = 8, passes: int = 2) -> tuple[InferenceCalibration, Runtimes]:
    """Alternating coordinate descent (multiplicative steps) on clipped squared log error of "fit" cases only."""
    cal, runtimes = CALIBRATION, dict(RUNTIME_PRESETS)
    for _ in range(passes):
        for key in RUNTIME_FIT_PARAMS:
            runtimes = _fit_runtime(cal, runtimes, key, rounds)
        runtimes = derive_presets(runtimes)
        if "--refit-calibration" in sys.argv:
            cal = _fit_calibration(cal, runtimes, rounds)
    return cal, runtimes


def main() -> None:
    cal, runtimes = None, None
    if "--fit" in sys.argv:
        cal, runtimes = fit()
        print(cal)
        for key in RUNTIME_FIT_PARAMS:
            print(key, {name: round(getattr(runtimes[key], name), 4) for name in RUNTIME_FIT_PARAMS[key]})
        print("legacy moe", {k: (round(runtimes[k].moe_eff_scale, 4), round(runtimes[k].hopper_moe_eff_scale, 4))
                             for k in ("trtllm-0.6", "trtllm-0.5")})
    rows = report(cal, runtimes)
    for r in rows:
        print(f"{r['split']:7s} {r['id']:64s} {r['metric']:19s} measured {r['measured']:9.1f} "
              f"predicted {r['predicted']:9.1f} err {r['error_pct']:+6.1f}%")
    for (split, metric), (n, med, p90) in summary(rows).items():
        print(f"{split:7s} {metric:19s} n={n:3d} median APE {med:5.1f}%  p90 APE {p90:5.1f}%")


if __name__ == "__main__":
    main()
