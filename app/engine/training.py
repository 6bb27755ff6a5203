"""Steady-state training step time of ONE fixed strategy (Narayanan et al. 2021; Korthikanti 2022).

Step = m x t_microbatch + bubble t_microbatch (p-1)/v + exposed data-parallel traffic + optimizer
+ fixed overhead, on the busiest pipeline stage. Outputs are frozen dataclasses with finite floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.engine import collectives as coll
from app.engine import efficiency as eff
from app.engine.flops import (
    dense_gemm_flops_per_token,
    executed_attention_flops_per_token,
    expert_gemm_flops_per_token,
    hardware_flops_per_token,
    model_flops_per_token,
)
from app.engine.parallelism import RUNTIME_RESERVE_GIB, Cluster, SoftwareStack, Strategy, framework_of
from app.engine.specs import GIB
from app.engine.training_memory import MemoryBreakdown, memory_breakdown, params_per_gpu
from app.engine.workload import ModelShape, Precision

if TYPE_CHECKING:
    from app.engine.run import RunEstimate

# DeepSeek-V3 dedicates 20 of the H800's 132 SMs to all-to-all while DualPipe overlaps it with compute
# (arXiv 2412.19437 section 3.2.2); applied as the same share of any GPU.
DUALPIPE_COMM_SM_SHARE = 20.0 / 132.0
OPTIMIZER_BYTES_PER_PARAM = 30.0  # Adam step traffic: fp32 master/m/v read+write 24, grad 4, bf16 write 2
FLOPS_DEFINITION = (
    "model FLOPs = 6 N_active + 12 L s h per token (PaLM appendix B; MLA: 6 L s n_heads (d_qk + d_v)); "
    "MFU vs dense peak of the precision"
)


@dataclass(frozen=True)
class TimeBreakdown:
    """Where one optimizer step goes [s]."""

    compute_s: float
    communication_s: float
    bubble_s: float
    other_s: float  # optimizer update and fixed per-step overhead


@dataclass(frozen=True)
class TrainingEstimate:
    """Steady-state training throughput of one strategy; `run` is filled when a token count is given."""

    tokens_per_s: float
    tokens_per_s_per_gpu: float
    model_tflops_per_gpu: float
    hardware_tflops_per_gpu: float
    mfu: float
    step_time_s: float
    global_batch_tokens: int
    microbatches: int
    gpu_count: int
    strategy: Strategy
    memory: MemoryBreakdown
    time_breakdown: TimeBreakdown
    confidence: str
    warnings: tuple[str, ...] = ()
    flops_definition: str = FLOPS_DEFINITION
    run: RunEstimate | None = None

    @property
    def parallelism(self) -> dict[str, int | str | None]:
        return self.strategy.as_dict()


@dataclass(frozen=True)
class _Ctx:
    model: ModelShape
    cluster: Cluster
    precision: Precision
    seq_len: int
    s: Strategy
    software: SoftwareStack
    p: eff.EfficiencyParams
    tokens: float  # tokens per microbatch on one GPU (after context split)
    stage_share: float  # fraction of the layers on the busiest stage
    recompute: str
    framework: str  # megatron / pytorch (parallelism.FRAMEWORKS)

    @property
    def peak(self) -> float:
        return self.cluster.accelerator.peak_flops(self.precision.name)

    @property
    def hbm(self) -> float:
        return self.cluster.accelerator.memory_tbyte_s * 1e12

    @property
    def fraction(self) -> float:
        return self.p.peak_fraction(self.cluster.generation, self.precision.name)


def _linear_compute_s(c: _Ctx) -> float:
    """Dense and expert matmuls of one microbatch on one stage, fwd+bwd (+ recompute) [s]."""
    m, s = c.model, c.s
    rf = 4.0 / 3.0 if c.recompute == "full" else 1.0
    dense = dense_gemm_flops_per_token(m) * c.tokens / s.tp * c.stage_share * rf
    t = eff.gemm_time_s(dense, c.peak, c.fraction, min(m.hidden_size / s.tp, c.tokens), c.p)
    if m.is_moe:
        expert = expert_gemm_flops_per_token(m) * c.tokens / s.tp * c.stage_share * rf
        local_tokens = c.tokens / s.tp if s.ep > 1 else c.tokens
        per_expert = local_tokens * m.experts_per_token * s.ep / m.experts
        width = m.ffn_hidden_size / (1 if s.ep > 1 else s.tp)
        frac = c.fraction * c.p.grouped_gemm_factor
        t += eff.gemm_time_s(expert, c.peak, frac, min(per_expert, width, m.hidden_size), c.p)
    return t


def _attention_s(c: _Ctx) -> float:
    """Attention core of one microbatch on one stage [s] (flash: causal half, own efficiency)."""
    extra = 4.0 / 3.0 if c.recompute in ("full", "selective") else 1.0
    flops = executed_attention_flops_per_token(c.model, c.seq_len, c.software.attention or "flash") * c.tokens / c.s.tp
    flops *= c.stage_share * extra
    factor = c.p.attention_factor if c.software.attention == "flash" else c.p.unfused_attention_factor
    if c.framework == "pytorch" and c.software.attention == "flash" and c.cluster.generation not in ("ampere", "ada"):
        factor = c.p.eager_attention_factor  # FlashAttention-2 on Hopper / Blackwell / CDNA
    # Attention runs in BF16 even in FP8 recipes (Transformer Engine default: FP8 GEMMs, BF16 attention).
    peak = c.cluster.accelerator.peak_flops("bf16")
    fraction = c.p.peak_fraction(c.cluster.generation, "bf16")
    return eff.gemm_time_s(flops, peak, fraction * factor, c.seq_len / c.s.cp, c.p)


def _memory_bound_s(c: _Ctx) -> float:
    """Elementwise / normalization traffic and per-layer kernel overheads of one microbatch [s]."""
    layers = c.model.layers * c.stage_share * (4.0 / 3.0 if c.recompute == "full" else 1.0)
    fp8 = 1.25 if c.precision.name in ("fp8", "fp4") else 1.0  # casts and amax traffic (assumption)
    eager = c.framework == "pytorch"
    bytes_per_h = c.p.elementwise_bytes_per_h + (c.p.eager_bytes_per_h if eager else 0.0)
    traffic = bytes_per_h * c.tokens * c.model.hidden_size / c.s.tp * layers * fp8
    return eff.memory_time_s(traffic, c.hbm, c.p) + layers * c.p.layer_overhead_s


def _moe_overhead_s(c: _Ctx) -> float:
    """MoE layer work beyond expert GEMMs for one microbatch: router, token permute/unpermute traffic,
    the host sync of dropless token counts, and a token-independent cost per local expert [s]."""
    m, s = c.model, c.s
    if not m.is_moe:
        return 0.0
    layers = m.layers * c.stage_share * (4.0 / 3.0 if c.recompute == "full" else 1.0)
    routed = c.tokens / s.tp * m.experts_per_token
    traffic = c.p.moe_bytes_per_h * routed * m.hidden_size
    local_experts = m.experts / s.ep
    fixed = c.p.moe_layer_overhead_s + local_experts * c.p.expert_overhead_s
    return layers * (eff.memory_time_s(traffic, c.hbm, c.p) + fixed)


def _tp_exposed_s(c: _Ctx) -> float:
    """Tensor(+sequence)-parallel all-gather/reduce-scatter pairs: 2 per layer fwd, 2 bwd [s]."""
    if c.s.tp <= 1:
        return 0.0
    per_layer = 6 if c.recompute == "full" else 4
    msg = c.tokens * c.model.hidden_size * 2.0
    bw = c.cluster.link_byte_s(c.s.tp)
    alpha = coll.NVLINK_ALPHA_S if c.s.tp <= c.cluster.domain_gpus else coll.NETWORK_ALPHA_S
    one = coll.ring_all_reduce_s(msg, c.s.tp, bw, alpha)
    return one * per_layer * c.model.layers * c.stage_share * (1.0 - c.p.tp_overlap)


def moe_dispatcher(c: _Ctx) -> str:
    """The given dispatcher; by default DeepEP for models with node-limited routing (the routing restriction
    exists to bound that dispatcher's scale-out traffic), else the Megatron-Core all-to-all."""
    if c.software.moe_dispatcher is not None:
        return c.software.moe_dispatcher
    return "deepep" if c.model.routed_nodes_max > 0 else "alltoall"


def _ep_comm_s(c: _Ctx) -> float:
    """MoE token dispatch and combine all-to-alls: 4 per MoE layer (fwd + bwd), before any overlap [s].

    The Megatron-Core dispatcher sends BF16 hidden states both ways and every routed copy separately;
    DeepEP sends a token once per distinct remote node (node-limited routing caps those nodes) and, under
    FP8 training, dispatches in FP8 while combines stay BF16 (arXiv 2412.19437 section 3.3.2)."""
    m, s = c.model, c.s
    if not m.is_moe or s.ep <= 1:
        return 0.0
    per_layer = 6 if c.recompute == "full" else 4
    deepep = moe_dispatcher(c) == "deepep"
    value_bytes = 1.5 if deepep and c.precision.name in ("fp8", "fp4") else 2.0  # mean of dispatch and combine
    token_bytes = c.tokens / s.tp * m.hidden_size * value_bytes
    local = max(1, c.cluster.domain_gpus // s.tp)
    up, out = c.cluster.scaleup_byte_s, c.cluster.scaleout_byte_s
    if deepep:
        one = coll.dedup_all_to_all_s(token_bytes, m.experts_per_token, s.ep, local, up, out, m.routed_nodes_max)
    else:
        one = coll.all_to_all_s(token_bytes * m.experts_per_token, s.ep, local, up, out)
    return one * per_layer * m.layers * c.stage_share


def _cp_exposed_s(c: _Ctx, attention_s: float) -> float:
    """Ring-attention KV exchange (cp-1 steps fwd, twice that bwd), hidden behind attention [s]."""
    if c.s.cp <= 1:
        return 0.0
    m = c.model
    kv = c.tokens * 2.0 * m.kv_heads * m.head_dim / c.s.tp * 2.0
    bw = c.cluster.link_byte_s(c.s.tp * c.s.cp)
    comm = 3.0 * (c.s.cp - 1) * kv / bw * m.layers * c.stage_share
    return max(comm * (1.0 - c.p.cp_overlap), comm - attention_s)


def _pp_comm_s(c: _Ctx) -> float:
    """Pipeline activations sent fwd and gradients bwd per microbatch and virtual stage, before overlap [s]."""
    if c.s.pp <= 1:
        return 0.0
    msg = c.tokens * c.model.hidden_size * 2.0 / c.s.tp
    bw = c.cluster.link_byte_s(c.s.tp * c.s.cp * max(1, c.s.dp) * 2)
    return 2.0 * (c.s.vp or 1) * (msg / bw + coll.NETWORK_ALPHA_S)


def _dp_exposed_s(c: _Ctx, microbatches: int, t_microbatch: float) -> float:
    """Gradient reduce-scatter + parameter all-gather over d_p x c_p (hierarchical), partly hidden [s].

    ZeRO-3/FSDP also all-gathers weights for forward and backward of every microbatch."""
    s, cl = c.s, c.cluster
    dense, experts = params_per_gpu(c.model, s)
    ranks, expert_ranks = s.dp * s.cp, max(1, s.dp * s.cp // s.ep)
    local = max(1, cl.domain_gpus // s.tp)
    expert_local = max(1, cl.domain_gpus // (s.tp * s.ep))
    t = coll.hierarchical_all_reduce_s(dense * 2.0, ranks, local, cl.scaleup_byte_s, cl.scaleout_byte_s)
    t += coll.hierarchical_all_reduce_s(
        experts * 2.0, expert_ranks, expert_local, cl.scaleup_byte_s, cl.scaleout_byte_s
    )
    window = t_microbatch
    if s.sharding in ("zero3", "fsdp"):
        t += microbatches * t  # two all-gathers (= one all-reduce) of weights per microbatch
        window = microbatches * t_microbatch
    return max(t * (1.0 - c.p.dp_overlap), t - window)


def _optimizer_s(c: _Ctx) -> float:
    """Adam update, memory bound, on this GPU's optimizer shard [s]."""
    dense, experts = params_per_gpu(c.model, c.s)
    shard = dense / (c.s.dp * c.s.cp) + experts / max(1, c.s.dp * c.s.cp // c.s.ep)
    return eff.memory_time_s(shard * OPTIMIZER_BYTES_PER_PARAM, c.hbm, c.p)


def is_dualpipe(c: _Ctx) -> bool:
    return c.software.pipeline_schedule == "dualpipe" and c.s.pp > 1


def microbatch_times(c: _Ctx) -> tuple[float, float]:
    """(compute, exposed communication) of one microbatch on the busiest stage [s].

    1F1B hides fixed shares of the all-to-all and pipeline traffic. DualPipe runs a forward and a backward
    chunk together, so that traffic hides behind the other chunk's compute and only its excess is exposed;
    the communication kernels hold DUALPIPE_COMM_SM_SHARE of the SMs meanwhile, which slows the compute."""
    attention = _attention_s(c)
    compute = _linear_compute_s(c) + attention + _memory_bound_s(c) + _moe_overhead_s(c)
    comm = _tp_exposed_s(c) + _cp_exposed_s(c, attention)
    ep, pp = _ep_comm_s(c), _pp_comm_s(c)
    if is_dualpipe(c):
        if ep > 0:
            compute /= 1.0 - DUALPIPE_COMM_SM_SHARE
        return compute, comm + max(0.0, ep + pp - compute)
    return compute, comm + ep * (1.0 - c.p.ep_overlap) + pp * (1.0 - c.p.pp_overlap)


def bubble_s(c: _Ctx, t_microbatch: float) -> float:
    """Pipeline bubble per step [s]: (p-1)/v microbatch times under 1F1B (Narayanan et al. 2021);
    DualPipe (p/2 - 1)(F&B + B - 3W) with F = W = t/3, B = 2t/3 and F&B = t: (p/2 - 1) 2t/3
    (arXiv 2412.19437 Table 2)."""
    if c.s.pp <= 1:
        return 0.0
    if is_dualpipe(c):
        return max(0.0, c.s.pp / 2.0 - 1.0) * 2.0 * t_microbatch / 3.0
    return t_microbatch * (c.s.pp - 1) / (c.s.vp or 1)


def make_ctx(
    model: ModelShape,
    cluster: Cluster,
    precision: Precision,
    seq_len: int,
    s: Strategy,
    software: SoftwareStack,
    params: eff.EfficiencyParams,
) -> _Ctx:
    tokens = (s.micro_batch or 1) * seq_len / s.cp
    share = -(-model.layers // s.pp) / model.layers
    framework = framework_of(software, s)
    return _Ctx(
        model, cluster, precision, seq_len, s, software, params, tokens, share, s.recompute or "none", framework
    )


def step_memory(c: _Ctx, microbatches: int) -> MemoryBreakdown:
    fp8 = c.precision.name in ("fp8", "fp4")
    reserve = RUNTIME_RESERVE_GIB * GIB
    return memory_breakdown(
        c.model, c.s, c.seq_len, microbatches, fp8, c.software.attention or "flash", c.cluster.hbm_usable_bytes,
        reserve, dualpipe=is_dualpipe(c),
    )


def step_breakdown(c: _Ctx, microbatches: int) -> TimeBreakdown:
    """Time of one optimizer step, split into compute / communication / bubble / other [s]."""
    compute, comm = microbatch_times(c)
    t_mb = compute + comm
    bubble = bubble_s(c, t_mb)
    dp = _dp_exposed_s(c, microbatches, t_mb)
    other = _optimizer_s(c) + c.p.step_overhead_s
    return TimeBreakdown(microbatches * compute, microbatches * comm + dp, bubble, other)


def confidence_and_warnings(c: _Ctx, gpu_count: int) -> tuple[str, list[str]]:
    """How far this case is from the calibrated ground (Ampere/Hopper/Blackwell, dense, <= 16k GPUs)."""
    gen = c.cluster.generation
    warnings: list[str] = []
    score = 0
    if gen not in ("ampere", "hopper", "blackwell"):
        score += 2
        warnings.append(f"no published training measurement calibrates {gen} accelerators; efficiency is a prior")
    if c.model.is_moe:
        score += 1
        warnings.append("MoE: all-to-all overlap and grouped-GEMM efficiency are calibrated on few cases (+-30%)")
    if c.precision.name == "fp4" or c.software.attention != "flash":
        score += 2
        warnings.append("fp4 training / unfused attention are not calibrated")
    if gpu_count > 16384 or c.seq_len > 32768:
        score += 1
        warnings.append("beyond the calibrated scale (16,384 GPUs, 32k context)")
    if c.precision.name == "fp8":
        score += 1
    return ("high" if score == 0 else "medium" if score <= 1 else "low"), warnings


def evaluate_strategy(
    model: ModelShape,
    cluster: Cluster,
    precision: Precision,
    seq_len: int,
    s: Strategy,
    microbatches: int,
    software: SoftwareStack,
    params: eff.EfficiencyParams = eff.DEFAULT_PARAMS,
    memory: MemoryBreakdown | None = None,
) -> TrainingEstimate:
    """Throughput of one fully specified strategy (dp, recompute, sharding, micro_batch all set)."""
    c = make_ctx(model, cluster, precision, seq_len, s, software, params)
    tb = step_breakdown(c, microbatches)
    step = tb.compute_s + tb.communication_s + tb.bubble_s + tb.other_s
    gpus = s.tp * s.pp * s.cp * s.dp
    batch_tokens = microbatches * s.dp * (s.micro_batch or 1) * seq_len
    per_gpu = batch_tokens / step / gpus
    model_tflops = per_gpu * model_flops_per_token(model, seq_len) / 1e12
    hw_tflops = per_gpu * hardware_flops_per_token(model, seq_len, c.recompute) / 1e12
    confidence, warnings = confidence_and_warnings(c, gpus)
    return TrainingEstimate(
        tokens_per_s=per_gpu * gpus,
        tokens_per_s_per_gpu=per_gpu,
        model_tflops_per_gpu=model_tflops,
        hardware_tflops_per_gpu=hw_tflops,
        mfu=model_tflops * 1e12 / c.peak,
        step_time_s=step,
        global_batch_tokens=batch_tokens,
        microbatches=microbatches,
        gpu_count=gpus,
        strategy=s,
        memory=memory or step_memory(c, microbatches),
        time_breakdown=tb,
        confidence=confidence,
        warnings=tuple(warnings),
    )
