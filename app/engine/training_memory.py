"""Training memory per GPU [bytes]: model states and activations.

Model states: mixed-precision Adam (Rajbhandari et al. 2020, ZeRO): bf16 weights 2 + bf16 grads 2 +
fp32 master, momentum, variance 12 = 16 bytes/param; Megatron keeps fp32 grads (18 bytes) and its
distributed optimizer shards the 12 optimizer bytes over data parallel ranks: 6 + 12/d_p
(Megatron-LM theoretical_memory_usage.py). ZeRO-1/2/3 and FSDP shard optimizer / + grads / + weights.
Activations: Korthikanti et al. 2022 ('Reducing Activation Recomputation'), Table 2.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.flops import embedding_params, expert_total_params
from app.engine.parallelism import Strategy
from app.engine.specs import GIB
from app.engine.workload import ModelShape

# (weights, gradients, optimizer) bytes per parameter and which of them are sharded over d_p.
# Megatron: bf16 gradient buffers, as the NeMo / Megatron-Bridge performance recipes set
# grad_reduce_in_fp32=False (Megatron-LM's own 18-byte figure assumes fp32 gradients).
STATE_BYTES: dict[str, tuple[float, float, float]] = {
    "megatron": (2.0, 2.0, 12.0),
    "zero1": (2.0, 2.0, 12.0),
    "zero2": (2.0, 2.0, 12.0),
    "zero3": (2.0, 2.0, 12.0),
    "fsdp": (2.0, 2.0, 12.0),
}
SHARDED_STATES: dict[str, tuple[bool, bool, bool]] = {
    "megatron": (False, False, True),
    "zero1": (False, False, True),
    "zero2": (False, True, True),
    "zero3": (True, True, True),
    "fsdp": (True, True, True),
}
# PyTorch FSDP working set: the all-gathered bf16 weights of the running and the prefetched layer (2 x 2)
# and the unsharded fp32 gradient of one layer before its reduce-scatter (4) [bytes per layer param].
FSDP_UNSHARDED_BYTES_PER_LAYER_PARAM = 8.0
FP8_WEIGHT_COPY_BYTES = 1.0  # Transformer Engine keeps an fp8 copy of each weight (assumption: 1 byte)


@dataclass(frozen=True)
class MemoryBreakdown:
    """Per-GPU memory of the most loaded pipeline stage [GiB]."""

    weights_gib: float
    gradients_gib: float
    optimizer_gib: float
    activations_gib: float
    reserve_gib: float
    capacity_gib: float

    @property
    def total_gib(self) -> float:
        return self.weights_gib + self.gradients_gib + self.optimizer_gib + self.activations_gib + self.reserve_gib

    @property
    def fits(self) -> bool:
        return self.total_gib <= self.capacity_gib


def params_per_gpu(model: ModelShape, s: Strategy) -> tuple[float, float]:
    """(non-expert, expert) parameters held by one GPU before data-parallel sharding [params].

    Non-expert weights split over tp x pp (the first stage also holds the embedding); routed experts
    over ep x pp (expert tensor parallelism 1 when ep > 1, else tp)."""
    experts = expert_total_params(model)
    embed = embedding_params(model) / 2.0
    body = max(model.params - experts - 2.0 * embed, 0.0)
    expert_split = s.ep * s.pp if s.ep > 1 else s.tp * s.pp
    return (body / s.pp + embed) / s.tp, experts / expert_split


def weights_bytes(params: float, precision_bytes: float) -> float:
    """Weights only [bytes] (inference-style figure, used by unit tests and feasibility messages)."""
    return params * precision_bytes


def model_state_bytes(params_gpu: float, dp_shards: int, sharding: str, fp8: bool) -> tuple[float, float, float]:
    """(weights, gradients, optimizer) bytes on one GPU for a sharding scheme."""
    per_param = STATE_BYTES[sharding]
    sharded = SHARDED_STATES[sharding]
    out = [params_gpu * b / (dp_shards if sh else 1) for b, sh in zip(per_param, sharded, strict=True)]
    if fp8:
        out[0] += params_gpu * FP8_WEIGHT_COPY_BYTES / (dp_shards if sharded[0] else 1)
    return out[0], out[1], out[2]


def activation_bytes_per_layer(
    seq_len: int, micro_batch: int, hidden: int, heads: int, tp: int, recompute: str, attention: str
) -> float:
    """Activations stored per transformer layer per microbatch [bytes] (Korthikanti Table 2).

    No recompute: s b h (34 + 5 a s / h) / t with tensor+sequence parallelism; flash attention and
    selective recompute drop the 5 a s / h score term (34 s b h / t); full recompute keeps only the
    layer input, 2 s b h (sharded over t by sequence parallelism). `seq_len` is per context rank.
    """
    sbh = float(seq_len) * micro_batch * hidden
    if recompute == "full":
        return 2.0 * sbh / tp
    scores = 5.0 * heads * seq_len / hidden if (recompute == "none" and attention != "flash") else 0.0
    return sbh * (34.0 + scores) / tp


def moe_activation_scale(model: ModelShape, recompute: str = "none") -> float:
    """Ratio of a layer's activations to Korthikanti's 34 s b h (4h GeLU MLP: 19 of 34; attention and
    norms: 15) [dimensionless]. A gated (SwiGLU) MLP stores its input (2 s b h) and the gate, up,
    activation and product outputs (4 x 2 s b f). MoE with SwiGLU experts stores the block input (2h)
    and per routed token (top-k): the permuted input copy (2h), the fused gate+up output and the SwiGLU
    product (3 x 2 f_e; the fused SwiGLU recomputes SiLU) and the expert output for the weighted combine
    (2h) (Megatron-Core token dispatcher). Selective recompute on MoE layers recomputes the SwiGLU from
    the gate+up output (Megatron-Core recompute module "moe_act", cheap elementwise work) and the fused
    unpermute applies the probabilities without keeping the expert output: 2h + 4 f_e per routed token."""
    h, f, k = model.hidden_size, model.ffn_hidden_size, model.experts_per_token
    if model.is_moe:
        per_routed = 2.0 + 4.0 * f / h if recompute == "selective" else 4.0 + 6.0 * f / h
        mlp = 2.0 + k * per_routed
    elif f != 4 * h:
        mlp = 2.0 + 8.0 * f / h
    else:
        return 1.0
    return (15.0 + mlp) / 34.0


def in_flight_microbatches(pp: int, vp: int, microbatches: int, dualpipe: bool = False) -> float:
    """Microbatches whose activations the first stage holds under 1F1B: min(m, p), times
    (1 + (p-1)/(p v)) extra for interleaving (Narayanan et al. 2021, section 2.2.2); DualPipe p + 1
    (arXiv 2412.19437 Table 2)."""
    if dualpipe:
        return float(min(microbatches, pp + 1))
    held = float(min(microbatches, pp))
    if vp > 1 and pp > 1:
        held *= 1.0 + (pp - 1) / (pp * vp)
    return held


def activation_stage_bytes(
    model: ModelShape, s: Strategy, seq_len: int, microbatches: int, recompute: str, attention: str,
    dualpipe: bool = False,
) -> float:
    """Activations of the first pipeline stage [bytes]."""
    layers_stage = -(-model.layers // s.pp)
    per_layer = activation_bytes_per_layer(
        seq_len // s.cp, s.micro_batch or 1, model.hidden_size, model.attention_heads, s.tp, recompute, attention
    )
    return (
        per_layer
        * moe_activation_scale(model, recompute)
        * layers_stage
        * in_flight_microbatches(s.pp, s.vp or 1, microbatches, dualpipe)
    )


def memory_breakdown(
    model: ModelShape,
    s: Strategy,
    seq_len: int,
    microbatches: int,
    fp8: bool,
    attention: str,
    usable_bytes: float,
    reserve_bytes: float,
    dualpipe: bool = False,
) -> MemoryBreakdown:
    """Per-GPU memory of the first stage, with the strategy's sharding and recompute policy.

    DualPipe keeps two copies of the parameters (each GPU runs a stage of both directions): weights and
    gradients double, the distributed optimizer shards over twice the replicas (arXiv 2412.19437 Table 2)."""
    sharding = s.sharding or "megatron"
    dense, experts = params_per_gpu(model, s)
    dw, dg, do = model_state_bytes(dense, s.dp * s.cp, sharding, fp8)
    ew, eg, eo = model_state_bytes(experts, max(1, s.dp * s.cp // s.ep), sharding, fp8)
    copies = 2.0 if dualpipe else 1.0
    w, g, o = (dw + ew) * copies, (dg + eg) * copies, do + eo
    if sharding in ("zero3", "fsdp"):
        w += dense * s.pp / model.layers * FSDP_UNSHARDED_BYTES_PER_LAYER_PARAM
    act = activation_stage_bytes(model, s, seq_len, microbatches, s.recompute or "none", attention, dualpipe)
    return MemoryBreakdown(
        w / GIB, g / GIB, o / GIB, act / GIB, reserve_bytes / GIB, (usable_bytes + reserve_bytes) / GIB
    )
