"""Inference timing: prefill (TTFT), decode step (TPOT) and continuous-batching throughput.

Prefill = max(C, M) + v min(C, M) + TP all-reduces + overhead, C = (2 N_a T + causal attention) / (t x peak x eff(T)),
          M = weights/t / (HBM x eff_w), v = fitted non-overlapped fraction (short prompts stream weights and compute
          at once; long prompts are compute-bound, M << C).
Decode step = max(M, C) + u min(M, C), M = weights/g / (HBM x eff_w) + KV read / (HBM x eff_kv),
              C = compute(B) / (peak x eff(B)), u = fitted non-overlapped fraction
              + TP all-reduces + fixed per-step overhead.
MoE decode reads only the experts the batch touches: E (1 - (1 - k/E)^B) per layer; expert GEMMs run at the
grouped-GEMM efficiency of B k / E tokens per expert.
Decode steps also all-gather the fp32 logits of the vocabulary-parallel LM head across the TP group.
TP all-reduces: two ring all-reduces per layer (one for parallel-attention models when the runtime fuses them),
NVLink or PCIe link efficiency and latency (times the runtime's latency scale: NCCL-only stacks are slower than the
custom kernels); PCIe rings over more than one socket's four cards pay a fitted slowdown. TensorRT-LLM 0.8/0.9's
custom all-reduce takes at least its busiest thread block's bytes at one block's fitted rate (custom_allreduce.py).
Throughput under continuous batching: C x out / (prefill work of C requests + out x step(C)).
All efficiencies are fitted on the "fit" cases of tests/fidelity/inference_cases.json
(benchmarks/fidelity_inference.py --fit); see CALIBRATION for the values and the method.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.engine import custom_allreduce
from app.engine.workload import ModelShape

# Dual-socket 8-GPU PCIe servers hang four cards under each CPU socket's PCIe tree; a ring over all eight crosses
# the inter-socket link (assumption from dual-root designs such as Supermicro SYS-521GE-TNRT).
PCIE_GPUS_PER_SOCKET = 4


@dataclass(frozen=True)
class InferenceCalibration:
    """Fitted by coordinate descent on clipped squared log errors of the 112 TensorRT-LLM "fit" cases
    (benchmarks/fidelity_inference.py --fit --refit-calibration, 2 passes x 8 rounds, loss 1.006 -> 0.8825 after
    the PCIe and parallel-attention terms were added; a further pass moves it only to 0.877); efficiencies capped
    at 0.9 to stay physical. link_eff, a 0.70 prior until then, was fitted alone once the TensorRT-LLM 0.17 Mixtral
    TP1-TP8 sweeps joined the fit cases (206 cases, loss 3.051 -> 2.929), and again after device memory moved to
    binary units (0.572, loss 2.775); the other constants were kept (benchmarks/README.md, inference calibration
    log)."""

    gemm_eff_max: dict[str, float] = field(default_factory=lambda: {"bf16": 0.767, "fp8": 0.591, "fp4": 0.399})
    gemm_half_tokens: float = 7.445  # tokens per GPU step at which GEMM efficiency is half its maximum
    hbm_eff_weights: float = 0.888  # achieved fraction of HBM bandwidth streaming weights
    hbm_eff_kv: float = 0.893  # achieved fraction streaming paged KV cache (gather, smaller blocks)
    attention_eff_scale: float = 0.927  # attention kernels reach this fraction of the GEMM efficiency
    moe_eff_scale: float = 0.775  # grouped expert GEMMs vs dense GEMMs of the same token count
    step_overhead_s: float = 0.000262  # fixed per-forward host/scheduler cost
    layer_overhead_s: float = 5.13e-05  # per layer per forward (kernel launches, norms, rotary)
    allreduce_latency_s: float = 1.36e-05  # per all-reduce on NVLink-class links
    link_eff: float = 0.572  # achieved fraction of unidirectional scale-up bandwidth (NVLink all-reduce)
    # Tensor parallelism over PCIe peer-to-peer (cards without a scale-up link), fitted on the L40S TP4/TP8 cases:
    # ~20 GB/s of PCIe Gen4's 32 GB/s per direction, 20 us per all-reduce inside one socket's PCIe tree, and
    # 1.37x both across the two sockets.
    pcie_link_eff: float = 0.623
    pcie_allreduce_latency_s: float = 1.98e-05
    cross_socket_slowdown: float = 1.373
    prefill_overhead_s: float = 0.00121  # per prefill: request setup, sampling and returning the first token
    min_tile_tokens: float = 7.688  # tensor-core tiles pad GEMMs to >= 64 rows: fewer tokens cost the same time
    decode_nonoverlap: float = 0.820  # fraction of the smaller of memory / compute time not hidden by the larger
    prefill_nonoverlap: float = 0.660  # the same for one prefill forward (weight streaming vs GEMM math)


CALIBRATION = InferenceCalibration()


@dataclass(frozen=True)
class Hardware:
    """What timing needs of one replica: per-GPU rates and the parallel layout."""

    peak_flops: float  # per GPU at the serving precision
    hbm_byte_s: float  # per GPU
    link_byte_s: float  # per GPU, unidirectional
    tp: int
    pp: int
    precision: str
    weight_bytes: float  # bytes per stored weight
    efficiency_scale: float = 1.0  # the serving runtime's kernel knobs (ServingRuntime)
    overhead_scale: float = 1.0
    prefill_overhead_scale: float = 1.0  # the runtime's fixed prefill costs vs the calibrated stack's
    allreduce_latency_scale: float = 1.0  # the runtime's per-all-reduce latency vs the calibrated custom kernels
    hbm_eff_scale: float = 1.0
    moe_eff_scale: float = 1.0
    kv_read_factor: float = 1.0  # KV bytes actually read per cached byte (legacy GQA kernels re-read per head)
    attention_dp: bool = False  # MoE: attention data-parallel on every GPU, experts expert-parallel
    moe_peak_flops: float = 0.0  # expert GEMM peak when the runtime computes experts at another precision (0 = same)
    moe_precision: str = ""  # that precision ("" = the serving precision)
    fused_parallel_allreduce: bool = True  # one all-reduce per layer for parallel-attention models (ServingRuntime)
    pcie: bool = False  # tensor parallelism over PCIe (no scale-up link): its own link efficiency and latency
    allreduce_block_byte_s: float = 0.0  # one thread block of the runtime's custom all-reduce (0 = not modeled)
    logits_gather: bool = False  # decode steps all-gather the fp32 logits across TP (ServingRuntime.logits_gather)

    @property
    def gpus(self) -> int:
        return self.tp * self.pp


def gemm_efficiency(tokens: float, hw: Hardware, cal: InferenceCalibration, precision: str = "") -> float:
    """Fraction of peak a GEMM with `tokens` rows reaches: rises with tokens, lower for FP8/FP4."""
    precision = precision or hw.precision
    key = precision if precision in cal.gemm_eff_max else "bf16"
    top = cal.gemm_eff_max[key] * hw.efficiency_scale
    rows = max(tokens, cal.min_tile_tokens)
    return top * tokens / rows * rows / (rows + cal.gemm_half_tokens)


def expert_split(model: ModelShape) -> tuple[float, float, float]:
    """(non-expert params, params of one routed expert over all layers, active routed-expert params)."""
    if not model.is_moe:
        return model.params, 0.0, 0.0
    per_expert = 3.0 * model.hidden_size * model.ffn_hidden_size * model.layers  # gated FFN
    routed = min(per_expert * model.experts, 0.98 * model.params)
    per_expert = routed / model.experts
    dense = model.params - routed
    active_routed = min(max(0.0, model.active - dense), per_expert * model.experts_per_token)
    return dense, per_expert, active_routed


def experts_touched(model: ModelShape, batch: float) -> float:
    """Expected distinct routed experts per layer when `batch` tokens each pick k of E."""
    e, k = model.experts, model.experts_per_token
    return float(e * (1.0 - (1.0 - k / e) ** batch))


def attention_head_width(model: ModelShape) -> float:
    """Per-head width of the score and value products (MLA absorbed attention works on the latent)."""
    if model.kv_lora_rank:
        return model.kv_lora_rank + model.qk_rope_head_dim
    return model.head_dim


def matmul_time(model: ModelShape, tokens: float, gpus: int, hw: Hardware, cal: InferenceCalibration) -> float:
    """Weight GEMMs of one forward over `tokens` tokens spread on `gpus` GPUs [s]."""
    _, _, active_routed = expert_split(model)
    dense_active = model.active - active_routed
    dense_rows = tokens / gpus if hw.attention_dp else tokens  # attention DP: each GPU runs its own tokens
    t = 2.0 * dense_active * tokens / (gpus * hw.peak_flops * gemm_efficiency(dense_rows, hw, cal))
    if active_routed:
        per_expert_tokens = tokens * model.experts_per_token / model.experts
        eff = gemm_efficiency(per_expert_tokens, hw, cal, hw.moe_precision) * cal.moe_eff_scale * hw.moe_eff_scale
        t += 2.0 * active_routed * tokens / (gpus * (hw.moe_peak_flops or hw.peak_flops) * eff)
    return t


def alltoall_time(tokens: float, model: ModelShape, layers: float, hw: Hardware, cal: InferenceCalibration) -> float:
    """Expert-parallel dispatch and combine of bf16 activations per layer (attention DP) [s].

    Each GPU sends its tokens/g tokens to the GPUs of their k experts: min(k, g) (g-1)/g remote copies each.
    """
    g = hw.gpus
    copies = min(model.experts_per_token, g) * (g - 1) / g
    size = tokens / g * copies * model.hidden_size * 2.0
    return 2 * layers * (cal.allreduce_latency_s + size / (hw.link_byte_s * cal.link_eff))


def allreduce_time(tokens: float, model: ModelShape, layers: float, hw: Hardware, cal: InferenceCalibration) -> float:
    """Two ring all-reduces of bf16 activations per layer across the TP group [s] (all-to-all under attention DP)."""
    if hw.attention_dp:
        return alltoall_time(tokens, model, layers, hw, cal)
    if hw.tp <= 1:
        return 0.0
    size = message_bytes(tokens, model)
    latency = cal.pcie_allreduce_latency_s if hw.pcie else cal.allreduce_latency_s
    per = latency * hw.allreduce_latency_scale * (hw.tp - 1) ** 0.5 + max(_ring_s(size, hw, cal), _grid_s(size, hw))
    if hw.pcie and hw.tp > PCIE_GPUS_PER_SOCKET:
        per *= cal.cross_socket_slowdown
    return float(allreduces_per_layer(model, hw) * layers * per)


def message_bytes(tokens: float, model: ModelShape) -> float:
    """One tensor-parallel all-reduce message: the bf16 activations of `tokens` tokens [bytes]."""
    return tokens * model.hidden_size * custom_allreduce.ACTIVATION_BYTES


def _link_rate(hw: Hardware, cal: InferenceCalibration) -> float:
    """Achieved bytes per second per GPU on the TP group's links (NVLink-class or PCIe) [B/s]."""
    return hw.link_byte_s * (cal.pcie_link_eff if hw.pcie else cal.link_eff)


