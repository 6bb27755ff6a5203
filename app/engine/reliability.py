"""Whole-run reliability: failures, checkpoints, restarts -> goodput (share of wall clock that trains).

Failure rate: Llama 3 405B pretraining saw 419 unexpected interruptions in 54 days on 16,384 H100
(Dubey et al. 2024, 'The Llama 3 Herd of Models', section 3.3.4): one per ~50,700 GPU-hours; the
same section reports > 90% effective training time. Checkpoint interval: Young (1974)
sqrt(2 delta M), with Daly's (2006) higher-order correction.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import sqrt

GPU_HOURS_PER_INTERRUPTION = 16384 * 54 * 24 / 419  # ~50,675 GPU-hours (Llama 3 paper, section 3.3.4)
CHECKPOINT_BYTES_PER_PARAM = 14.0  # bf16 weights 2 + fp32 master weights, momentum, variance 12
# Blocking part of a checkpoint write: each node streams its shard to parallel storage. Assumption:
# ~2 GB/s per 8-GPU node, capped at 2 TB/s aggregate (order of a large parallel file system).
CHECKPOINT_BYTE_S_PER_GPU = 0.25e9
CHECKPOINT_AGGREGATE_CAP_BYTE_S = 2e12
MIN_CHECKPOINT_S = 10.0
# Time from a failure to training again (detect, drain, reschedule, reload) [s]: assumption bracketing
# minutes with automation (Llama 3: manual intervention only 3 times) to an hour.
RESTART_S = {"low": 300.0, "expected": 600.0, "high": 1800.0}
# Failure-rate multipliers for the range (a smaller or newer fleet can be twice as good or bad).
FAILURE_RATE_FACTOR = {"low": 0.5, "expected": 1.0, "high": 2.0}


@dataclass(frozen=True)
class Reliability:
    """Run-level reliability figures for one scenario."""

    mtbf_hours: float  # mean time between job interruptions
    checkpoint_s: float  # blocking time of one checkpoint
    checkpoint_interval_s: float
    restart_s: float
    goodput: float  # share of wall clock spent on useful training steps


def job_mtbf_hours(gpu_count: int, rate_factor: float = 1.0) -> float:
    """Mean time between interruptions of a job on that many GPUs [h]."""
    return GPU_HOURS_PER_INTERRUPTION / (max(1, gpu_count) * rate_factor)


def checkpoint_seconds(params: float, gpu_count: int) -> float:
    """Blocking checkpoint write time [s] (14 bytes/param over the storage write bandwidth)."""
    bandwidth = min(gpu_count * CHECKPOINT_BYTE_S_PER_GPU, CHECKPOINT_AGGREGATE_CAP_BYTE_S)
    return max(MIN_CHECKPOINT_S, params * CHECKPOINT_BYTES_PER_PARAM / bandwidth)


def young_interval_s(checkpoint_s: float, mtbf_s: float) -> float:
    """Young's optimal checkpoint interval sqrt(2 delta M) [s]."""
    return sqrt(2.0 * checkpoint_s * mtbf_s)


def daly_interval_s(checkpoint_s: float, mtbf_s: float) -> float:
    """Daly's refinement: sqrt(2dM) [1 + sqrt(d/2M)/3 + d/(18M)] - d, or M when d >= 2M [s]."""
    if checkpoint_s >= 2.0 * mtbf_s:
        return mtbf_s
    ratio = checkpoint_s / (2.0 * mtbf_s)
    return young_interval_s(checkpoint_s, mtbf_s) * (1.0 + sqrt(ratio) / 3.0 + ratio / 9.0) - checkpoint_s


def goodput(checkpoint_s: float, interval_s: float, mtbf_s: float, restart_s: float) -> float:
    """Useful share of wall clock: 1 - d/tau - (tau/2 + d + R)/M, clamped to [0.05, 1]."""
    waste = checkpoint_s / (interval_s + checkpoint_s) + (interval_s / 2.0 + checkpoint_s + restart_s) / mtbf_s
    return min(1.0, max(0.05, 1.0 - waste))


def reliability(params: float, gpu_count: int, scenario: str = "expected") -> Reliability:
    """Reliability figures for a scenario: 'low' (few failures, fast restarts), 'expected', 'high'."""
    mtbf_h = job_mtbf_hours(gpu_count, FAILURE_RATE_FACTOR[scenario])
    ckpt = checkpoint_seconds(params, gpu_count)
    interval = daly_interval_s(ckpt, mtbf_h * 3600.0)
    restart = RESTART_S[scenario]
    return Reliability(mtbf_h, ckpt, interval, restart, goodput(ckpt, interval, mtbf_h * 3600.0, restart))
