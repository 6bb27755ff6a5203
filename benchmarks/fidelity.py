"""Fidelity of the whole engine: predicted vs published measurements, training and inference together.

usage: python benchmarks/fidelity.py [--quiet]
Prints every case (split, id, metric, measured, predicted, signed error), then the median and 90th-percentile
absolute percentage error (APE) per metric, separately on the cases the model was fitted to ("fit") and on the
cases held out from the fit ("holdout"), and whether each target of issue 3 item 5 is met on the holdout cases.
Case tables: tests/fidelity/training_cases.json and tests/fidelity/inference_cases.json (each case cites its
source). The per-domain scripts (fidelity_training.py / fidelity_inference.py) also re-run the fits (--fit).
The exit status is 1 when a target is missed, so the script can gate CI.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fidelity_inference
import fidelity_training

# Issue 3 item 5, judged on holdout cases: metric -> (median APE limit, p90 APE limit or None) [%].
TARGETS: dict[str, tuple[float, float | None]] = {
    "tokens_per_s_per_gpu": (10.0, 30.0),  # training tokens/s per GPU
    "gpu_hours": (20.0, None),  # whole-run GPU-hours
    "output_tokens_per_s": (10.0, 25.0),  # inference throughput
    "ttft_ms": (10.0, 20.0),  # time to first token
}


def p90(values: list[float]) -> float:
    """Nearest-rank 90th percentile, the convention of both per-domain scripts."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


def all_rows() -> list[dict[str, Any]]:
    """Rows of both reports, each tagged with its domain."""
    rows = [dict(r, domain="training") for r in fidelity_training.report()]
    return rows + [dict(r, domain="inference") for r in fidelity_inference.report()]


def summarize(rows: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[int, float, float]]:
    """(split, metric) -> (cases, median APE, p90 APE) [%]."""
    groups: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        groups.setdefault((r["split"], r["metric"]), []).append(abs(r["error_pct"]))
    return {k: (len(v), statistics.median(v), p90(v)) for k, v in sorted(groups.items())}


def verdicts(summary: dict[tuple[str, str], tuple[int, float, float]]) -> list[tuple[str, str, bool]]:
    """(metric, description, met) for every target, on the holdout split; a metric without holdout cases fails."""
    out = []
    for metric, (median_max, p90_max) in TARGETS.items():
        stats = summary.get(("holdout", metric))
        want = f"median <= {median_max:g}%" + (f", p90 <= {p90_max:g}%" if p90_max is not None else "")
        if stats is None:
            out.append((metric, f"{want}: no holdout cases", False))
            continue
        n, med, p = stats
        met = med <= median_max and (p90_max is None or p <= p90_max)
        out.append((metric, f"{want}: median {med:.1f}%, p90 {p:.1f}% over {n} cases", met))
    return out


def print_cases(rows: list[dict[str, Any]]) -> None:
    print(f"{'domain':9s} {'split':7s} {'case':60s} {'metric':21s} {'measured':>12s} {'predicted':>12s} {'error':>8s}")
    for r in sorted(rows, key=lambda r: (r["domain"], r["split"], r["metric"], r["id"])):
        print(f"{r['domain']:9s} {r['split']:7s} {r['id'][:60]:60s} {r['metric']:21s} {r['measured']:12.1f} "
              f"{r['predicted']:12.1f} {r['error_pct']:+7.1f}%")


def main() -> int:
    rows = all_rows()
    if "--quiet" not in sys.argv:
        print_cases(rows)
        print()
    summary = summarize(rows)
    print(f"{'split':7s} {'metric':21s} {'cases':>5s} {'median APE':>11s} {'p90 APE':>8s}")
    for (split, metric), (n, med, p) in summary.items():
        print(f"{split:7s} {metric:21s} {n:5d} {med:10.1f}% {p:7.1f}%")
    print("\ntargets (issue 3 item 5, holdout cases):")
    results = verdicts(summary)
    for metric, text, met in results:
        print(f"  {'MET   ' if met else 'MISSED'} {metric:21s} {text}")
    return 0 if all(met for _, _, met in results) else 1


if __name__ == "__main__":
    sys.exit(main())