def _ring_s(size: float, hw: Hardware, cal: InferenceCalibration) -> float:
    """Bandwidth term of one ring all-reduce of `size` bytes over the TP group's links [s]."""
    return 2 * (hw.tp - 1) / hw.tp * size / _link_rate(hw, cal)


def _grid_s(size: float, hw: Hardware) -> float:
    """The runtime's custom all-reduce kernel: its busiest thread block's bytes at one block's rate [s] (0 = none)."""
    if not hw.allreduce_block_byte_s:
        return 0.0
    return custom_allreduce.block_bytes(size, hw.tp) / hw.allreduce_block_byte_s


def collapsed_grid_time(tokens: float, model: ModelShape, hw: Hardware, cal: InferenceCalibration) -> float:
    """What a forward of `tokens` tokens loses to custom all-reduce grids slower than the link [s]."""
    if hw.attention_dp or hw.tp <= 1:
        return 0.0
    size = message_bytes(tokens, model)
    excess = max(0.0, _grid_s(size, hw) - _ring_s(size, hw, cal))
    return allreduces_per_layer(model, hw) * model.layers / hw.pp * excess


LOGIT_BYTES = 4.0  # fp32 logits (TensorRT-LLM models: logits_dtype 'float32')


def logits_gather_time(batch: float, model: ModelShape, hw: Hardware, cal: InferenceCalibration) -> float:
    """All-gather of one decode step's logits across the TP group [s], for runtimes whose vocabulary-parallel LM head
    returns every rank the whole batch x vocab (TensorRT-LLM's TensorRT-engine models: lm_head =
    ColumnLinear(..., gather_output=True)); 128k-token vocabularies at batches in the thousands move ~1 GB."""
    if hw.tp <= 1 or hw.attention_dp or not hw.logits_gather:
        return 0.0
    return batch * model.vocab_size * LOGIT_BYTES * (hw.tp - 1) / hw.tp / _link_rate(hw, cal)


