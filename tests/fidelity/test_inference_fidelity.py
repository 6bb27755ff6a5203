"""Inference accuracy against published measurements (tests/fidelity/inference_cases.json).

Each case has a stated tolerance: 30% by default; the cases with a larger `tolerance_pct` are known weaknesses
named in their `tolerance_reason`. Aggregates on held-out cases are checked against the achieved figures.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from fidelity_inference import load_cases, predict, report, summary

DEFAULT_TOLERANCE_PCT = 30.0
CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_within_tolerance(case):
    pred = predict(case)
    tol = case.get("tolerance_pct", DEFAULT_TOLERANCE_PCT)
    for metric, truth in case["measured"].items():
        err = abs(pred[metric] - truth) / truth * 100
        assert err <= tol, f"{metric}: predicted {pred[metric]:.1f}, measured {truth} ({err:.0f}% > {tol}%)"


def test_holdout_aggregates():
    stats = summary(report())
    n, med, p90 = stats[("holdout", "output_tokens_per_s")]
    assert n >= 337 and med <= 10.0 and p90 <= 25.0  # issue 3 targets (6.5% / 19.7% on 337 cases)
    n, med, p90 = stats[("holdout", "ttft_ms")]
    assert n >= 35 and med <= 10.0 and p90 <= 20.0  # issue 3 targets (4.9% / 13.4% on 35 cases)


def test_every_case_names_its_serving_runtime():
    from app.engine.inference_memory import RUNTIME_PRESETS

    assert all(c["request"]["runtime"] in RUNTIME_PRESETS for c in CASES)


def test_fit_and_holdout_are_disjoint_and_both_varied():
    holdout = {c["request"]["accelerator"] for c in CASES if c["split"] == "holdout"}
    assert {"h100-sxm", "h200-sxm", "a100-sxm-80gb", "b200", "l40s", "mi300x"} <= holdout
    assert all(c["split"] in ("fit", "holdout") for c in CASES)
