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
from app.engine.parallelism import (
    MOE_DISPATCHERS,
    PIPELINE_SCHEDULES,
    SHARDINGS,
    TUNINGS,
    Cluster,
    SoftwareStack,
    Strategy,
    make_cluster,
)
from app.engine.specs import GIB, AcceleratorSpec, ServerSpec
from app.engine.training import TrainingEstimate, evaluate_strategy, make_ctx, step_memory
from app.engine.workload import ModelShape, Precision

__all__ = ["SoftwareStack", "Strategy", "estimate_training", "search_strategy"]

# Default global batch when none is given: 4M tokens (Llama 2 paper, section 2.2) or, on large
# clusters, one sequence per 8 GPUs (Llama 3 405B: 16M tokens on 16,384 GPUs, Llama 3 paper Table 4).
DEFAULT_BATCH_TOKENS = 4 * 1024 * 1024
MIN_CP_TOKENS = 4096  # context parallelism only while each rank keeps >= 4k tokens (NeMo recipes)
MAX_PP = 64
# Without a given batch but with a given pipeline layout, teams size the batch so each pipeline runs
# >= 4 x pp microbatches, keeping the 1F1B
# bubble (p-1)/m under ~25% (Narayanan et al. 2021, section 3.3: m >> p). Assumption on practice.
MIN_MICROBATCHES_PER_STAGE = 4
MICRO_BATCHES = (1, 2, 4)
# Fallback when no mainstream strategy fits (small-memory cards, more GPUs than the default batch can feed):
# FSDP/ZeRO-3 also under pipeline parallelism (DeepSpeed ZeRO-3 + PP, torchtitan FSDP2 + PP), tensor
# parallelism up to 8 across the scale-out network (slow, modeled with network bandwidth and latency), and
# a default global batch that grows to one micro-batch per data-parallel rank.
FALLBACK_TP = 8
RECOMPUTES = ("none", "selective", "full")
MAX_PARAMS = 1e15


def _pow2_upto(limit: int) -> list[int]:
    out, v = [], 1
    while v <= limit:
        out.append(v)
        v *= 2
    return out


def _tp_options(model: ModelShape, cluster: Cluster, gpus: int, fallback: bool = False) -> list[int]:
    """TP degrees inside the scale-up domain; the fallback also tries up to 8 across the network."""
    cap = min(max(cluster.domain_gpus, FALLBACK_TP) if fallback else cluster.domain_gpus, 16, gpus)
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
    return [max((v for v in range(1, 9) if per_stage % v == 0), default=1)]  # deepest interleaving <= 8