def allreduces_per_layer(model: ModelShape, hw: Hardware) -> int:
    """Tensor-parallel all-reduces per layer and forward: after attention and after the MLP, or one when both
    read the same input, their outputs are summed (parallel attention) and the runtime fuses the two."""
    return 1 if model.parallel_attention and hw.fused_parallel_allreduce else 2


def overhead_time(model: ModelShape, hw: Hardware, cal: InferenceCalibration) -> float:
    return (cal.step_overhead_s + cal.layer_overhead_s * model.layers) * hw.overhead_scale


def prefill_time(model: ModelShape, tokens: float, seq_len: float, hw: Hardware, cal: InferenceCalibration,
                 gpus: int) -> float:
    """One prefill forward of `tokens` tokens from sequences of length seq_len on `gpus` GPUs [s]."""
    return prefill_parts(model, tokens, seq_len, hw, cal, gpus).total_s


def prefill_parts(model: ModelShape, tokens: float, seq_len: float, hw: Hardware, cal: InferenceCalibration,
                  gpus: int) -> StepTimes:
    """prefill_time and its parts: weight streaming, GEMM and attention math, all-reduces, fixed costs [s]."""
    compute = matmul_time(model, tokens, gpus, hw, cal)
    width = attention_head_width(model) * model.attention_heads
    attn_flops = 2.0 * model.layers * tokens * seq_len * width  # causal: half of 4 L s^2 a d per sequence
    compute += attn_flops / (gpus * hw.peak_flops * gemm_efficiency(tokens, hw, cal) * cal.attention_eff_scale)
    weights = model.params * hw.weight_bytes / gpus / (hw.hbm_byte_s * cal.hbm_eff_weights * hw.hbm_eff_scale)
    fixed = (overhead_time(model, hw, cal) + cal.prefill_overhead_s * hw.overhead_scale) * hw.prefill_overhead_scale
    busy = max(compute, weights) + cal.prefill_nonoverlap * min(compute, weights)
    comm = allreduce_time(tokens, model, model.layers, hw, cal)
    return StepTimes(busy + comm + fixed, weights, compute, comm, fixed)


