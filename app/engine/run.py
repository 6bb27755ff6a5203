"""A whole training run: steady-state throughput x run-level factors -> hours with a range.

wall clock = tokens / (tokens_per_s x goodput x (1 - other run overhead)). 'Other' covers what real
runs add beyond failures (evaluation, data-pipeline and straggler stalls, loss-spike rollbacks,
batch-size ramp and long-context phases). Its values are judgment, not a fit: the model-card cases
marked "fit" in tests/fidelity/training_cases.json err in both directions (GPU counts are unpublished),
so no single overhead improves them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.engine.reliability import Reliability, reliability
from app.engine.training import TrainingEstimate
from app.engine.workload import ModelShape

# Share of time lost to non-failure causes. 'high' is set by the spread of the model-card runs: the Llama 3.1 8B and
# 70B cards (1.46M and 7.0M H100-hours) come out 39-43% above the expected figure, which 0.20 left just outside the
# range; 0.25 covers them. The expected value is unchanged.
RUN_OVERHEAD = {"low": 0.0, "expected": 0.06, "high": 0.25}
# Uncertainty of the steady-state throughput itself, by confidence (from the fidelity table's spread).
THROUGHPUT_BAND = {"high": 0.12, "medium": 0.22, "low": 0.40}


@dataclass(frozen=True)
class RunEstimate:
    """Whole-run figures; dicts have keys low / expected / high."""

    tokens: float
    wall_clock_hours: dict[str, float]
    gpu_hours: dict[str, float]
    goodput: float
    goodput_range: dict[str, float]
    steady_state_hours: float
    mtbf_hours: float
    expected_interruptions: float
    checkpoint_s: float
    checkpoint_interval_s: float


def _hours(tokens: float, tokens_per_s: float, rel: Reliability, overhead: float) -> float:
    return tokens / (tokens_per_s * rel.goodput * (1.0 - overhead)) / 3600.0


def estimate_run(est: TrainingEstimate, model: ModelShape, tokens: float) -> RunEstimate:
    """Run-level hours from a steady-state estimate. 'low' pairs optimistic throughput with few failures."""
    band = THROUGHPUT_BAND[est.confidence]
    speed = {"low": 1.0 + band, "expected": 1.0, "high": 1.0 / (1.0 + band)}
    rels = {k: reliability(model.params, est.gpu_count, k) for k in ("low", "expected", "high")}
    wall = {k: _hours(tokens, est.tokens_per_s * speed[k], rels[k], RUN_OVERHEAD[k]) for k in rels}
    exp = rels["expected"]
    return RunEstimate(
        tokens=tokens,
        wall_clock_hours=wall,
        gpu_hours={k: v * est.gpu_count for k, v in wall.items()},
        goodput=exp.goodput * (1.0 - RUN_OVERHEAD["expected"]),
        goodput_range={k: r.goodput * (1.0 - RUN_OVERHEAD[k]) for k, r in rels.items()},
        steady_state_hours=tokens / est.tokens_per_s / 3600.0,
        mtbf_hours=exp.mtbf_hours,
        expected_interruptions=wall["expected"] / exp.mtbf_hours,
        checkpoint_s=exp.checkpoint_s,
        checkpoint_interval_s=exp.checkpoint_interval_s,
    )


def attach_run(est: TrainingEstimate, model: ModelShape, tokens: float) -> TrainingEstimate:
    """The same estimate with its `run` filled in."""
    return replace(est, run=estimate_run(est, model, tokens))
