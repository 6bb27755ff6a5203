"""Strategy search: enumerate parallel layouts, keep those that fit memory, pick the fastest.

TP stays inside the scale-up domain, PP divides the layers (or leaves <= 10% imbalance), DP is what
remains and is capped by the global batch, CP only for long sequences, EP only for MoE. For each
layout the cheapest recompute policy that fits memory is used (none < selective < full).
"""

from __future__ import annotations

from dataclasses import replace
from math import ceil

from app.engine import efficiency as eff
from app.engine.errors import InfeasibleError
from app.engine.parallelism import GIB, SHARDINGS, Cluster, SoftwareStack, Strategy, make_cluster
from app.engine.specs import AcceleratorSpec, ServerSpec
from app.engine.training import TrainingEstimate, evaluate_strategy, make_ctx, step_memory
from app.engine.workload import ModelShape, Precision

__all__ = ["SoftwareStack", "Strategy", "estimate_training", "search_strategy"]

# Default global batch when none is given: 4M tokens (Llama 2 paper, section 2.2) or, on large
# clusters, one sequence per 8 GPUs (Llama 3 405B: 16M tokens on 16,384 GPUs, Llama 3 paper Table 4).
DEFAULT_BATCH_TOKENS = 4 * 1024 * 1024
MIN_CP_TOKENS = 4096  # context parallelism only while each rank keeps >= 4k tokens (NeMo recipes)
MAX_PP = 64
MICRO_BATCHES = (1, 2, 4)
RECOMPUTES = ("none", "selective", "full")
MAX_PARAMS = 1e15


def _pow2_upto(limit: int) -> list[int]:
    out, v = [], 1
    while v <= limit:
        out.append(v)
        v *= 2
    return out


def _tp_options(model: ModelShape, cluster: Cluster, gpus: int) -> list[int]:
    cap = min(cluster.domain_gpus, 16, gpus)
    return [t for t in _pow2_upto(cap) if model.attention_heads % t == 0]


def _pp_options(model: ModelShape, gpus: int) -> list[int]:
    layers = model.layers
    opts = {p for p in range(1, min(layers, MAX_PP) + 1) if layers % p == 0}
    opts |= {p for p in _pow2_upto(min(layers, MAX_PP)) if ceil(layers / p) * p <= 1.1 * layers}
    return sorted(p for p in opts if gpus % p == 0)


def _cp_options(seq_len: int) -> list[int]:
    return [c for c in _pow2_upto(32) if c == 1 or seq_len // c >= MIN_CP_TOKENS]


def _ep_options(model: ModelShape, dp_cp: int) -> list[int]:
    if not model.is_moe:
        return [1]
    return [e for e in _pow2_upto(min(dp_cp, 64)) if model.experts % e == 0]


def _vp_options(model: ModelShape, pp: int) -> list[int]:
    if pp <= 1:
        return [1]
    per_stage = ceil(model.layers / pp)
    best = max((v for v in range(1, 9) if per_stage % v == 0), default=1)
    return sorted({1, best})


def layouts(model: ModelShape, cluster: Cluster, gpus: int, seq_len: int, fixed: Strategy | None) -> list[Strategy]:
    """Candidate (tp, pp, cp, ep, vp, dp) layouts; a given strategy fixes its layout fields."""
    if fixed is not None:
        dp = fixed.dp or gpus // max(1, fixed.model_parallel)
        return [replace(fixed, dp=dp)]
    out = []
    for tp in _tp_options(model, cluster, gpus):
        for pp in _pp_options(model, gpus // tp):
            for cp in _cp_options(seq_len):
                if gpus % (tp * pp * cp):
                    continue
                dp = gpus // (tp * pp * cp)
                for ep in _ep_options(model, dp * cp):
                    out += [Strategy(tp=tp, pp=pp, dp=dp, cp=cp, ep=ep, vp=v) for v in _vp_options(model, pp)]
    return out