def layouts(
    model: ModelShape, cluster: Cluster, gpus: int, seq_len: int, fixed: Strategy | None, fallback: bool = False
) -> list[Strategy]:
    """Candidate (tp, pp, cp, ep, vp, dp) layouts; a given strategy fixes its layout fields."""
    if fixed is not None:
        dp = fixed.dp or gpus // max(1, fixed.model_parallel)
        vps = [fixed.vp] if fixed.vp else _vp_options(model, fixed.pp)
        return [replace(fixed, dp=dp, vp=v) for v in vps]
    out = []
    for tp in _tp_options(model, cluster, gpus, fallback):
        for pp in _pp_options(model, gpus // tp):
            for cp in _cp_options(seq_len):
                if gpus % (tp * pp * cp):
                    continue
                dp = gpus // (tp * pp * cp)
                for ep in _ep_options(model, dp * cp):
                    out += [Strategy(tp=tp, pp=pp, dp=dp, cp=cp, ep=ep, vp=v) for v in _vp_options(model, pp)]
    return out


def validate_request(model: ModelShape, gpu_count: int, seq_len: int, precision: Precision) -> None:
    """Reject impossible shapes with the field and the constraint."""
    checks = [
        (gpu_count >= 1, "gpu_count must be >= 1"),
        (seq_len >= 1, "seq_len must be >= 1"),
        (0 < model.params <= MAX_PARAMS, "model.params must be in (0, 1e15]"),
        (model.layers >= 1 and model.hidden_size >= 1, "model.layers and model.hidden_size must be >= 1"),
        (
            model.attention_heads >= 1 and model.hidden_size % model.attention_heads == 0,
            "model.attention_heads must divide model.hidden_size",
        ),
        (
            model.kv_heads >= 1 and model.attention_heads % model.kv_heads == 0,
            "model.kv_heads must divide model.attention_heads",
        ),
        (precision.name in ("bf16", "fp16", "fp8", "fp4"), "precision must be bf16, fp16, fp8 or fp4"),
    ]
    for ok, message in checks:
        if not ok:
            raise InfeasibleError(message, [message])


def check_model_fits(model: ModelShape, cluster: Cluster, gpu_count: int) -> None:
    """Quick lower bounds: bf16 weights alone, then fully sharded model states (16 bytes/param)."""
    usable = cluster.hbm_usable_bytes
    name = cluster.accelerator.name
    weights_gpus = ceil(model.params * 2.0 / usable)
    if weights_gpus > gpu_count:
        reason = f"{model.params / 1e9:.0f}B in bf16 needs at least {weights_gpus} {name} for weights alone"
        raise InfeasibleError(reason, [f"{gpu_count} GPUs x {usable / GIB:.1f} GiB usable each"])
    states_gpus = ceil(model.params * 16.0 / usable)
    if states_gpus > gpu_count:
        reason = (
            f"{model.params / 1e9:.0f}B needs at least {states_gpus} {name} for weights, gradients and "
            "Adam states (16 bytes/param, fully sharded)"
        )
        raise InfeasibleError(reason, [f"{gpu_count} GPUs x {usable / GIB:.1f} GiB usable each"])


def batch_sequences(global_batch_tokens: int | None, gpu_count: int, seq_len: int) -> tuple[int, bool]:
    """(global batch in sequences, whether it was given). The default also caps data parallelism."""
    if global_batch_tokens:
        return max(1, round(global_batch_tokens / seq_len)), True
    return max(1, round(max(DEFAULT_BATCH_TOKENS, gpu_count * seq_len / 8) / seq_len)), False


# Mainstream recipes (SoftwareStack tuning="mainstream"), per stack:
# - Megatron-LM / NeMo with a model-parallel layout: distributed optimizer, selective recompute (the
#   default since Korthikanti et al. 2022) or full when memory needs it, micro-batch 1 with pipeline
#   parallelism (NeMo / Megatron-Bridge Llama recipes), else up to 4.
# - PyTorch FSDP for pure data parallelism of dense models (llm-foundry, torchtitan): ZeRO-3 sharding,
#   no recompute or full activation checkpointing, the fastest micro-batch that fits (llm-foundry
#   throughput table tunes it per row, 1 to 24).
# - fp16: the 2020-22 stack (Narayanan et al. 2021 Megatron runs, OPT-175B): full recompute, unfused
#   attention; FlashAttention and selective recompute arrived in 2022 with the move to bf16.
FSDP_MICRO_BATCHES = (1, 2, 4, 8, 16)
LEGACY_PRECISIONS = ("fp16",)


def is_fsdp_layout(layout: Strategy) -> bool:
    return layout.tp == 1 and layout.pp == 1 and layout.cp == 1 and layout.ep == 1


def resolve_software(software: SoftwareStack, precision: Precision) -> SoftwareStack:
    """Fill the attention kernel: flash, unfused for the fp16 (legacy) stack."""
    if software.attention is not None:
        return software
    legacy = precision.name in LEGACY_PRECISIONS and software.tuning != "optimal"
    return replace(software, attention="unfused" if legacy else "flash")


def _mainstream(layout: Strategy, software: SoftwareStack, fsdp_ok: bool) -> tuple[list[int], list[str], list[str]]:
    """Micro-batches, shardings and recompute policies of the mainstream recipe for this layout."""
    fsdp = fsdp_ok and is_fsdp_layout(layout)
    if software.attention == "unfused":
        recomputes = ["full"]
    else:
        recomputes = ["none", "full"] if fsdp else ["selective", "full"]
    if fsdp:
        return list(FSDP_MICRO_BATCHES), ["fsdp"], recomputes
    # a given pure data-parallel layout: Megatron DDP when it fits, else FSDP
    shardings = ["megatron", "fsdp"] if is_fsdp_layout(layout) else ["megatron"]
    return [1] if layout.pp > 1 else list(MICRO_BATCHES), shardings, recomputes


def _options(
    layout: Strategy, software: SoftwareStack, fsdp_ok: bool = False, fallback: bool = False
) -> tuple[list[int], list[str], list[str]]:
    """Micro-batches, shardings and recompute policies to try (given values win over the search).

    tuning "optimal": FSDP / ZeRO-3 is searched only without pipeline parallelism (Megatron-LM pairs PP
    with its distributed optimizer; PyTorch FSDP recipes use pure data parallelism)."""
    mbs = layout.micro_batch or software.micro_batch_size
    sharding = layout.sharding or software.sharding
    recompute = layout.recompute or software.recompute
    if fallback:
        opts = (list(MICRO_BATCHES), ["megatron", "fsdp"], ["selective", "full"])
    elif software.tuning == "optimal":
        opts = (list(MICRO_BATCHES), ["megatron", "zero3"] if layout.pp == 1 else ["megatron"], list(RECOMPUTES))
    else:
        opts = _mainstream(layout, software, fsdp_ok)
    return (
        [mbs] if mbs else opts[0],
        [sharding] if sharding else opts[1],
        [recompute] if recompute else opts[2],
    )


def _grown_batch_warning(est: TrainingEstimate, batch_sequences: int) -> TrainingEstimate:
    """The estimate with a warning that the default global batch had to grow to feed every GPU."""
    message = (
        f"the default global batch ({batch_sequences} sequences) cannot feed dp={est.strategy.dp}; it was grown to "
        f"{est.global_batch_tokens:,} tokens, which may hurt convergence (give global_batch_tokens to fix it)"
    )
    return replace(est, warnings=(*est.warnings, message))


def _network_tp_warning(est: TrainingEstimate, cluster: Cluster) -> TrainingEstimate:
    """The estimate with a warning when tensor parallelism had to cross the scale-out network."""
    if est.strategy.tp <= cluster.domain_gpus:
        return est
    message = (
        f"only tensor parallelism {est.strategy.tp} across the network fits memory (scale-up domain "
        f"{cluster.domain_gpus} GPU); expect low efficiency"
    )
    return replace(est, warnings=(*est.warnings, message))


def _choose(
    model: ModelShape,
    cluster: Cluster,
    precision: Precision,
    seq_len: int,
    layout: Strategy,
    batch: tuple[int, bool],
    software: SoftwareStack,
    params: eff.EfficiencyParams,
    reasons: dict[str, float],
    fsdp_ok: bool = False,
    grow_batch: bool = False,
    fallback: bool = False,
) -> TrainingEstimate | None:
    """Best micro-batch / sharding / recompute for one layout, or None (reasons recorded with a rank:
    the memory shortfall [GiB] for memory, after every memory reason for the batch)."""
    best: TrainingEstimate | None = None
    mbs_opts, shardings, recomputes = _options(layout, software, fsdp_ok, fallback)
    for mbs in mbs_opts:
        per_step = layout.dp * mbs
        grown = per_step > batch[0]
        if grown and (batch[1] or not fallback):
            reasons[f"global batch of {batch[0]} sequences cannot feed dp={layout.dp} x micro-batch {mbs}"] = (
                1e9 + per_step
            )
            continue
        m = max(1, batch[0] // per_step)
        if grow_batch and not batch[1] and layout.pp > 1:
            m = max(m, MIN_MICROBATCHES_PER_STAGE * layout.pp)  # default batch grows to keep the bubble small
        fitted = False
        for sharding in shardings:
            cand = replace(layout, micro_batch=mbs, sharding=sharding)
            est = _first_fit(model, cluster, precision, seq_len, cand, m, recomputes, software, params, reasons)
            if est is not None and grown:
                est = _grown_batch_warning(est, batch[0])
            fitted = fitted or est is not None
            if est is not None and (best is None or est.tokens_per_s > best.tokens_per_s):
                best = est
            if est is not None and est.strategy.recompute == "none":
                break  # fits without recompute: heavier sharding only adds traffic
        if not fitted or (best is not None and best.strategy.micro_batch != mbs):
            break  # larger micro-batches cannot fit, or stopped paying off
    return best


def _first_fit(
    model: ModelShape,
    cluster: Cluster,
    precision: Precision,
    seq_len: int,
    s: Strategy,
    m: int,
    recomputes: list[str],
    software: SoftwareStack,
    params: eff.EfficiencyParams,
    reasons: dict[str, float],
) -> TrainingEstimate | None:
    """Evaluate the first recompute policy (cheapest first) whose memory fits."""
    last_total = -1.0
    for rc in recomputes:
        cand = replace(s, recompute=rc)
        mem = step_memory(make_ctx(model, cluster, precision, seq_len, cand, software, params), m)
        if mem.fits:
            return evaluate_strategy(model, cluster, precision, seq_len, cand, m, software, params, mem)
        if mem.total_gib != last_total:
            key = f"tp={s.tp} pp={s.pp} cp={s.cp} ep={s.ep} dp={s.dp} {s.sharding} {rc} recompute mbs={s.micro_batch}"
            message = f"{key}: needs {mem.total_gib:.1f} GiB per GPU, has {mem.capacity_gib:.1f}"
            reasons[message] = min(reasons.get(message, 1e18), mem.total_gib - mem.capacity_gib)
        last_total = mem.total_gib
    return None


def check_layout(model: ModelShape, gpu_count: int, s: Strategy) -> None:
    """A user-given layout must use every GPU and divide the model sensibly."""
    sizes = {"tp": s.tp, "pp": s.pp, "cp": s.cp, "ep": s.ep, "vp": s.vp or 1, "dp": max(1, s.dp)}
    for name, value in sizes.items():
        if value < 1:
            raise InfeasibleError(f"parallelism.{name} must be >= 1", [f"{name}={value}"])
    product = s.tp * s.pp * s.cp * (s.dp or 1)
    if gpu_count % (s.tp * s.pp * s.cp) or (s.dp and product != gpu_count):
        raise InfeasibleError(
            f"gpu_count {gpu_count} is not tp x pp x cp x dp = {s.tp} x {s.pp} x {s.cp} x {s.dp or '?'}",
            ["gpu_count must equal tp*pp*cp*dp"],
        )
    if model.attention_heads % s.tp or s.pp > model.layers:
        raise InfeasibleError(
            "tp must divide attention_heads and pp must not exceed layers",
            [f"heads={model.attention_heads} tp={s.tp} layers={model.layers} pp={s.pp}"],
        )
    if s.ep > 1 and (not model.is_moe or model.experts % s.ep):
        raise InfeasibleError("ep must divide the number of experts (MoE models only)", [f"ep={s.ep}"])


def dualpipe_can_run(s: Strategy) -> bool:
    """DualPipe needs an even number of pipeline stages and does not interleave (vp = 1)."""
    return s.pp >= 2 and s.pp % 2 == 0 and (s.vp or 1) == 1


def schedule_layouts(candidates: list[Strategy], software: SoftwareStack) -> list[Strategy]:
    """The candidate layouts the pipeline schedule can run (DualPipe: no interleaving, even pp)."""
    if software.pipeline_schedule != "dualpipe":
        return candidates
    return list(dict.fromkeys(s for s in (replace(c, vp=1) for c in candidates) if dualpipe_can_run(s)))


def check_software(software: SoftwareStack, strategy: Strategy | None) -> None:
    """Reject unknown software choices and a given layout the pipeline schedule cannot run."""
    choices = (
        ("tuning", software.tuning, TUNINGS),
        ("sharding", software.sharding, SHARDINGS),
        ("pipeline_schedule", software.pipeline_schedule, PIPELINE_SCHEDULES),
        ("moe_dispatcher", software.moe_dispatcher, MOE_DISPATCHERS),
    )
    for name, value, allowed in choices:
        if value is not None and value not in allowed:
            raise InfeasibleError(f"{name} must be one of {', '.join(allowed)}", [str(value)])
    if software.pipeline_schedule == "dualpipe" and strategy is not None and not dualpipe_can_run(strategy):
        raise InfeasibleError(
            "the dualpipe schedule needs an even pipeline degree pp >= 2 and no interleaving (vp = 1)",
            [f"pp={strategy.pp} vp={strategy.vp}"],
        )


def search_strategy(
    model: ModelShape,
    cluster: Cluster,
    gpu_count: int,
    precision: Precision,
    seq_len: int,
    batch: tuple[int, bool],
    software: SoftwareStack,
    fixed: Strategy | None = None,
    params: eff.EfficiencyParams = eff.DEFAULT_PARAMS,
) -> TrainingEstimate:
    """Fastest strategy that fits memory (a fixed layout only searches its unset fields).

    Mainstream tuning without a given layout (or with a given pure data-parallel one on the flash-attention
    stack): a dense model runs pure data parallel with FSDP when that fits memory and the global batch;
    otherwise the Megatron layouts are searched."""
    reasons: dict[str, float] = {}
    best: TrainingEstimate | None = None
    pure_dp = fixed is None or (is_fsdp_layout(fixed) and software.attention == "flash")
    dualpipe = software.pipeline_schedule == "dualpipe"
    if pure_dp and software.tuning != "optimal" and not model.is_moe and not dualpipe:
        fsdp = Strategy(dp=gpu_count)
        best = _choose(model, cluster, precision, seq_len, fsdp, batch, software, params, reasons, True)
        if best is not None:
            return best
    for fallback in (False, True):  # the fallback widens the search only when nothing mainstream fits
        for layout in schedule_layouts(layouts(model, cluster, gpu_count, seq_len, fixed, fallback), software):
            grow = fixed is not None
            est = _choose(
                model, cluster, precision, seq_len, layout, batch, software, params, reasons, False, grow, fallback
            )
            if est is not None and (best is None or est.tokens_per_s > best.tokens_per_s):
                best = est
        if best is not None:
            return _network_tp_warning(best, cluster)
    details = sorted(reasons, key=lambda r: (reasons[r], r))[:8]
    raise InfeasibleError(
        f"no parallel strategy for {model.name} fits {gpu_count} x {cluster.accelerator.name}", details
    )


def estimate_training(
    model: ModelShape,
    server_or_accel: ServerSpec | AcceleratorSpec,
    gpu_count: int,
    precision: Precision,
    seq_len: int,
    *,
    global_batch_tokens: int | None = None,
    strategy: Strategy | None = None,
    software: SoftwareStack | None = None,
    tokens: float | None = None,
    params: eff.EfficiencyParams = eff.DEFAULT_PARAMS,
) -> TrainingEstimate:
    """Steady-state training estimate; strategy None = search. With `tokens`, `run` holds the whole run."""
    from app.engine.run import attach_run

    validate_request(model, gpu_count, seq_len, precision)
    software = resolve_software(software or SoftwareStack(), precision)
    check_software(software, strategy)
    cluster = make_cluster(server_or_accel, gpu_count)
    check_model_fits(model, cluster, gpu_count)
    if strategy is not None:
        check_layout(model, gpu_count, strategy)
    batch = batch_sequences(global_batch_tokens, gpu_count, seq_len)
    est = search_strategy(model, cluster, gpu_count, precision, seq_len, batch, software, strategy, params)
    return attach_run(est, model, tokens) if tokens else est
