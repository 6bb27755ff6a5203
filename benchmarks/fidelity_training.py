"""Training fidelity: predicted vs published per case, and median / p90 APE per metric and split.

usage: python benchmarks/fidelity_training.py [--fit [--rounds N]]
  --fit  re-run the calibration (coordinate descent on the 'fit' cases only) and print the constants.
Cases: tests/fidelity/training_cases.json (each with its citation and split).
Each case is scored twice: 'published' passes the run's published software settings and global batch;
'defaults' drops both, as a user (and ../shared/tools/score_estimates.py) sends it, so the engine's
mainstream defaults decide recompute, sharding, micro-batch, attention kernel and batch.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "engine"))

from hardware_fixtures import ACCELERATORS  # noqa: E402

from app.engine import efficiency as eff  # noqa: E402
from app.engine.parallelism import SoftwareStack, Strategy  # noqa: E402
from app.engine.strategy import estimate_training  # noqa: E402
from app.engine.workload import ModelShape, Precision  # noqa: E402

CASES_PATH = ROOT / "tests" / "fidelity" / "training_cases.json"
DEFAULT_TOLERANCE_PCT = 25.0
SHAPE_KEYS = (
    "params",
    "active_params",
    "layers",
    "hidden_size",
    "ffn_hidden_size",
    "attention_heads",
    "kv_heads",
    "vocab_size",
    "experts",
    "experts_per_token",
    "kv_lora_rank",  # MLA dims (DeepSeek-V3 cases): the HTTP API's inline shape drops the last three today
    "q_lora_rank",
    "qk_nope_head_dim",
    "qk_rope_head_dim",
    "v_head_dim",
    "routed_nodes_max",
)


def load_cases() -> list[dict[str, Any]]:
    return list(json.loads(CASES_PATH.read_text())["cases"])


def model_of(req: dict[str, Any]) -> ModelShape:
    m = req["model"]
    return ModelShape(name=m.get("name", "model"), **{k: m[k] for k in SHAPE_KEYS if k in m})


def strategy_of(req: dict[str, Any]) -> Strategy | None:
    par = req.get("parallelism")
    if not par:
        return None
    fields = {k: int(v) for k, v in par.items() if k in ("tp", "pp", "dp", "cp", "ep", "vp")}
    return Strategy(**fields)  # vp None = engine picks (the HTTP API currently sends vp=1 instead)


MODES = ("published", "defaults")


def predict(
    case: dict[str, Any], params: eff.EfficiencyParams = eff.DEFAULT_PARAMS, mode: str = "published"
) -> dict[str, float]:
    req = case["request"]
    published = mode == "published"
    est = estimate_training(
        model_of(req),
        ACCELERATORS[req["accelerator"]],
        int(req["gpu_count"]),
        Precision(req["precision"]),
        int(req["seq_len"]),
        global_batch_tokens=req.get("global_batch_tokens") if published else None,
        strategy=strategy_of(req),
        software=SoftwareStack(**req.get("software", {})) if published else None,
        tokens=req.get("tokens"),
        params=params,
    )
    out = {"tokens_per_s_per_gpu": est.tokens_per_s_per_gpu, "mfu": est.mfu}
    if est.run is not None:
        out["gpu_hours"] = est.run.gpu_hours["expected"]
        out["gpu_hours_low"], out["gpu_hours_high"] = est.run.gpu_hours["low"], est.run.gpu_hours["high"]
    return out


def report(params: eff.EfficiencyParams = eff.DEFAULT_PARAMS, mode: str = "published") -> list[dict[str, Any]]:
    """One row per (case, measured metric): predicted, measured, signed error [%], tolerance, split."""
    rows = []
    for case in load_cases():
        pred = predict(case, params, mode)
        for metric, truth in case["measured"].items():
            err = (pred[metric] - truth) / truth * 100.0
            rows.append(
                {
                    "id": case["id"],
                    "mode": mode,
                    "split": case["split"],
                    "metric": metric,
                    "measured": truth,
                    "predicted": pred[metric],
                    "error_pct": err,
                    "tolerance_pct": case.get("tolerance_pct", DEFAULT_TOLERANCE_PCT),
                }
            )
    return rows


def percentile90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


def summary(rows: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[int, float, float]]:
    """(split, metric) -> (n, median APE, p90 APE) [%]; p90 as in shared/tools/score_estimates.py."""
    groups: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        groups.setdefault((r["split"], r["metric"]), []).append(abs(r["error_pct"]))
    return {k: (len(v), statistics.median(v), percentile90(v)) for k, v in sorted(groups.items())}


def _loss(params: eff.EfficiencyParams, cases: list[dict[str, Any]]) -> float:
    """Mean absolute log error on tokens/s and whole-run GPU-hours of the fit cases, with published
    settings and with defaults (robust to outliers)."""
    total, count = 0.0, 0
    for case in cases:
        for mode in MODES:
            pred = predict(case, params, mode)
            for metric, truth in case["measured"].items():
                total += abs(math.log(pred[metric] / truth))
                count += 1
    return total / max(1, count)


FIT_STEPS = {
    "fp8_factor": 0.05,
    "d_half": 40.0,
    "attention_factor": 0.05,
    "grouped_gemm_factor": 0.05,
    "elementwise_bytes_per_h": 10.0,
    "layer_overhead_s": 30e-6,
    "tp_overlap": 0.1,
    "dp_overlap": 0.05,
    "ep_overlap": 0.1,
    "step_overhead_s": 0.02,
    "moe_layer_overhead_s": 1e-3,
    "expert_overhead_s": 30e-6,
    "moe_bytes_per_h": 8.0,
    "eager_attention_factor": 0.05,
    "eager_bytes_per_h": 20.0,
}
FIT_BOUNDS = {
    "tp_overlap": (0.0, 0.8),
    "dp_overlap": (0.5, 0.98),
    "ep_overlap": (0.0, 0.95),
    "fp8_factor": (0.5, 0.9),
    "attention_factor": (0.4, 0.9),
    "grouped_gemm_factor": (0.4, 1.0),
    "d_half": (50.0, 600.0),
    "elementwise_bytes_per_h": (20.0, 150.0),
    "layer_overhead_s": (0.0, 5e-4),
    "step_overhead_s": (0.0, 0.5),
    "moe_layer_overhead_s": (0.0, 15e-3),
    "expert_overhead_s": (0.0, 5e-4),
    "moe_bytes_per_h": (8.0, 120.0),
    "eager_attention_factor": (0.15, 0.55),
    "eager_bytes_per_h": (0.0, 300.0),
}
GEN_BOUNDS = {"ampere": (0.65, 0.9), "hopper": (0.6, 0.85), "blackwell": (0.5, 0.85)}


def _candidates(p: eff.EfficiencyParams, scale: float) -> list[eff.EfficiencyParams]:
    out = []
    for name, step in FIT_STEPS.items():
        lo, hi = FIT_BOUNDS[name]
        for sign in (-1, 1):
            out.append(eff.with_overrides(p, **{name: min(hi, max(lo, getattr(p, name) + sign * step * scale))}))
    for gen, (lo, hi) in GEN_BOUNDS.items():
        table = dict(p.gemm_peak)
        for sign in (-1, 1):
            table2 = dict(table, **{gen: min(hi, max(lo, table[gen] + sign * 0.02 * scale))})
            out.append(replace(p, gemm_peak=tuple(table2.items())))
    return out


def fit(rounds: int = 40) -> eff.EfficiencyParams:
    """Greedy coordinate descent from the current constants on 'fit' cases only; steps halve when stuck."""
    cases = [c for c in load_cases() if c["split"] == "fit"]
    best, best_loss, scale = eff.DEFAULT_PARAMS, _loss(eff.DEFAULT_PARAMS, cases), 1.0
    for _ in range(rounds):
        trial = min(
            ((_loss(c, cases), i, c) for i, c in enumerate(_candidates(best, scale))), key=lambda t: (t[0], t[1])
        )
        if trial[0] >= best_loss - 1e-6:
            scale /= 2.0
            if scale < 0.1:
                break
            continue
        best_loss, best = trial[0], trial[2]
        print(f"loss {best_loss:.4f} (step scale {scale})")
    print(best)
    return best


def main() -> None:
    if "--fit" in sys.argv:
        rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 40
        fit(rounds)
        return
    rows = {mode: report(mode=mode) for mode in MODES}
    for r, d in zip(rows["published"], rows["defaults"], strict=True):
        flag = "" if abs(r["error_pct"]) <= r["tolerance_pct"] else "  OUT OF TOLERANCE"
        print(
            f"{r['split']:8s} {r['id']:52s} {r['metric']:21s} measured {r['measured']:12.1f} "
            f"published {r['error_pct']:+6.1f}% defaults {d['error_pct']:+6.1f}% (tol {r['tolerance_pct']:.0f}%){flag}"
        )
    for mode in MODES:
        for (split, metric), (n, med, p90) in summary(rows[mode]).items():
            print(f"{mode:9s} {split:8s} {metric:21s} n={n:2d} median APE {med:5.1f}%  p90 APE {p90:5.1f}%")


if __name__ == "__main__":
    main()