@dataclass(frozen=True)
class StepTimes:
    total_s: float
    memory_s: float
    compute_s: float
    communication_s: float
    overhead_s: float


def decode_step(model: ModelShape, batch: float, context: float, kv_bytes_per_token: float, hw: Hardware,
                cal: InferenceCalibration) -> StepTimes:
    """One decode step of a pipeline stage for a micro-batch of `batch` sequences at mean `context` [s]."""
    g = hw.gpus
    dense, per_expert, _ = expert_split(model)
    experts = experts_touched(model, batch) * per_expert if per_expert else 0.0
    read = dense * g + experts if hw.attention_dp else dense + experts  # attention DP: dense weights on every GPU
    hbm = hw.hbm_byte_s * hw.hbm_eff_scale
    mem = read * hw.weight_bytes / g / (hbm * cal.hbm_eff_weights)
    mem += batch * context * kv_bytes_per_token * hw.kv_read_factor / g / (hbm * cal.hbm_eff_kv)
    compute = matmul_time(model, batch, g, hw, cal)  # decode attention is a KV read, counted in `mem`
    comm = allreduce_time(batch, model, model.layers / hw.pp, hw, cal) + logits_gather_time(batch, model, hw, cal)
    over = overhead_time(model, hw, cal) / hw.pp
    busy = max(mem, compute) + cal.decode_nonoverlap * min(mem, compute)
    return StepTimes(busy + comm + over, mem, compute, comm, over)
