"""Training accuracy against published measurements (tests/fidelity/training_cases.json, each case cited).

Each case has its own tolerance: 25% dense, 35% MoE; cases with a larger `tolerance_pct` are known weaknesses
named in their `tolerance_reason`. Aggregates on held-out cases (never used by the fit) are checked against
the issue's targets where met, and against the achieved figure where not (tokens/s p90, see the report).
"""

import statistics
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from fidelity_training import load_cases, predict, report, summary

CASES = load_cases()
# Dense BF16/FP8 peaks [TFLOP/s] of the naive baseline in ../shared/tools/score_estimates.py (0.40 x peak / 6N).
NAIVE_PEAK = {
    "a100-sxm-40gb": (312, 312),
    "a100-sxm-80gb": (312, 312),
    "h100-sxm": (989.5, 1979),
    "h800-sxm": (989.5, 1979),
    "h200-sxm": (989.5, 1979),
    "b200": (2250, 4500),
    "gb200": (2500, 5000),
}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_within_tolerance(case):
    pred = predict(case)
    tol = case["tolerance_pct"]
    for metric, truth in case["measured"].items():
        err = abs(pred[metric] - truth) / truth * 100
        assert err <= tol, f"{metric}: predicted {pred[metric]:.1f}, measured {truth} ({err:.0f}% > {tol}%)"


def test_every_case_is_cited_and_split():
    assert len(CASES) >= 40
    for case in CASES:
        assert case["source"] and case["split"] in ("fit", "holdout")
        assert case["tolerance_pct"] <= 35 or case.get("tolerance_reason")
    holdout_accels = {c["request"]["accelerator"] for c in CASES if c["split"] == "holdout"}
    assert {"a100-sxm-80gb", "a100-sxm-40gb", "h100-sxm", "h800-sxm", "b200", "gb200"} <= holdout_accels


def test_holdout_aggregates():
    stats = summary(report())
    n, med, p90 = stats[("holdout", "tokens_per_s_per_gpu")]
    assert n >= 15 and med <= 10.0 and p90 <= 30.0  # issue 3 targets (achieved ~7.9% / 19.5% on 20 cases)
    n, med, _ = stats[("holdout", "gpu_hours")]
    assert n >= 4 and med <= 20.0  # issue 3 target: whole-run GPU-hours median <= 20%


def test_gpu_hours_range_holds_the_published_runs():
    # Whole runs from model cards: the low-high range is meant to hold them. Achieved 7 of 8; Llama 2 7B (card
    # 184,320 A100-hours) sits 5% below the low end: the case's 2,048 GPUs force TP2 on a 4M-token batch, while
    # Meta's GPU count is unpublished.
    runs = [(c["measured"]["gpu_hours"], predict(c)) for c in CASES if "gpu_hours" in c["measured"]]
    inside = [p["gpu_hours_low"] <= truth <= p["gpu_hours_high"] for truth, p in runs]
    assert len(runs) >= 8 and sum(inside) >= len(runs) - 1


def test_beats_the_naive_constant_efficiency_baseline():
    ours, naive = [], []
    for case in CASES:
        req, truth = case["request"], case["measured"].get("tokens_per_s_per_gpu")
        if not truth or req["accelerator"] not in NAIVE_PEAK:
            continue
        bf16, fp8 = NAIVE_PEAK[req["accelerator"]]
        peak = (fp8 if req["precision"] == "fp8" else bf16) * 1e12
        n_active = req["model"].get("active_params") or req["model"]["params"]
        naive.append(abs(0.40 * peak / (6 * n_active) - truth) / truth)
        ours.append(abs(predict(case)["tokens_per_s_per_gpu"] - truth) / truth)
    assert statistics.median(ours) < 0.5 * statistics.median(naive)


def test_defaults_without_software_settings():
    # Requests as users send them (no software, no batch): the engine's mainstream defaults decide.
    # Achieved 10.4% / 26.7% on 22 held-out cases (the targets apply to the published settings, above).
    # The two NeMo Mixtral 8x7B rows ran at a 1M-token batch, a quarter of the 4M default, and come out 24-39%
    # high without it; a smaller default (1M, or 2,048 tokens per GPU) was tried and hurt the large-run cases.
    stats = summary(report(mode="defaults"))
    n, med, p90 = stats[("holdout", "tokens_per_s_per_gpu")]
    assert n >= 22 and med <= 11.0 and p90 <= 30.0
    _, med_fit, _ = stats[("fit", "tokens_per_s_per_gpu")]
    assert med_fit <= 10.0  # achieved ~8%


def test_pytorch_fsdp_stack_is_slower_on_hopper_than_megatron_te():
    # FlashAttention-2 cannot use Hopper's wgmma (FlashAttention-3 paper: ~35% vs ~75% of H100 peak), and
    # the eager stack moves more elementwise bytes: the same FSDP layout is slower with framework "pytorch",
    # and the gap grows with sequence length (attention share).
    from fidelity_training import ACCELERATORS, Precision, SoftwareStack, estimate_training, model_of

    req = next(c for c in CASES if c["id"] == "llmfoundry-h100-sxm-7b-s8192-8g-bf16")["request"]
    gaps = []
    for seq in (2048, 8192):
        args = (model_of(req), ACCELERATORS["h100-sxm"], 8, Precision("bf16"), seq)
        runs = {
            fw: estimate_training(*args, software=SoftwareStack(sharding="fsdp", recompute="full", framework=fw))
            for fw in ("pytorch", "megatron")
        }
        gaps.append(runs["megatron"].tokens_per_s / runs["pytorch"].tokens_per_s)
    assert 1.0 < gaps[0] < gaps[1] < 1.6


def test_optimal_tuning_is_an_upper_bound_of_the_mainstream_default():
    from fidelity_training import ACCELERATORS, Precision, SoftwareStack, estimate_training, model_of

    case = next(c for c in CASES if c["id"] == "llmfoundry-h100_80gb-70b-s2048-64g-bf16")
    req = case["request"]
    args = (model_of(req), ACCELERATORS[req["accelerator"]], 64, Precision("bf16"), 2048)
    mainstream = estimate_training(*args)
    optimal = estimate_training(*args, software=SoftwareStack(tuning="optimal"))
    assert mainstream.strategy.sharding == "fsdp"  # pure data parallel FSDP, as llm-foundry runs it
    assert optimal.tokens_per_s >= mainstream.tokens_per_s
